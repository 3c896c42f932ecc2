"""Checks every plugin's contributions must pass: names prefixed, no duplicates across plugins."""
from __future__ import annotations

from .models import CORE_MODELS
from .plugins import CORE, PluginHost

NAMED_HOOKS = {
    "medoffice_permissions": ("permission", "name"),
    "medoffice_jobs": ("job", "id"),
    "medoffice_reports": ("report", "id"),
    "medoffice_settings": ("setting", "name"),
    "medoffice_widgets": ("widget", "id"),
}


def contribution_problems(host: PluginHost) -> list[str]:
    """Problems with names contributed by every loaded plugin (enabled or not)."""
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for plugin in host.ordered():
        for hook, (kind, attr) in NAMED_HOOKS.items():
            for item in host.call_for(plugin.name, hook):
                name = getattr(item, attr)
                if not name.startswith(plugin.name + "."):
                    problems.append(f"{plugin.name}: {kind} {name!r} must start with '{plugin.name}.'")
                key = (kind, name)
                if key in seen:
                    problems.append(f"{kind} {name!r} is declared by both {seen[key]} and {plugin.name}")
                seen[key] = plugin.name
        models = CORE_MODELS if plugin.name == CORE else host.call_for(plugin.name, "medoffice_models")
        for model in models:
            table = model._meta.table_name
            if not table.startswith(plugin.name + "_"):
                problems.append(f"{plugin.name}: table {table!r} must start with '{plugin.name}_'")
            key = ("table", table)
            if key in seen:
                problems.append(f"table {table!r} is declared by both {seen[key]} and {plugin.name}")
            seen[key] = plugin.name
    return problems

"""Checks every plugin's contributions must pass: names prefixed, no duplicates across plugins."""
from __future__ import annotations

import datetime as dt

from .events.schema import check_type
from .models import CORE_MODELS
from .plugins import CORE, PluginHost

NAMED_HOOKS = {
    "medoffice_permissions": ("permission", "name"),
    "medoffice_jobs": ("job", "id"),
    "medoffice_reports": ("report", "id"),
    "medoffice_settings": ("setting", "name"),
    "medoffice_widgets": ("widget", "id"),
    "medoffice_event_types": ("event type", "ref"),
    "medoffice_event_subscriptions": ("event subscription", "name"),
    "medoffice_message_channels": ("message channel", "name"),
    "medoffice_message_templates": ("message template", "key"),
    "medoffice_attachment_kinds": ("attachment kind", "name"),
    "medoffice_deadline_kinds": ("deadline kind", "name"),
    "medoffice_data_versions": ("data version", "key"),
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
        problems.extend(event_problems(host, plugin.name))
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


def event_problems(host: PluginHost, plugin_name: str) -> list[str]:
    """Event types with unknown field kinds, subscriptions with a bad start or no events."""
    problems = [p for t in host.call_for(plugin_name, "medoffice_event_types") for p in check_type(t)]
    for subscription in host.call_for(plugin_name, "medoffice_event_subscriptions"):
        start = subscription.start
        if not (start == "beginning" or (isinstance(start, dt.date) and not isinstance(start, dt.datetime))):
            problems.append(f"event subscription {subscription.name}: start must be 'beginning' or a date")
        if not subscription.events or isinstance(subscription.events, str):
            problems.append(f"event subscription {subscription.name}: list the event names it consumes")
        if not callable(subscription.handler):
            problems.append(f"event subscription {subscription.name}: the handler is not callable")
    return problems

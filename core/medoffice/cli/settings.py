"""``medoffice settings list|get|set``: the practice settings from the command line, checked by the
same rules as the settings page and audited as ``cli``."""
from __future__ import annotations

import click

from flask import current_app

from .context import echo_json, with_app


def _shown(spec, value) -> str:
    """A stored value as the settings page shows it (amounts as dollars, true/false for switches)."""
    from ..money import format_cents

    if value is None:
        return ""
    if spec.kind == "cents":
        return format_cents(value)
    if spec.kind == "bool":
        return "true" if value else "false"
    return str(value)


def register(main: click.Group) -> None:
    """Add the settings group."""

    @main.group("settings")
    def settings_group():
        """Read and change the practice settings (the same checks as Admin → Settings)."""

    @settings_group.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def list_settings(as_json):
        """Every setting of the enabled modules with its value and default."""
        from .. import settings

        rows = [{"name": name, "label": spec.label, "kind": spec.kind, "value": settings.get(name),
                 "default": spec.default, "minimum": spec.minimum, "maximum": spec.maximum}
                for name, spec in sorted(settings.specs().items())]
        if as_json:
            echo_json(rows)
            return
        specs = settings.specs()
        for row in rows:
            click.echo(f"{row['name']} = {_shown(specs[row['name']], row['value'])}  ({row['label']})")

    @settings_group.command("get")
    @click.argument("key")
    @with_app
    def get_setting(key):
        """Print one setting's value as the settings page shows it."""
        from .. import settings

        spec = settings.specs().get(key)
        if spec is None:
            raise click.ClickException(f"there is no setting {key} (see `medoffice settings list`)")
        click.echo(_shown(spec, settings.get(key)))

    @settings_group.command("set")
    @click.argument("key")
    @click.argument("value")
    @with_app
    def set_setting(key, value):
        """Change one setting; VALUE is typed as on the settings page (25.00 for an amount, true/false)."""
        from ..web.settings_views import SettingsInputError, save_typed

        with current_app.test_request_context("/admin/settings", method="POST"):
            try:
                changed = save_typed({key: value}, username="cli")
            except SettingsInputError as exc:
                raise click.ClickException(str(exc)) from None
        click.echo(f"{key} changed" if changed else f"{key} unchanged")

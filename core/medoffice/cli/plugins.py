"""``medoffice plugins list|enable|disable``."""
from __future__ import annotations

import click

from ..plugins import PluginError
from .context import build_app, echo_json, with_app


def register(main: click.Group) -> None:
    """Add the plugins group."""

    @main.group()
    def plugins():
        """List, enable and disable modules (effective at once in a running server)."""

    @plugins.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def list_plugins(as_json):
        """Show installed modules and whether each is on."""
        ctx = click.get_current_context()
        host = build_app(ctx).extensions["medoffice"].host
        rows = [{
            "name": name,
            "title": p.info.title if p.info else name,
            "version": p.info.version if p.info else "",
            "enabled": host.is_enabled(name),
            "ok": p.ok,
            "error": p.error.strip().splitlines()[-1] if p.error else "",
            "requires": list(p.info.requires) if p.info else [],
        } for name, p in sorted(host.plugins.items())]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            state = "FAILED" if not r["ok"] else "on" if r["enabled"] else "off"
            click.echo(f"{r['name']:<16} {state:<7} {r['version']:<10} {r['title']}"
                       + (f"  ({r['error']})" if r["error"] else ""))

    @plugins.command("enable")
    @click.argument("name")
    @with_app
    def enable(name):
        """Turn a module on (with the modules it needs)."""
        runtime = build_app(click.get_current_context()).extensions["medoffice"]
        try:
            enabled = runtime.enable(name, by="cli")
        except PluginError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Enabled {', '.join(enabled)}." if enabled else f"{name} was already enabled.")

    @plugins.command("disable")
    @click.argument("name")
    @with_app
    def disable(name):
        """Turn a module off (its data is kept)."""
        runtime = build_app(click.get_current_context()).extensions["medoffice"]
        try:
            runtime.disable(name, by="cli")
        except PluginError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Disabled {name}. Its data is kept.")

"""``medoffice plugins list|enable|disable``."""
from __future__ import annotations

from pathlib import Path

import click

from ..plugin_states import LABELS, plugin_states
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
        """Show installed modules and whether each is on, off, installed but not enabled yet, or failed."""
        ctx = click.get_current_context()
        host = build_app(ctx).extensions["medoffice"].host
        states = plugin_states(host)
        rows = [{
            "name": name,
            "title": p.info.title if p.info else name,
            "version": p.info.version if p.info else "",
            "enabled": host.is_enabled(name),
            "state": states[name],
            "ok": p.ok,
            "error": p.error.strip().splitlines()[-1] if p.error else "",
            "requires": list(p.info.requires) if p.info else [],
        } for name, p in sorted(host.plugins.items())]
        if as_json:
            echo_json(rows)
            return
        for r in rows:
            state = LABELS[r["state"]].upper() if r["state"] == "failed" else LABELS[r["state"]].lower()
            click.echo(f"{r['name']:<16} {state:<23} {r['version']:<10} {r['title']}"
                       + (f"  ({r['error']})" if r["error"] else ""))

    @plugins.command("new")
    @click.argument("name")
    @click.option("--directory", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                  show_default=True, help="Where to write the distribution's folder.")
    @click.option("--title", help="The title staff see (default: from the name).")
    def new(name, directory, title):
        """Write a new plugin distribution, medoffice-NAME, whose tests pass as written."""
        from ..scaffold import ScaffoldError, new_plugin

        try:
            root = new_plugin(name, directory, title)
        except ScaffoldError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Wrote {root}. Next:\n"
                   f"  pip install -e {root}    (into medoffice's environment)\n"
                   f"  cd {root} && pytest     (its tests: the contract and its pages, CSRF on)\n"
                   f"  restart medoffice, then turn {name} on on Admin → Modules "
                   f"(or `medoffice plugins enable {name}`)")

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

"""``medoffice migrations status|make``: for plugin authors and upgrades."""
from __future__ import annotations

import click

from .. import migrate
from ..runtime import all_models
from .context import build_app, echo_json, with_app


def register(main: click.Group) -> None:
    """Add the migrations group."""

    @main.group()
    def migrations():
        """Show pending migrations, or write a plugin's next migration file."""

    @migrations.command("status")
    @click.option("--json", "as_json", is_flag=True)
    @with_app
    def status(as_json):
        """Pending migrations per installed plugin (they run automatically at start and enable)."""
        host = build_app(click.get_current_context()).extensions["medoffice"].host
        rows = {p.name: migrate.pending(p) for p in host.ordered()}
        if as_json:
            echo_json(rows)
            return
        for name, names in rows.items():
            click.echo(f"{name:<16} {'up to date' if not names else 'pending: ' + ', '.join(names)}")

    @migrations.command("make")
    @click.argument("plugin")
    @click.argument("name")
    @with_app
    def make(plugin, name):
        """Write PLUGIN's next migration from the difference between its models and the database."""
        host = build_app(click.get_current_context()).extensions["medoffice"].host
        if plugin not in host.plugins or not host.plugins[plugin].ok:
            raise click.ClickException(f"no loaded plugin named {plugin!r}")
        path = migrate.make_migration(host.plugins[plugin], all_models(host)[plugin], name)
        click.echo(f"Wrote {path}" if path else "The database already matches the models; nothing to write.")

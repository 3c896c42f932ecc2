"""``medoffice copy-to-postgresql URL``: move a practice from SQLite to PostgreSQL."""
from __future__ import annotations

from pathlib import Path

import click

from .context import build_app, with_app


def register(main: click.Group) -> None:
    """Add the copy-to-postgresql command."""

    @main.command("copy-to-postgresql")
    @click.argument("url")
    @with_app
    def copy_to_postgresql_command(url):
        """Copy this instance's SQLite database into the empty PostgreSQL database at URL.

        Stop the server first. The SQLite database is left as it was; the instance switches
        only when you set database_url in medoffice.toml.
        """
        from ..backup import running_servers
        from ..pgmove import MoveError, copy_to_postgresql

        app = build_app(click.get_current_context())
        instance = Path(app.extensions["medoffice"].instance)
        if running_servers(instance):
            raise click.ClickException("a medoffice server or scheduler is running on this instance; stop it "
                                       "first, so nothing changes during the copy")
        try:
            counts = copy_to_postgresql(app, url)
        except MoveError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Copied {sum(counts.values()):,} rows in {len(counts)} tables.")
        click.echo(f"Now set database_url to that URL in {instance / 'medoffice.toml'}, run `medoffice doctor`, "
                   "and start the server again. The SQLite file stays as it was.")

"""``medoffice doctor``: run the integrity checks; exit status 1 when any fails."""
from __future__ import annotations

import click

from .context import build_app, echo_json, with_app


def register(main: click.Group) -> None:
    """Add the doctor command."""

    @main.command()
    @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
    @with_app
    def doctor(as_json):
        """Check the database, migrations, audit trail, disk space and every module's own checks."""
        from ..doctor import has_failures, run_checks

        results = run_checks(build_app(click.get_current_context()))
        if as_json:
            echo_json([{"name": r.name, "status": r.status, "message": r.message} for r in results])
        else:
            colors = {"ok": "green", "warn": "yellow", "fail": "red"}
            for r in results:
                click.echo(click.style(f"{r.status.upper():<5}", fg=colors.get(r.status)) + f" {r.name}: {r.message}")
        if has_failures(results):
            raise click.exceptions.Exit(1)

"""``medoffice audit verify``: check the audit trail's hash chain."""
from __future__ import annotations

import click

from .. import audit
from .context import echo_json, with_app


def register(main: click.Group) -> None:
    """Add the audit commands."""

    @main.group("audit")
    def audit_group():
        """The tamper-evident audit trail."""

    @audit_group.command("verify")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @with_app
    def verify(as_json):
        """Walk the whole chain; report the first broken link and exit 1 if there is one."""
        result = audit.verify()
        if as_json:
            echo_json({"ok": result.ok, "checked": result.checked, "problem": result.problem, "seq": result.seq})
        elif result.ok:
            click.echo(f"The audit trail is intact: {result.checked} entries checked.")
        else:
            click.secho(f"The audit trail is BROKEN at entry {result.seq}: {result.problem} "
                        f"({result.checked} entries before it are intact).", fg="red", err=True)
        if not result.ok:
            raise SystemExit(1)

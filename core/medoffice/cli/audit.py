"""``medoffice audit verify`` and ``medoffice audit anchor``: check and anchor the audit trail."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from .. import audit, audit_anchor
from ..backup import BackupError, read_manifest
from .context import echo_json, with_app


def register(main: click.Group) -> None:
    """Add the audit commands."""

    @main.group("audit")
    def audit_group():
        """The tamper-evident audit trail."""

    @audit_group.command("verify")
    @click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
    @click.option("--archive", "archives", multiple=True, type=click.Path(dir_okay=False, exists=True),
                  help="Also hold the chain to the anchor inside this backup (repeatable), e.g. an off-site copy.")
    @with_app
    def verify(as_json, archives):
        """Walk the whole chain, hold it to its anchors; report the first broken link and exit 1 if there is one."""
        anchors = audit_anchor.read_all(current_app.extensions["medoffice"].instance)
        for archive in archives:
            anchors.append(_archive_anchor(Path(archive)))
        result = audit.verify(anchors=anchors)
        if as_json:
            echo_json({"ok": result.ok, "checked": result.checked, "problem": result.problem, "seq": result.seq,
                       "anchored": result.anchored})
        elif result.ok:
            held = (f"; it reaches and matches its anchors (the newest: entry {result.anchored})"
                    if result.anchored else "; no entry is anchored yet")
            click.echo(f"The audit trail is intact: {result.checked} entries checked{held}.")
        else:
            click.secho(f"The audit trail is BROKEN at entry {result.seq}: {result.problem} "
                        f"({result.checked} entries before it are intact).", fg="red", err=True)
        if not result.ok:
            raise SystemExit(1)

    @audit_group.command("anchor")
    @click.option("--json", "as_json", is_flag=True, help="Print the anchor as JSON (to send it off this computer).")
    @with_app
    def anchor(as_json):
        """Anchor the chain's newest entry in the instance's anchor file now."""
        try:
            written, is_new = audit_anchor.write_anchor(current_app.extensions["medoffice"].instance, "command")
        except audit_anchor.AnchorConflict as exc:
            raise click.ClickException(f"not anchored: {exc}. Run `medoffice audit verify`.") from None
        if as_json:
            echo_json(written.to_dict())
        else:
            click.echo(f"Entry {written.seq} is anchored{'' if is_new else ' (it already was)'}: {written.hash}")

    def _archive_anchor(archive: Path) -> audit_anchor.Anchor:
        try:
            manifest = read_manifest(archive, current_app.config["BACKUP_KEY"])
        except BackupError as exc:
            raise click.ClickException(f"{archive}: {exc}") from None
        if "audit_anchor" not in manifest:
            raise click.ClickException(f"{archive} was made before backups carried an audit anchor")
        return audit_anchor.Anchor.from_dict(manifest["audit_anchor"])

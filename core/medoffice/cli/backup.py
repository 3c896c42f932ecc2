"""``medoffice backup`` and ``medoffice restore FILE``."""
from __future__ import annotations

from pathlib import Path

import click

from .. import config
from ..backup import BackupError, create_backup, instance_restore_settings, read_manifest, restore_archive
from .context import build_app, with_app


def register(main: click.Group) -> None:
    """Add the backup and restore commands."""

    @main.command()
    @click.option("--to", "directory", type=click.Path(file_okay=False),
                  help="Folder for the archive (default: backup_dir in medoffice.toml, else <instance>/backups).")
    @with_app
    def backup(directory):
        """Write an encrypted backup of the database now (safe while the server runs)."""
        try:
            row = create_backup("manual", Path(directory).resolve() if directory else None)
        except BackupError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"Backup written to {row.path} ({row.size_bytes:,} bytes)\n  SHA-256 {row.sha256}")
        click.echo("Copy it off this computer; restoring it needs the backup key in medoffice.toml.")

    @main.command()
    @click.argument("archive", type=click.Path(dir_okay=False))
    @click.option("--key", envvar="MEDOFFICE_RESTORE_KEY",
                  help="The backup key of the instance that wrote the archive (default: this instance's).")
    @click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
    @click.pass_context
    def restore(ctx, archive, key, yes):
        """Replace the database with the backup in ARCHIVE. Stop the server first."""
        instance = config.instance_path(ctx.find_root().obj.get("instance"))
        if not (instance / config.CONFIG_NAME).exists():
            raise click.ClickException(f"{instance} is not initialized: run `medoffice init` first, then "
                                       "restore (with --key if the archive came from another instance)")
        own_key, database_url = instance_restore_settings(instance)
        archive_path = Path(archive)
        if not archive_path.is_file():
            raise click.ClickException(f"{archive_path} does not exist")
        try:
            manifest = read_manifest(archive_path, key or own_key)
            if not yes:
                click.confirm(f"Replace the database of {instance} with the {manifest['engine']} backup made "
                              f"{manifest['created_at']}?", abort=True)
            manifest = restore_archive(archive_path, instance, key or own_key, database_url)
        except BackupError as exc:
            raise click.ClickException(f"restore refused: {exc}. Nothing was changed.") from None
        click.echo(f"Restored the backup made {manifest['created_at']}.")
        if manifest.get("previous_database"):
            click.echo(f"The database it replaced is kept as {manifest['previous_database']}; "
                       "delete it once you have checked the restored data.")
        if manifest.get("previous_anchors"):
            click.echo(f"The audit anchors of the replaced database are kept as {manifest['previous_anchors']}.")
        if key and config.adopt_backup_key(instance, key):
            # The restored audit trail is keyed from that key, and its backups are readable with it.
            click.secho(f"{config.CONFIG_NAME} now holds the backup key of the restored data (the one given with "
                        "--key); the key it replaced is kept there as a comment.", fg="yellow")
        _record_restore(ctx, archive_path, manifest)

    def _record_restore(ctx, archive_path: Path, manifest: dict) -> None:
        """Open the restored database (migrating it if it predates this version) and audit the restore."""
        from .. import audit
        from ..db import db

        try:
            app = build_app(ctx)
        except Exception as exc:  # the data is back; say plainly what is left to fix
            raise click.ClickException(f"the backup was restored, but medoffice cannot open it: {exc}") from exc
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                audit.record("backup.restore", "backup", archive_path.name, username="cli",
                             detail={"created_at": manifest["created_at"], "engine": manifest["engine"]})
            finally:
                db.close()

"""Per-plugin schema migrations (playhouse.migrations), one history table per plugin.

Each plugin keeps numbered files in ``<package>/migrations/``; core's live in
``medoffice/migrations/``. ``medoffice migrations make NAME`` writes the next file from the
difference between the plugin's models and the database (playhouse.schema_diff).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import peewee
from playhouse.migrations import Runner as PlayhouseRunner
from playhouse.migrations import template
from playhouse.schema_diff import diff_models

from .db import db, is_sqlite
from .filemodes import create_private_file, private_dir

log = logging.getLogger("medoffice.migrate")


class Runner(PlayhouseRunner):
    """playhouse's Runner, whose migrations on PostgreSQL fire the data versions' deferred triggers after each
    statement: a migration that fills a watched table's rows and then alters it was refused ("pending trigger
    events") while the bumps waited for the commit."""

    def _run(self, name, module, direction, fake=False):
        if fake or is_sqlite(self.database):
            return super()._run(name, module, direction, fake)
        step = getattr(module, direction)

        def immediately(migrator, database):
            database.execute_sql("SET CONSTRAINTS ALL IMMEDIATE")
            step(migrator, database)

        wrapped = SimpleNamespace(**{direction: immediately, "atomic": getattr(module, "atomic", True)})
        return super()._run(name, wrapped, direction, fake)


def is_app_database(database) -> bool:
    """Whether a migration runs on the app's own database rather than on a copy being made (``medoffice pgmove``
    fills the copy's tables from the source's rows): only then may it rebuild kept rows through the app's models,
    which write to the app's database."""
    return database is db.obj


def history_table(plugin_name: str) -> str:
    """The migration-history table of a plugin (prefixed with its name like all its tables)."""
    return f"{plugin_name}_migration_history"


def runner_for(plugin) -> Runner | None:
    """A playhouse Runner for a loaded plugin, or None when it ships no migrations."""
    directory = plugin.package_dir / "migrations"
    if not directory.is_dir():
        return None
    return Runner(db.obj, str(directory), table_name=history_table(plugin.name))


def pending(plugin) -> list[str]:
    """Names of the plugin's migrations not yet applied."""
    runner = runner_for(plugin)
    if runner is None:
        return []
    return [m.name for m in runner.status() if m.applied is None and m.path is not None]


def apply(plugins, copy_dir: Path | None = None) -> dict[str, list[str]]:
    """Apply pending migrations of ``plugins`` (in the given dependency order).

    On SQLite, when anything is pending and the database already holds tables, a copy is
    written to ``copy_dir`` first (made private even if it existed), so a failed upgrade can
    always be undone.
    :return: applied migration names per plugin.
    """
    todo = [(p, pending(p)) for p in plugins]
    todo = [(p, names) for p, names in todo if names]
    if not todo:
        return {}
    if copy_dir is not None and is_sqlite() and db.obj.get_tables():
        path = sqlite_snapshot(private_dir(copy_dir, enforce=True), "pre-migrate")
        log.info("database copied to %s before migrating", path)
    applied = {}
    for plugin, _names in todo:
        applied[plugin.name] = runner_for(plugin).up()
        log.info("%s: applied %s", plugin.name, ", ".join(applied[plugin.name]))
    return applied


def move_old_copies(old_dir: Path, copy_dir: Path) -> list[Path]:
    """Move pre-migration copies that earlier versions left in ``old_dir`` (the backups folder,
    which may be synced off-site) into the private ``copy_dir``; returns their new paths."""
    moved = []
    for old in sorted(old_dir.glob("pre-migrate-*.sqlite3")) if old_dir.is_dir() else []:
        target = private_dir(copy_dir, enforce=True) / old.name
        os.chmod(old, 0o600)
        old.replace(target)
        moved.append(target)
    if moved:
        log.warning("moved %d unencrypted pre-migration copies out of %s into %s", len(moved), old_dir, copy_dir)
    return moved


def sqlite_snapshot(directory: Path, label: str) -> Path:
    """Copy the live SQLite database with the online backup API (consistent under writes),
    into a file private to this account (0600, in a folder created 0700)."""
    private_dir(directory)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = directory / f"{label}-{stamp}.sqlite3"
    create_private_file(target)
    source = sqlite3.connect(db.obj.database)
    try:
        dest = sqlite3.connect(target)
        with dest:
            source.backup(dest)
        dest.close()
    finally:
        source.close()
    return target


def schema_diff(models: list[type[peewee.Model]]):
    """Where the database differs from ``models`` (falsy when they match exactly)."""
    return diff_models(db.obj, models)


def make_migration(plugin, models, name: str) -> Path | None:
    """Write the plugin's next migration file from the models/database difference.

    :return: the new file's path, or None when the schema already matches.
    """
    diff = schema_diff(models)
    if not diff:
        return None
    directory = plugin.package_dir / "migrations"
    runner = Runner(db.obj, str(directory), table_name=history_table(plugin.name))
    # Callable defaults (timestamps) are applied by the models on insert, not by the schema.
    lines = [line for line in template(diff).splitlines()
             if not (line.startswith("# TODO:") and "default <function" in line)]
    body = f'"""{name}"""\n' + "\n".join(lines) + "\n"
    return Path(runner.create(name, body=body))

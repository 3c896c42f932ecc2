"""Copy an instance's SQLite database into an empty PostgreSQL database, for a practice that
outgrows one office box (``medoffice copy-to-postgresql URL``).

The target's tables are made by the same migrations as any PostgreSQL instance's, so the
schema is exactly what medoffice expects there. Every row of every module's tables is then
copied through the models (booleans, dates and timestamps converted by their fields), parents
before children, all in one PostgreSQL transaction: a failure leaves the target empty. Id
sequences are moved past the copied ids and the row counts of both sides compared.
"""
from __future__ import annotations

from pathlib import Path

from peewee import AutoField, BigAutoField, CompositeKey, Field, sort_models

from . import migrate
from .auth import access_version
from .db import db, is_sqlite, open_database, refresh_statistics
from .models import StateVersion
from .runtime import all_models

BATCH = 1000


class MoveError(Exception):
    """The copy was refused or failed; the message says why and what to do."""


def _plugins_with_schema(runtime, source) -> list:
    """Loaded plugins whose tables exist in the source (a migration history there)."""
    tables = set(source.get_tables())
    chosen = []
    for plugin in runtime.host.ordered():
        if migrate.history_table(plugin.name) not in tables:
            continue
        if not plugin.ok:
            raise MoveError(f"module {plugin.name} has data but failed to load ({plugin.error.strip()[-200:]}); "
                            "repair its installation first")
        if migrate.pending(plugin):
            raise MoveError(f"module {plugin.name} has migrations not applied to this database; enable it "
                            "once (medoffice plugins enable) so they run, then copy")
        chosen.append(plugin)
    return chosen


def _reset_sequence(target, model) -> None:
    primary = model._meta.primary_key
    if isinstance(primary, (AutoField, BigAutoField)):
        table, column = model._meta.table_name, primary.column_name
        target.execute_sql(
            f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(MAX(\"{column}\"), 1), "
            f"MAX(\"{column}\") IS NOT NULL) FROM \"{table}\"", (table, column))


def copy_to_postgresql(app, url: str) -> dict[str, int]:
    """Copy the app's (SQLite) database into the empty PostgreSQL database at ``url``.

    Run inside the app context with the source connected and no server running.
    :return: rows copied per table.
    :raises MoveError: not SQLite, target not PostgreSQL or not empty, a module not ready,
        or the copy failed (then nothing was written).
    """
    runtime = app.extensions["medoffice"]
    source = db.obj
    if not is_sqlite(source):
        raise MoveError("this instance already uses PostgreSQL")
    if not url.startswith(("postgres://", "postgresql://")):
        raise MoveError("give the target as postgresql://user:password@host:5432/database")
    target = open_database(url, Path(runtime.instance))
    plugins = _plugins_with_schema(runtime, source)
    models_by_plugin = all_models(runtime.host)
    models = sort_models([m for p in plugins for m in models_by_plugin.get(p.name, [])])
    try:
        target.connect()
    except Exception as exc:
        raise MoveError(f"cannot connect to the PostgreSQL database: {exc}") from None
    counts: dict[str, int] = {}
    try:
        if target.get_tables():
            raise MoveError("the PostgreSQL database is not empty; create a new, empty one for medoffice")
        with target.atomic():
            for plugin in plugins:
                migrate.Runner(target, str(plugin.package_dir / "migrations"),
                       table_name=migrate.history_table(plugin.name)).up()
            access_version.ensure_triggers(target)
            # The rows passed every plugin's rules when they were written. A plugin's guard triggers
            # follow the application's order of work (a journal entry is posted once its lines
            # exist), which a table-by-table copy cannot follow: they are off for the copy only.
            # Foreign keys are not user triggers and stay checked.
            tables = [model._meta.table_name for model in models]
            for table in tables:
                target.execute_sql(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
            for model in reversed(models):  # rows a migration may have seeded
                model.delete().execute(target)
            for model in models:
                fields = model._meta.sorted_fields
                primary = model._meta.primary_key
                ordered = [primary] if isinstance(primary, Field) and not isinstance(primary, CompositeKey) else []
                rows = model.select(*fields).order_by(*ordered)
                batch, copied = [], 0
                for row in rows.tuples().execute(source):
                    batch.append(row)
                    if len(batch) == BATCH:
                        model.insert_many(batch, fields=fields).execute(target)
                        copied += len(batch)
                        batch = []
                if batch:
                    model.insert_many(batch, fields=fields).execute(target)
                    copied += len(batch)
                _reset_sequence(target, model)
                if model.select().count(target) != model.select().count(source):
                    raise MoveError(f"{model._meta.table_name}: the row counts differ after the copy")
                counts[model._meta.table_name] = copied
            for table in tables:
                target.execute_sql(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
            # The counters of the access-version triggers take the source's values.
            for key, version in StateVersion.select(StateVersion.key, StateVersion.version).tuples().execute(source):
                StateVersion.update(version=version).where(StateVersion.key == key).execute(target)
        refresh_statistics(target)
    except MoveError:
        raise
    except Exception as exc:
        raise MoveError(f"the copy failed and nothing was written: {type(exc).__name__}: {exc}") from exc
    finally:
        if not target.is_closed():
            target.close()
        target.close_all()
    return counts

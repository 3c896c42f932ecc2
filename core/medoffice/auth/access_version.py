"""The access version: a counter the database itself bumps on every change to what a signed-in
session depends on (users, their roles, roles and their permissions, settings, emergency grants,
the end of a session), so each process can keep sessions and settings cached and still see any
change on the next request (``medoffice.auth.sessions``, ``medoffice.settings``).

The counter is the ``access`` row of ``core_state_version``; triggers keep it. They are made by
:func:`ensure_triggers` at every start, not only by a migration: SQLite rebuilds a table to change
a column's constraints (a later migration may), and a rebuilt table has lost its triggers.
"""
from __future__ import annotations

import peewee

from ..db import db, is_sqlite

KEY = "access"
# (table, what fires the bump). A new session is in no process's cache yet, and its last-seen
# time is written once a minute: neither changes what a cached session may do.
WATCHED = [
    ("core_user", None),
    ("core_user_role", None),
    ("core_role", None),
    ("core_role_permission", None),
    ("core_setting", None),
    ("core_emergency_access", None),
    ("core_session", ("ended_at", "emergency_grant_id")),
]
BUMP = f"UPDATE core_state_version SET version = version + 1 WHERE key = '{KEY}'"
FUNCTION = "core_bump_access_version"


def _sqlite_triggers() -> dict[str, str]:
    made = {}
    for table, columns in WATCHED:
        events = [("upd", f"UPDATE OF {', '.join(columns)}"), ("del", "DELETE")] if columns else \
            [("ins", "INSERT"), ("upd", "UPDATE"), ("del", "DELETE")]
        for suffix, event in events:
            name = f"{table}_access_{suffix}"
            made[name] = f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP}; END"
    return made


def _postgres_triggers() -> dict[str, str]:
    # Deferred to the commit: the version row is locked last in every transaction (no lock-order
    # deadlock with the audit head), and a reader who sees the new version also sees the change.
    made = {}
    for table, columns in WATCHED:
        events = f"UPDATE OF {', '.join(columns)} OR DELETE" if columns else "INSERT OR UPDATE OR DELETE"
        made[f"{table}_access"] = (f"CREATE CONSTRAINT TRIGGER {table}_access AFTER {events} ON {table} "
                                   f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()")
    return made


def _existing(database: peewee.Database) -> set[str]:
    if is_sqlite(database):
        rows = database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        rows = database.execute_sql("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                                    "WHERE NOT t.tgisinternal AND pg_table_is_visible(c.oid)")
    return {row[0] for row in rows}


def ensure_triggers(database: peewee.Database | None = None) -> list[str]:
    """Create the triggers that keep the access version, where missing; returns the names created."""
    database = database or db.obj
    wanted = _sqlite_triggers() if is_sqlite(database) else _postgres_triggers()
    if wanted.keys() <= _existing(database):
        return []
    with database.atomic():
        if not is_sqlite(database):
            # Several processes may start at once: one of them creates what is missing.
            database.execute_sql("SELECT pg_advisory_xact_lock(hashtext('medoffice access triggers'))")
            database.execute_sql(f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql "
                                 f"AS $$ BEGIN {BUMP}; RETURN NULL; END $$")
        missing = [name for name in wanted if name not in _existing(database)]
        for name in missing:
            database.execute_sql(wanted[name])
    return missing

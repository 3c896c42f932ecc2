"""The access version: a counter the database itself bumps on every change to what a signed-in
session depends on (users, their roles, roles and their permissions, settings, emergency grants,
the end of a session), so each process can keep sessions and settings cached and still see any
change on the next request (``medoffice.auth.sessions``, ``medoffice.settings``).

The counter is the ``access`` row of ``core_state_version``; triggers keep it
(``medoffice.version_triggers``), made by :func:`ensure_triggers` at every start.
"""
from __future__ import annotations

import peewee

from .. import version_triggers

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


def ensure_triggers(database: peewee.Database | None = None) -> list[str]:
    """Create the triggers that keep the access version, where missing; returns the names created."""
    return version_triggers.ensure(KEY, WATCHED, database)

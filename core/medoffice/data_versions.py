"""Data versions: figures a page computes from a plugin's tables, kept in each process until any
process changes one of those tables.

A plugin declares ``DataVersion("marketing.figures", [SurveyResponse, Complaint, ...])`` in its
``medoffice_data_versions`` hook; core declares its own the same way (``core.staff``, ``core.patients``,
``core.documents``, ``core.deadlines``), and ``access`` moves on any change to users, roles, sessions and
settings. Core makes database triggers that bump a version's counter on
every insert, update or delete of those tables (``medoffice.version_triggers``), whoever writes:
a page, a job, an import, another worker process, a SQL console. Every request already reads all
the counters in its one read of ``core_state_version`` (on PostgreSQL, only once told they moved:
``medoffice.version_listener``), so :func:`kept` costs no query: it returns
the value built for the version this request read, or builds it again when the version moved.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, g, has_app_context, has_request_context, request

from . import version_triggers

STAFF_KEY = "core.staff"  # core's: moves on any change to the staff list (names, credentials, active, locations)
PATIENTS_KEY = "core.patients"  # core's: moves on any change to a patient's record (a name, a merge)
DEADLINES_KEY = "core.deadlines"  # core's: moves on any change to a deadline (medoffice.deadlines)
# core's: moves on any job run, event subscriber's progress or outbox message (the Today queue's operations items)
OPERATIONS_KEY = "core.operations"
EVENTS_KEY = "core.events"  # core's: moves on any event published (the durable event log)
KEEP_PER_VERSION = 32  # values kept per key or set of keys (different arguments: days, filters, pages)


@dataclass(frozen=True)
class DataVersion:
    """A counter named ``<plugin>.<what>`` that moves on any change to ``models``' tables."""

    key: str
    models: Sequence[Any]


def ensure(declared: Sequence[DataVersion], database=None) -> list[str]:
    """Create the counters and triggers of ``declared`` where missing; returns the triggers created."""
    made = []
    for version in declared:
        made += version_triggers.ensure(version.key, [(m._meta.table_name, None) for m in version.models],
                                        database)
    return made


def current(key: str) -> int | None:
    """The counter ``key`` as this request read it (None outside a request, or when undeclared)."""
    return g.get("medoffice_versions", {}).get(key) if has_app_context() else None


def _may_write() -> bool:
    return has_request_context() and request.method not in ("GET", "HEAD")


def kept(key: str | tuple[str, ...], arguments: Hashable, build: Callable[[], Any]) -> Any:
    """``build()``, kept per process for data version ``key`` (or several: a tuple of keys) and
    ``arguments`` (everything else the value depends on: the day, a filter) until a version moves. A
    request that may write (any but GET and HEAD) builds afresh: it may read what it has just written,
    which the versions it read when it began do not cover."""
    if _may_write():
        return build()
    if isinstance(key, str):
        version = current(key)
    else:
        version = tuple(current(one) for one in key)
        if None in version:
            version = None
    if version is None:
        return build()
    store = current_app.extensions["medoffice"].kept_values.setdefault(key, {})
    hit = store.get(arguments)
    if hit is not None and hit[0] == version:
        return hit[1]
    value = build()
    if len(store) >= KEEP_PER_VERSION:
        store.clear()
    store[arguments] = (version, value)
    return value

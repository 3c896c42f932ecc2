"""Publishing: events are written inside the publisher's transaction and numbered as it commits.

The commit-order trap: ids from a sequence are handed out at insert time, so on PostgreSQL a
transaction holding id 5 can commit after another one's id 6; a reader that remembers "the
last id I delivered" would then skip 5 for ever. Here an event gets its ``position`` only in
the last moment of its transaction (a ``before_commit`` callback): the transaction locks one
counter row, reserves a range of positions and commits. The next publisher waits on that row
until the first committed, so positions are in commit order and whatever a reader sees is a
whole prefix of the log. Publishers wait on each other only for that last step.

SQLite has one writer at a time: the transaction that writes events holds the database's write
lock from then until it commits, so positions reserved as the events are written are already in
commit order. There they are written with the events, which spares the commit a second pass over
every row it published (for an 835 import, ten thousand).
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Callable, Iterable, Mapping

from flask import current_app, has_app_context, has_request_context
from peewee import fn

from .. import bulk
from ..db import after_commit, before_commit, in_managed_transaction, is_sqlite, utcnow
from ..models import Counter
from .models import EventRecord
from .registry import event_types
from .schema import encode

log = logging.getLogger("medoffice.events")

POSITION_COUNTER = "core.event_position"
INLINE_LIMIT = 500  # events one request commits that are delivered before it answers
_state = threading.local()
_background: list[threading.Thread] = []


def publish(name: str, payload: Mapping[str, Any], version: int | None = None) -> None:
    """Record that ``name`` happened, inside the caller's ``transaction()``.

    The event exists if and only if that transaction commits; subscribers get it after the
    commit (in this process at once, else from the delivery job).
    :param payload: plain values matching the declared type (see ``medoffice.events.schema``).
    :param version: the declared version to publish (default: the latest).
    :raises EventSchemaError: the type is not declared or the payload does not match it.
    :raises RuntimeError: outside ``with transaction():``.
    """
    _write([(name, payload)], version)


def publish_all(events: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
    """Publish many ``(name, payload)`` events (latest versions) in a few statements, in this order."""
    _write(list(events), None)


# As json.dumps(payload, sort_keys=True, separators=(",", ":")), without building an encoder per event (an 835
# import publishes ten thousand).
_PAYLOAD_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


def _write(items: list[tuple[str, Mapping[str, Any]]], version: int | None) -> None:
    if not in_managed_transaction():
        raise RuntimeError("events are published inside `with medoffice.db.transaction():`, "
                           "so that they exist only if the fact they report commits")
    if not items:
        return
    types = event_types()
    now = utcnow()
    rows = []
    for name, payload in items:
        event_type = types.get(name, version)
        rows.append({"name": name, "version": event_type.version, "published_at": now,
                     "payload": _PAYLOAD_JSON.encode(encode(event_type, payload))})
    if is_sqlite():
        first = _reserve(len(rows)) - len(rows) + 1
        for position, row in enumerate(rows, start=first):
            row["position"] = position
    else:
        before_commit(assign_positions)
    bulk.insert_rows(EventRecord, rows)  # plain multi-row statements: peewee's insert_many builds a tree per value
    names = getattr(_state, "names", None)
    if names is None:
        names = _state.names = set()
    names.update(name for name, _payload in items)
    _state.count = getattr(_state, "count", 0) + len(items)
    after_commit(_deliver_published)


def _reserve(count: int) -> int:
    """Add ``count`` to the position counter (locking its row until commit); returns the new value."""
    bump = Counter.update(value=Counter.value + count).where(Counter.name == POSITION_COUNTER)
    if not bump.execute():
        Counter.insert(name=POSITION_COUNTER, value=0).on_conflict_ignore().execute()
        bump.execute()
    return Counter.select(Counter.value).where(Counter.name == POSITION_COUNTER).scalar()


def assign_positions() -> None:
    """Number this transaction's events after every event committed before (a before-commit callback).

    Only this transaction's own rows lack a position: others' uncommitted rows are invisible to
    it, and every committed row has one. The range reserved spans this transaction's ids, so
    ``position = id + offset`` keeps their order in one statement.
    """
    low, high = (EventRecord.select(fn.MIN(EventRecord.id), fn.MAX(EventRecord.id))
                 .where(EventRecord.position.is_null()).tuples().get())
    if low is None:  # every event of this transaction was rolled back with a savepoint
        return
    last = _reserve(high - low + 1)
    offset = last - high
    EventRecord.update(position=EventRecord.id + offset).where(EventRecord.position.is_null()).execute()


def _deliver_published() -> None:
    """After the commit: deliver this thread's new events to their enabled subscribers now, or, when a page
    committed more than ``EVENTS_INLINE_LIMIT`` of them (an 835 of thousands of claims), from a background
    thread started now, so the page answers once its own work is committed."""
    names, _state.names = getattr(_state, "names", None) or set(), set()
    count, _state.count = getattr(_state, "count", 0), 0
    if not names or not has_app_context():
        return  # the delivery job picks them up
    if over_inline_limit(count):
        in_background(lambda: _deliver(names))
        return
    _deliver(names)


def over_inline_limit(count: int) -> bool:
    """True inside a request when ``count`` events are more than a page should wait for (``EVENTS_INLINE_LIMIT``)."""
    return has_request_context() and count > current_app.config.get("EVENTS_INLINE_LIMIT", INLINE_LIMIT)


def in_background(delivery: Callable[[], object]) -> None:
    """Run ``delivery`` in a thread of this process (with its own app context and connection), so the page
    answers now; :func:`wait_for_background_delivery` waits for it, and the delivery job finishes one that a
    stopped process left undone (subscriber cursors advance only with what they committed)."""
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run_in_thread, args=(app, delivery), name="medoffice-events", daemon=True)
    _background[:] = [t for t in _background if t.is_alive()] + [thread]
    thread.start()


def _deliver(names: set[str]) -> None:
    from ..tasks import failure_text
    from .delivery import deliver_names

    try:
        deliver_names(names)
    except Exception as exc:  # the fact is committed: its publisher must not see an error now
        log.error("delivering events after a commit failed (the delivery job will): %s", failure_text(exc)[0])


def _run_in_thread(app, delivery: Callable[[], object]) -> None:
    from ..tasks import app_thread_context

    with app_thread_context(app):
        delivery()


def wait_for_background_delivery(timeout: float | None = None) -> bool:
    """Wait until the deliveries started in background threads are done (tests, benchmarks, shutdown); returns
    True when none is still running. An interrupted one is finished by the delivery job."""
    while _background:
        thread = _background[0]
        thread.join(timeout)
        if thread.is_alive():
            return False
        _background.remove(thread)
    return True

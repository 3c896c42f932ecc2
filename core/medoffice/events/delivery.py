"""Delivery: each subscriber gets its events in position order, at least once, from its cursor.

One delivery step is one transaction: lock the subscriber's row (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so a second process skips a subscriber being delivered instead of doubling it; on
SQLite the immediate write transaction is the lock), read the next events after its cursor,
run the handler on each inside a savepoint, and move the cursor past what succeeded. The
handler's writes and the cursor commit together: a crash before the commit redoes the event,
never loses or doubles it. A handler that raises stops its subscriber at that event: the error
and the next attempt (backoff) are stored on the row, and the other subscribers go on.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from dataclasses import dataclass
from typing import Iterable

from ..db import is_sqlite, transaction, utcnow
from ..localtime import day_start_utc
from ..tasks import Failed, failure_text
from .models import EventRecord, EventSubscriber
from .registry import event_types, subscriptions
from .schema import Event, EventSchemaError, Subscription, decode

log = logging.getLogger("medoffice.events")

BATCH = 200
BACKOFF_MINUTES = (5, 10, 20, 40, 60)  # after the 1st, 2nd... failure; then every hour
MAX_PASSES = 20  # handlers that publish events for each other: the job finishes what is left
_state = threading.local()


@dataclass(frozen=True)
class Outcome:
    """What one delivery to one subscriber did.

    ``state``: ``caught_up``, ``failing`` (stopped at ``failing_position``), ``waiting`` (failed
    before; the next attempt is not due), ``busy`` (another process is delivering it) or
    ``disabled``.
    """

    subscriber: str
    delivered: int
    state: str
    failing_position: int | None = None
    error: str = ""


def backoff(attempts: int) -> dt.timedelta:
    """How long to wait after the ``attempts``-th failure in a row before trying again."""
    return dt.timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def start_time(start) -> dt.datetime | None:
    """When a subscription starts: None for "beginning", else the start of that day in the practice."""
    if start == "beginning":
        return None
    if isinstance(start, dt.date) and not isinstance(start, dt.datetime):
        return day_start_utc(start)
    raise ValueError(f"a subscription starts at 'beginning' or at a date, not {start!r}")


def _locked_row(name: str) -> EventSubscriber | None:
    query = EventSubscriber.select().where(EventSubscriber.name == name)
    if not is_sqlite():
        query = query.for_update(skip_locked=True)
    return query.first()


def _claim(plugin: str, subscription: Subscription) -> EventSubscriber | None:
    """The subscriber's row, locked for this transaction (created on first sight); None when busy."""
    row = _locked_row(subscription.name)
    if row is None and not EventSubscriber.select().where(EventSubscriber.name == subscription.name).exists():
        EventSubscriber.insert(name=subscription.name, plugin=plugin, start_at=start_time(subscription.start),
                               created_at=utcnow()).on_conflict_ignore().execute()
        row = _locked_row(subscription.name)
    return row


def _run_batch(row: EventSubscriber, subscription: Subscription, batch: list[EventRecord]):
    """Handle events in order until one fails; returns (last position handled or skipped, handled, failure)."""
    wanted = [r for r in batch if row.start_at is None or r.published_at >= row.start_at]
    if subscription.batch_handler is not None and len(wanted) > 1 and _handled_at_once(subscription, wanted):
        return batch[-1].position, len(wanted), None
    last, handled = row.delivered_position, 0
    for record in batch:
        if row.start_at is not None and record.published_at < row.start_at:
            last = record.position
            continue
        try:
            event = _event(record)
            with transaction():  # a savepoint: a failing handler leaves nothing behind
                subscription.handler(event)
        except Exception as exc:
            return last, handled, (record, exc)
        last, handled = record.position, handled + 1
    return last, handled, None


def _handled_at_once(subscription: Subscription, records: list[EventRecord]) -> bool:
    """True when the subscription's batch handler took every one of ``records``; on any failure its writes are
    rolled back and False says to hand them over one at a time, which stops at the event at fault and records
    its own error (so this one is not kept)."""
    try:
        events = [_event(record) for record in records]
        with transaction():  # a savepoint
            subscription.batch_handler(events)
    except Exception:
        return False
    return True


def _event(record: EventRecord) -> Event:
    """The handler's view of a stored event, its payload decoded by its declared type.

    :raises Failed: its type is no longer declared (its publisher was uninstalled).
    """
    try:
        event_type = event_types().get(record.name, record.version)
    except EventSchemaError as exc:
        raise Failed(str(exc)) from None
    return Event(record.position, record.name, record.version, decode(event_type, json.loads(record.payload)),
                 record.published_at)


def deliver_to(plugin: str, subscription: Subscription, force: bool = False) -> Outcome:
    """Deliver everything waiting for one subscriber, batch by batch, until done or a handler fails.

    :param force: try now even when a failure's next attempt is not due (a retry by hand).
    """
    total = 0
    while True:
        with transaction():
            row = _claim(plugin, subscription)
            if row is None:
                return Outcome(subscription.name, total, "busy")
            now = utcnow()
            if row.failing_position is not None and not force and row.next_attempt_at and row.next_attempt_at > now:
                return Outcome(subscription.name, total, "waiting", row.failing_position, row.error)
            batch = list(EventRecord.select()
                         .where((EventRecord.position > row.delivered_position)
                                & EventRecord.name.in_(list(subscription.events)))
                         .order_by(EventRecord.position).limit(BATCH))
            last, handled, failure = _run_batch(row, subscription, batch)
            values = {EventSubscriber.delivered_position: last,
                      EventSubscriber.delivered_count: EventSubscriber.delivered_count + handled}
            if handled:
                values[EventSubscriber.last_delivered_at] = now
            if failure is None:
                values.update({EventSubscriber.failing_position: None, EventSubscriber.error: "",
                               EventSubscriber.error_detail: "", EventSubscriber.attempts: 0,
                               EventSubscriber.next_attempt_at: None})
            else:
                record, exc = failure
                message, detail = failure_text(exc)
                attempts = (row.attempts if row.failing_position == record.position else 0) + 1
                values.update({EventSubscriber.failing_position: record.position, EventSubscriber.error: message,
                               EventSubscriber.error_detail: detail, EventSubscriber.attempts: attempts,
                               EventSubscriber.failed_at: now,
                               EventSubscriber.next_attempt_at: now + backoff(attempts)})
            EventSubscriber.update(values).where(EventSubscriber.id == row.id).execute()
        total += handled
        if failure is not None:
            record, _exc = failure
            # The handler's error text may quote patient data: the log gets the recorded message only.
            log.warning("event subscriber %s stopped at event %s (%s): %s", subscription.name, record.position,
                        record.name, message)
            return Outcome(subscription.name, total, "failing", record.position, message)
        if len(batch) < BATCH:
            return Outcome(subscription.name, total, "caught_up")
        force = False


def _deliver_each(pairs: Iterable[tuple[str, Subscription]], force: bool = False) -> list[Outcome]:
    outcomes = []
    for plugin, subscription in pairs:
        try:
            outcomes.append(deliver_to(plugin, subscription, force))
        except Exception as exc:  # the machinery itself (a lock timeout, the database gone): the job retries
            message, _detail = failure_text(exc)
            log.error("delivering events to %s failed: %s", subscription.name, message)
            outcomes.append(Outcome(subscription.name, 0, "busy", error=message))
    return outcomes


def _guarded(work) -> list[Outcome]:
    """Run ``work()``; events a handler publishes meanwhile are delivered by the same loop, not recursively."""
    if getattr(_state, "pending", None) is not None:
        return []
    _state.pending = set()
    try:
        outcomes = work()
        for _ in range(MAX_PASSES):
            names, _state.pending = _state.pending, set()
            if not names:
                break
            outcomes += _deliver_each([(p, s) for p, s in subscriptions() if set(s.events) & names])
        return outcomes
    finally:
        _state.pending = None


def deliver_names(names: set[str]) -> list[Outcome]:
    """Deliver to the enabled subscribers of any of ``names`` (right after a publishing commit)."""
    pending = getattr(_state, "pending", None)
    if pending is not None:  # inside a delivery: its loop picks these up
        pending.update(names)
        return []
    return _guarded(lambda: _deliver_each([(p, s) for p, s in subscriptions() if set(s.events) & names]))


def deliver_all(plugin: str | None = None) -> list[Outcome]:
    """Deliver to every enabled subscriber (or those of ``plugin``): the job, and catching up on enable."""
    return _guarded(lambda: _deliver_each([(p, s) for p, s in subscriptions() if plugin in (None, p)]))


class UnknownSubscriber(LookupError):
    """No installed module declares a subscription by that name."""


def retry(name: str) -> Outcome:
    """Deliver to one subscriber now, even when its next attempt is not due (the retry button and CLI).

    :raises UnknownSubscriber: no loaded plugin declares it. A disabled plugin's subscriber
        answers ``disabled`` and is left alone.
    """
    for plugin, subscription in subscriptions(enabled_only=False):
        if subscription.name == name:
            if (plugin, subscription) not in subscriptions():
                return Outcome(name, 0, "disabled")
            outcomes = _guarded(lambda: _deliver_each([(plugin, subscription)], force=True))
            return outcomes[0] if outcomes else Outcome(name, 0, "busy")  # asked from inside a delivery
    raise UnknownSubscriber(f"no installed module has an event subscriber named {name!r}")

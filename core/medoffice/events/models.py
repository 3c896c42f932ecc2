"""The event log (core_event) and each subscriber's cursor (core_event_subscriber)."""
from __future__ import annotations

import peewee as pw

from ..db import BaseModel, UTCDateTimeField, utcnow


class EventRecord(BaseModel):
    """One published event. Never updated once its transaction committed.

    ``position`` is the commit order: assigned just before the publishing transaction commits,
    under the lock of one counter row, so a higher position always committed later (ids from
    the sequence do not: they are taken at insert time). Null only inside the uncommitted
    transaction that published it. On SQLite, whose one writer holds the write lock until it
    commits, it is assigned as the event is written.
    """

    position = pw.BigIntegerField(null=True, unique=True)
    name = pw.CharField(max_length=120)
    version = pw.IntegerField()
    payload = pw.TextField()  # JSON of plain values (see medoffice.events.schema)
    published_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_event"
        indexes = ((("name", "position"), False),)


class EventSubscriber(BaseModel):
    """Where one subscription stands: the last event it handled, and its failure if it is stuck.

    The row is locked while its events are delivered (one deliverer per subscriber at a time)
    and updated in the same transaction as the handler's own writes.
    """

    name = pw.CharField(max_length=120, unique=True)
    plugin = pw.CharField(max_length=60)
    delivered_position = pw.BigIntegerField(default=0)  # every event up to here is handled (or skipped)
    start_at = UTCDateTimeField(null=True)  # events published before this are skipped
    delivered_count = pw.BigIntegerField(default=0)
    last_delivered_at = UTCDateTimeField(null=True)
    failing_position = pw.BigIntegerField(null=True)
    error = pw.TextField(default="")
    error_detail = pw.TextField(default="")
    attempts = pw.IntegerField(default=0)
    failed_at = UTCDateTimeField(null=True)
    next_attempt_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_event_subscriber"


EVENT_MODELS = [EventRecord, EventSubscriber]

"""Event types and subscriptions (the records plugins return from the event hooks) and payload checks.

A payload holds plain values only, so an event means the same thing to every subscriber for
ever, whatever happens to the publisher's models: integers (ids, cents), text, booleans,
calendar dates and aware timestamps, or None where a field is declared optional. Stored as
JSON: dates and timestamps as ISO text, read back as ``datetime.date`` / aware ``datetime``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

# A field's kind; a trailing "?" allows None ("int?").
KINDS = ("int", "cents", "str", "bool", "date", "timestamp")


class EventSchemaError(ValueError):
    """A payload does not match its event type (or the event type is not declared)."""


@dataclass(frozen=True)
class EventType:
    """A kind of fact a plugin publishes, named ``<plugin>.<what>`` and versioned.

    ``fields`` maps each payload key to its kind: ``int``, ``cents`` (an integer of cents),
    ``str``, ``bool``, ``date``, ``timestamp`` (aware), each optionally ending in ``?`` when the
    value may be None. A payload must carry exactly these keys. Publish a new version (declare
    both) when a field changes meaning or is removed; subscribers see ``event.version``.
    """

    name: str
    version: int
    fields: Mapping[str, str]
    description: str = ""

    @property
    def ref(self) -> str:
        """``name vN``: unique across plugins (the contract checks it)."""
        return f"{self.name} v{self.version}"


@dataclass(frozen=True)
class Subscription:
    """A plugin's standing order for events: ``handler(event)`` is called once per event, in order.

    ``name`` (``<plugin>.<what>``) identifies the subscriber's cursor in the database: keep it
    stable. ``start`` is ``"beginning"`` (every event ever published) or a ``datetime.date``
    (events published from that day on, in the practice's time zone), read when the subscriber
    is first seen. The handler runs inside the transaction that advances the cursor: whatever
    it writes commits with the cursor or not at all. Raising stops this subscriber at the event
    (recorded, retried with backoff, shown to admins); other subscribers go on.

    ``batch_handler(events)``, when given, handles a delivery batch's events (in order, several
    at once) with the same effect as ``handler`` on each in turn: for catching up on thousands of
    events in a few statements. When it raises, its writes are rolled back and the batch is handled
    one event at a time by ``handler``, so a failure still stops the subscriber at its own event.
    """

    name: str
    events: Sequence[str]
    handler: Callable[[Event], Any]
    start: str | dt.date = "beginning"
    title: str = ""
    batch_handler: Callable[[list[Event]], Any] | None = None


@dataclass(frozen=True)
class Event:
    """One published event as a handler receives it: ``data`` holds the decoded payload."""

    position: int
    name: str
    version: int
    data: dict[str, Any] = field(default_factory=dict)
    published_at: dt.datetime | None = None


def check_type(event_type: EventType) -> list[str]:
    """Problems with a declaration (unknown kinds, a version below 1, no fields)."""
    problems = []
    if not isinstance(event_type.version, int) or isinstance(event_type.version, bool) or event_type.version < 1:
        problems.append(f"event type {event_type.name}: the version must be a whole number from 1")
    for key, kind in event_type.fields.items():
        if kind.rstrip("?") not in KINDS:
            problems.append(f"event type {event_type.ref}: field {key!r} has unknown kind {kind!r} "
                            f"(use {', '.join(KINDS)}, optionally ending in '?')")
    return problems


def _encode_value(ref: str, key: str, kind: str, value) -> Any:
    base, optional = kind.rstrip("?"), kind.endswith("?")
    where = f"{ref}: {key}"
    if value is None:
        if optional:
            return None
        raise EventSchemaError(f"{where} may not be None")
    if base in ("int", "cents"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise EventSchemaError(f"{where} must be an integer{' of cents' if base == 'cents' else ''}, "
                                   f"not {type(value).__name__}")
        return value
    if base == "str":
        if not isinstance(value, str):
            raise EventSchemaError(f"{where} must be text, not {type(value).__name__}")
        return value
    if base == "bool":
        if not isinstance(value, bool):
            raise EventSchemaError(f"{where} must be True or False, not {type(value).__name__}")
        return value
    if base == "date":
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise EventSchemaError(f"{where} must be an ISO date (YYYY-MM-DD), not {value!r}") from None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise EventSchemaError(f"{where} must be a date, not {type(value).__name__}")
        return value.isoformat()
    # timestamp
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise EventSchemaError(f"{where} must be an ISO timestamp, not {value!r}") from None
    if not isinstance(value, dt.datetime):
        raise EventSchemaError(f"{where} must be a timestamp, not {type(value).__name__}")
    if value.tzinfo is None:
        raise EventSchemaError(f"{where} must be an aware timestamp (with its time zone)")
    return value.astimezone(dt.timezone.utc).isoformat()


def encode(event_type: EventType, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The payload as JSON-ready plain values, checked against ``event_type``.

    :raises EventSchemaError: a missing or undeclared key, or a value of the wrong kind (a float,
        a model, a naive timestamp...).
    """
    if type(payload) is not dict and not isinstance(payload, Mapping):
        raise EventSchemaError(f"{event_type.ref}: the payload must be a mapping of field to value")
    if payload.keys() != event_type.fields.keys():
        missing = [k for k in event_type.fields if k not in payload]
        extra = [k for k in payload if k not in event_type.fields]
        parts = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"undeclared {', '.join(map(str, extra))}"] if extra else [])
        raise EventSchemaError(f"{event_type.ref}: " + "; ".join(parts))
    return {key: encode_value(payload[key]) for key, encode_value in _encoders(event_type)}


_UTC = dt.timezone.utc
_FAST = {  # a value of exactly this type, already plain: written as it is without the checks' branching
    "int": (int, None), "cents": (int, None), "str": (str, None), "bool": (bool, None),
    "date": (dt.date, dt.date.isoformat),
}
_encoders_of: dict[tuple[str, tuple], list[tuple[str, Callable[[Any], Any]]]] = {}


def _encoders(event_type: EventType) -> list[tuple[str, Callable[[Any], Any]]]:
    """Each field's encoder, made once per declared type (a large posting publishes tens of thousands of events):
    the common value (an int, text, a date, a UTC timestamp) takes a type check; anything else, None and every
    mistake go through ``_encode_value``, which says what is wrong."""
    key = (event_type.ref, tuple(event_type.fields.items()))
    found = _encoders_of.get(key)
    if found is None:
        found = _encoders_of[key] = [(name, _encoder(event_type.ref, name, kind))
                                     for name, kind in event_type.fields.items()]
    return found


def _encoder(ref: str, key: str, kind: str) -> Callable[[Any], Any]:
    base = kind.rstrip("?")

    def checked(value):
        return _encode_value(ref, key, kind, value)

    if base == "timestamp":
        def timestamp(value):
            if type(value) is dt.datetime and value.tzinfo is _UTC:
                return value.isoformat()
            return checked(value)
        return timestamp
    exact, write = _FAST[base]
    if write is None:
        return lambda value: value if type(value) is exact else checked(value)
    return lambda value: write(value) if type(value) is exact else checked(value)


def decode(event_type: EventType, stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored payload with dates and timestamps as Python values again."""
    data = {}
    for key, kind in event_type.fields.items():
        value = stored.get(key)
        base = kind.rstrip("?")
        if value is not None and base == "date":
            value = dt.date.fromisoformat(value)
        elif value is not None and base == "timestamp":
            value = dt.datetime.fromisoformat(value)
        data[key] = value
    return data

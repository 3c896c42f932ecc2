"""Timestamps as people in the practice read them: in the practice's time zone (setting
``core.timezone``), with the zone's abbreviation where a reader could take it for another zone.

Timestamps are stored in UTC; a naive one read back from the database is UTC too. Templates use
the ``localtime`` filter (``{{ claim.submitted_at|localtime }}`` gives "2026-03-04 09:05 EST", the
date in the practice's format, ``medoffice.dates``) and ``localdate`` for a date or a timestamp's
local date.
"""
from __future__ import annotations

import datetime as dt

from .dates import format_date, pattern
from .settings import practice_timezone


def to_local(value: dt.datetime) -> dt.datetime:
    """``value`` (aware, or naive UTC) in the practice's time zone."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(practice_timezone())


def local_datetime(value: dt.datetime | None, zone: bool = True, seconds: bool = False, empty: str = "") -> str:
    """``value`` as "YYYY-MM-DD HH:MM" (the date in the practice's format) in the practice's zone,
    followed by the zone ("EST") unless ``zone`` is false; ``empty`` for no value."""
    if value is None:
        return empty
    local = to_local(value)
    text = local.strftime(f"{pattern()} %H:%M:%S" if seconds else f"{pattern()} %H:%M")
    return f"{text} {local.strftime('%Z')}" if zone else text


def zone_abbreviation(value: dt.datetime | None = None) -> str:
    """The practice zone's abbreviation at ``value`` (default now), such as "EST" or "EDT"."""
    return to_local(value or dt.datetime.now(dt.timezone.utc)).strftime("%Z")


def local_date(value: dt.date | dt.datetime | None, empty: str = "") -> str:
    """A date, or a timestamp's date in the practice's zone, in the practice's date format; ``empty`` for None."""
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return format_date(value, empty)


def day_start_utc(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` where the practice is, in UTC: the lower bound of that day's stored timestamps."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=practice_timezone()).astimezone(dt.timezone.utc)


def days_utc(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC bounds of the practice-local days ``start`` to ``end`` (both included): ``low <= at < high``."""
    return day_start_utc(start), day_start_utc(end + dt.timedelta(days=1))

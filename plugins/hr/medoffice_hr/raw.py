"""Column values read raw from the cursor (``prepared.run(...).cursor``), skipping peewee's per-row
conversion on lists of hundreds of rows: SQLite gives dates and timestamps as ISO text, PostgreSQL
as ``date`` and naive UTC ``datetime`` objects."""
from __future__ import annotations

import datetime as dt


def naive_utc(stored) -> dt.datetime | None:
    """A timestamp column as a naive UTC datetime (None stays None)."""
    return dt.datetime.fromisoformat(stored) if isinstance(stored, str) else stored


def day(stored) -> dt.date | None:
    """A date column as a date (None stays None)."""
    return dt.date.fromisoformat(stored) if isinstance(stored, str) else stored

"""Plain rows for finance's lists: the cursor's own tuples, without a model per row or peewee's converters."""
from __future__ import annotations

import datetime as dt

from peewee import ModelSelect


class PlainSelect(ModelSelect):
    """A query whose rows are the cursor's own tuples: ids, text, flags and cents need no conversion, and a model
    costs a field assignment, peewee's converters a call, per column of every row. Build it as
    ``PlainSelect(Model, [columns])``; dates come as the database gives them (see ``plain_date``)."""

    def _get_cursor_wrapper(self, cursor):
        return cursor.fetchall()


def plain_date(value) -> dt.date | None:
    """A date column's value as a date: SQLite gives the text peewee's DateField stores ("2026-03-01"),
    PostgreSQL a date."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value

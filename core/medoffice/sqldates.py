"""Date arithmetic in queries that reads the same on SQLite and PostgreSQL.

SQLite keeps dates as ``YYYY-MM-DD`` text and computes with ``julianday()`` and ``date(x, '+N
days')``; PostgreSQL subtracts dates to a whole number of days and adds an integer to a date.
These build the right expression for the database in use, so a plugin writes
``where(days_between(Task.due, today) > 30)`` once. Operands are date columns (``DateField``),
other expressions, or Python dates; a day count may be an integer or an integer column.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw

from .db import is_sqlite


def _date(value):
    """A date operand as the database compares it (a Python date becomes a parameter)."""
    if isinstance(value, dt.datetime):
        raise TypeError("sqldates works on dates; give a date, not a datetime")
    if isinstance(value, dt.date):
        return pw.Value(value.isoformat()) if is_sqlite() else pw.Cast(pw.Value(value.isoformat()), "date")
    return value if is_sqlite() else pw.Cast(value, "date")


def _as_date(value):
    return value if value is None or isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def days_between(start, end) -> pw.Node:
    """Whole days from ``start`` to ``end`` (negative when ``end`` is earlier), as an integer expression."""
    if is_sqlite():
        return pw.Cast(pw.fn.julianday(_date(end)) - pw.fn.julianday(_date(start)), "INTEGER")
    return _date(end) - _date(start)


def add_days(day, days) -> pw.Node:
    """The date ``days`` after ``day`` (before it when negative); read back as a ``datetime.date``."""
    count = pw.Value(int(days)) if isinstance(days, int) else days
    if is_sqlite():
        return pw.fn.date(_date(day), pw.fn.printf("%+d days", count)).python_value(_as_date)
    return _date(day) + count  # PostgreSQL answers with a date

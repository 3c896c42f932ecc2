"""Ranges that typed input must stay within, so the database and date arithmetic never overflow.

A page number of twenty digits does not fit an SQLite or PostgreSQL integer, and a report from
0001-01-01 or to 9999-12-31 runs off the calendar as soon as it steps a day or an aging bucket
past it. Input outside these ranges is refused with a message (4xx), never passed on:
:mod:`medoffice.web.query` for query arguments, :class:`DateInRange` and :class:`WholeNumberInRange`
for WTForms fields (report parameters, filters).
"""
from __future__ import annotations

import datetime as dt

from wtforms.validators import StopValidation

MAX_ID = 2**31 - 1  # the largest id a table holds (a PostgreSQL integer)
MAX_PAGE = 100_000  # pages of a list; far beyond any list, far below an overflow
MAX_WHOLE_NUMBER = 10**9  # a count or amount of whole dollars a person types into a filter
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


def number_problem(value: int, minimum: int, maximum: int) -> str | None:
    """"Use a whole number from 1 to 100,000." when ``value`` is outside the range, else None."""
    if minimum <= value <= maximum:
        return None
    return f"Use a whole number from {minimum:,} to {maximum:,}."


def date_problem(value: dt.date) -> str | None:
    """A message when ``value`` is outside ``EARLIEST_DATE``..``LATEST_DATE``, else None."""
    if EARLIEST_DATE <= value <= LATEST_DATE:
        return None
    return f"Use a date from {EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}."


class DateInRange:
    """WTForms validator: a parsed date within ``EARLIEST_DATE``..``LATEST_DATE`` (blank passes)."""

    def __call__(self, form, field):
        problem = date_problem(field.data) if isinstance(field.data, dt.date) else None
        if problem:
            raise StopValidation(problem)


class WholeNumberInRange:
    """WTForms validator: a parsed integer within ``minimum``..``maximum`` (blank passes)."""

    def __init__(self, minimum: int = -MAX_WHOLE_NUMBER, maximum: int = MAX_WHOLE_NUMBER):
        self.minimum, self.maximum = minimum, maximum

    def __call__(self, form, field):
        problem = number_problem(field.data, self.minimum, self.maximum) if isinstance(field.data, int) else None
        if problem:
            raise StopValidation(problem)

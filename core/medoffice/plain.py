"""Plain rows for list pages: a light row per result, not a model or a namespace built through peewee's
converters column by column.

``PlainSelect(Model, [columns])`` is a peewee select like any other (joins, where, order, limit, and
``medoffice.prepared`` compiles it once); only its rows differ. Use it where a page reads many rows to show
them, not where it changes them.
"""
from __future__ import annotations

import datetime as dt
from collections import namedtuple
from functools import lru_cache

import peewee as pw
from medoffice.db import UTCDateTimeField


def _plain(field) -> bool:
    """True when both drivers already give ``field``'s values as peewee would (ids, counts, cents, text): peewee's
    conversion of them is a call per cell that changes nothing."""
    if isinstance(field, pw.ForeignKeyField):
        field = field.rel_field
    return (isinstance(field, (pw.IntegerField, pw.CharField, pw.TextField))
            and type(field).python_value is pw.Field.python_value
            and type(field).adapt in (pw.IntegerField.adapt, pw.CharField.adapt))


def _converter(field, python_value):
    """``python_value``, or for a timestamp the same conversion quicker: SQLite gives the text peewee stored
    ("2026-03-02 15:04:05.123456"), which ``fromisoformat`` reads several times faster than peewee's formats tried
    in turn (a list shows one or two timestamps a row)."""
    if not isinstance(field, UTCDateTimeField):
        return python_value

    def timestamp(value):
        if isinstance(value, str) and len(value) in (19, 26) and value[10] == " ":
            return dt.datetime.fromisoformat(value).replace(tzinfo=dt.timezone.utc)
        return python_value(value)
    return timestamp


def stored_value_reader(field):
    """peewee's conversion of ``field``'s values as a driver gives them (a timestamp's the quicker one above), for
    a page that reads a column unconverted and converts only the values it draws anew."""
    return _converter(field, field.python_value)


@lru_cache(maxsize=256)
def _row_class(names: tuple[str, ...]) -> type:
    # A subclass, so rows also have a __dict__: pages set more on them (the row's patient, its claim's columns).
    return type("Row", (namedtuple("Row", names),), {})


MAX_PLANS = 256
_plans: dict[tuple, tuple] = {}  # (model, result columns, ids of the selected nodes) -> (nodes, row maker, conversions)


class _Reader(pw.ModelDictCursorWrapper):
    valid_identifiers = True  # the columns named as ``.objects()`` names them

    def _plan(self) -> tuple:
        """The row maker and the conversions, worked out once per select list and result columns: peewee resolves
        every column against the model on each query (30 to 40 µs for a list of 15 columns)."""
        selected = tuple(self.select)
        key = (self.model, tuple(column[0] for column in self.cursor.description), tuple(map(id, selected)))
        found = _plans.get(key)
        # a plan keeps its nodes alive, so no other node can take one of their ids while it is kept
        if found is not None and all(a is b for a, b in zip(found[0], selected)):
            return found[1], found[2]
        self.initialize()
        make = _row_class(tuple(self.unique_columns))._make
        convert = [(i, _converter(self.fields[i], self.converters[i])) for i in self.convert
                   if not _plain(self.fields[i])]
        if len(_plans) >= MAX_PLANS:
            _plans.clear()
        _plans[key] = (selected, make, convert)
        return make, convert

    def rows(self) -> list:
        """Every row of the cursor, converted where peewee's conversion changes something."""
        make, convert = self._plan()
        found = self.cursor.fetchall()
        self.cursor.close()
        if not convert:
            return list(map(make, found))
        rows = []
        for raw in found:
            values = list(raw)
            for i, python_value in convert:
                values[i] = python_value(values[i])
            rows.append(make(values))
        return rows


class PlainSelect(pw.ModelSelect):
    """A select (``PlainSelect(Model, [columns])``) whose rows are named tuples of its columns, named as
    ``.objects()`` would name them and holding the same values: dates, timestamps, flags and computed columns
    converted as peewee converts them, the rest (ids, cents, text) as the driver gives them. Every row is
    fetched at once (a page of a list). A row takes further attributes (``row.patient = ...``)."""

    def _get_cursor_wrapper(self, cursor):
        return _Reader(cursor, self.model, self._returning).rows()

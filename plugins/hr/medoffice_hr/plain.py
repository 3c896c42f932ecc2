"""Plain rows for HR's lists: a named tuple per row of the cursor's values, not a namespace filled through
peewee's converters column by column."""
from __future__ import annotations

from collections import namedtuple
from functools import lru_cache

import peewee as pw


def _plain(field) -> bool:
    """True when both drivers already give ``field``'s values as peewee would (ids, text): peewee's conversion
    of them is a call per cell that changes nothing."""
    if isinstance(field, pw.ForeignKeyField):
        field = field.rel_field
    return (isinstance(field, (pw.IntegerField, pw.CharField, pw.TextField))
            and type(field).python_value is pw.Field.python_value
            and type(field).adapt in (pw.IntegerField.adapt, pw.CharField.adapt))


@lru_cache(maxsize=64)
def _row_class(names: tuple[str, ...]) -> type:
    return namedtuple("Row", names)


class _Reader(pw.ModelDictCursorWrapper):
    valid_identifiers = True  # the columns named as ``.objects()`` names them

    def rows(self) -> list:
        """Every row of the cursor, converted where peewee's conversion changes something (dates, flags)."""
        self.initialize()
        make = _row_class(tuple(self.unique_columns))._make
        convert = [(i, self.converters[i]) for i in self.convert if not _plain(self.fields[i])]
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
    ``.objects()`` names them and holding the same values: dates and flags converted as peewee converts them,
    ids and text as the driver gives them. Every row is fetched at once (a page of a list)."""

    def _get_cursor_wrapper(self, cursor):
        return _Reader(cursor, self.model, self._returning).rows()

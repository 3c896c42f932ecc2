"""Multi-row INSERT for hot paths: thousands of rows (ledger entries, audit entries) in a few statements.

peewee builds a query tree per row and value, which costs far more than the database work when
thousands of rows go in at once. ``insert_rows`` writes plain parameterised statements instead;
every value still goes through its field's ``db_value``, so dates, timestamps and foreign keys
are stored exactly as the model would store them.

On PostgreSQL each column travels as one array and the server unnests them: a statement has as
many parameters as the table has columns, however many rows it carries (tens of thousands of
bound values cost more to bind and plan than to insert). On SQLite it is one multi-row VALUES
statement per chunk under the bound-parameter limit.
"""
from __future__ import annotations

import peewee

from .db import db, is_sqlite

SQLITE_MAX_PARAMETERS = 30_000  # under SQLite's limit of 32,766 bound parameters per statement
POSTGRES_ROWS = 10_000  # rows per unnest statement: bounds the size of one statement's arrays
_ARRAY_BASE = {"AUTO": "INT", "BIGAUTO": "BIGINT"}  # serial types cannot be cast to; their column type can


def insert_rows(model, rows: list[dict], returning: tuple = ()) -> list[tuple]:
    """Insert ``rows`` into ``model``'s table in a few statements, inside the caller's transaction.

    :param rows: dicts with the same keys (field names); fields left out get their default.
    :param returning: fields to read back for each inserted row (rows come back in any order).
    :return: the returned tuples, or [] when nothing is asked back.
    :raises ValueError: a key is not a field of the model, or the rows do not all have the same keys.
    """
    if not rows:
        return []
    fields, values = _columns(model, rows)
    table = f'"{model._meta.table_name}"'
    names = ", ".join(f'"{field.column_name}"' for field in fields)
    back = (" RETURNING " + ", ".join(f'"{field.column_name}"' for field in returning)) if returning else ""
    if is_sqlite():
        statements = _sqlite_statements(table, names, back, values, len(rows))
    else:
        statements = _postgres_statements(table, names, back, fields, values, len(rows))
    found: list[tuple] = []
    for sql, params in statements:
        cursor = db.execute_sql(sql, params)
        if returning:
            found.extend(tuple(row) for row in cursor.fetchall())
    return found


def _columns(model, rows: list[dict]) -> tuple[list, list[list]]:
    """The fields written and, per field, its database values for every row (defaults filled in)."""
    meta = model._meta
    keys = rows[0].keys()
    unknown = [key for key in keys if key not in meta.fields]
    if unknown:
        raise ValueError(f"{model.__name__} has no field {unknown[0]!r}.")
    for number, row in enumerate(rows, start=1):
        if row.keys() != keys:
            raise ValueError(f"Row {number} of {len(rows)} for {model.__name__} has other fields than the first "
                             f"({sorted(row)} instead of {sorted(keys)}).")
    fields = [meta.fields[key] for key in keys]
    values = [_column(field, [row[field.name] for row in rows]) for field in fields]
    for field in meta.sorted_fields:
        if field.name not in keys and field.default is not None:
            default = field.default
            fields.append(field)
            values.append([field.db_value(default() if callable(default) else default) for _ in rows])
    return fields, values


# Fields whose ``db_value`` gives back a value of exactly this type unchanged (peewee's own classes only: a
# subclass may convert in its own way). Their values skip the call: ~0.4 µs each, a quarter of a million
# of them in an 835 import's ledger entries, events and audit entries.
_UNCHANGED = {peewee.IntegerField: int, peewee.BigIntegerField: int, peewee.AutoField: int,
              peewee.BigAutoField: int, peewee.CharField: str, peewee.TextField: str}


def _column(field, values: list) -> list:
    """``field.db_value`` of each value, skipping the call where it would return the value as it is, and
    converting a run of the same object once (a posting's timestamp, on every one of its rows)."""
    target = field.rel_field if type(field) is peewee.ForeignKeyField else field
    plain = _UNCHANGED.get(type(target))
    convert = field.db_value
    if plain is not None:
        return [value if value is None or type(value) is plain else convert(value) for value in values]
    converted, last, stored = [], _NOTHING, None
    for value in values:
        if value is not last:
            last, stored = value, convert(value)
        converted.append(stored)
    return converted


_NOTHING = object()


def _sqlite_statements(table: str, names: str, back: str, values: list[list], count: int):
    """One multi-row VALUES statement per chunk of rows under the bound-parameter limit."""
    width = len(values)
    marks = "(" + ", ".join([db.param] * width) + ")"
    size = max(1, SQLITE_MAX_PARAMETERS // width)
    for start in range(0, count, size):
        end = min(count, start + size)
        sql = f"INSERT INTO {table} ({names}) VALUES " + ", ".join([marks] * (end - start)) + back
        yield sql, [column[index] for index in range(start, end) for column in values]


def _postgres_statements(table: str, names: str, back: str, fields: list, values: list[list], count: int):
    """One INSERT ... SELECT FROM unnest(arrays) per chunk: one array parameter per column, cast to its type."""
    types = db.obj.get_context_options()["field_types"]
    # %b: psycopg sends the arrays in binary; the text form escapes every quote of every element
    # (JSON columns such as an 835's raw claim payments made that the slowest part of an import).
    arrays = ", ".join(f"%b::{types.get(kind, kind)}[]"
                       for kind in (_ARRAY_BASE.get(field.field_type, field.field_type) for field in fields))
    sql = f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}){back}"
    for start in range(0, count, POSTGRES_ROWS):
        yield sql, [column[start:start + POSTGRES_ROWS] for column in values]


def reserve_ids(model, count: int) -> list[int]:
    """``count`` new primary-key values for ``model``'s table, ascending, for rows the caller inserts with
    explicit ids (inside its write transaction) so that it knows which row is which without reading back.

    PostgreSQL takes them from the column's sequence; on SQLite the transaction holds the database's write
    lock, so the ids after the highest one are the caller's, as SQLite itself would assign them.
    """
    if count <= 0:
        return []
    table, column = model._meta.table_name, model._meta.primary_key.column_name
    if is_sqlite():
        top = db.execute_sql(f'SELECT COALESCE(MAX("{column}"), 0) FROM "{table}"').fetchone()[0]
        return list(range(top + 1, top + 1 + count))
    cursor = db.execute_sql("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                            (table, column, count))
    return sorted(row[0] for row in cursor.fetchall())

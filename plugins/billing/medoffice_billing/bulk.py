"""Multi-row INSERT for the hot paths (posting an 835 of thousands of claims).

peewee builds a query tree per row and value, which costs far more than the database work when
thousands of ledger entries go in at once. ``insert_rows`` writes one plain parameterised
statement per chunk instead; every value still goes through its field's ``db_value``, so dates,
timestamps and foreign keys are stored exactly as the model would store them.
"""
from __future__ import annotations

from medoffice.db import db

MAX_PARAMETERS = 30_000  # under SQLite's limit of 32,766 bound parameters per statement


def insert_rows(model, rows: list[dict], returning: tuple = ()) -> list[tuple]:
    """Insert ``rows`` (dicts with the same keys: field names, every non-null column given).

    :param returning: fields to read back for each inserted row (any order of rows).
    :return: the returned tuples, or [] when nothing is asked back.
    """
    if not rows:
        return []
    fields = [model._meta.fields[name] for name in rows[0]]
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    row_marks = "(" + ", ".join([db.param] * len(fields)) + ")"
    back = (" RETURNING " + ", ".join(f'"{field.column_name}"' for field in returning)) if returning else ""
    size = max(1, MAX_PARAMETERS // len(fields))
    found: list[tuple] = []
    for start in range(0, len(rows), size):
        chunk = rows[start:start + size]
        sql = f'INSERT INTO "{model._meta.table_name}" ({columns}) VALUES ' + ", ".join([row_marks] * len(chunk)) + back
        params = [field.db_value(row[field.name]) for row in chunk for field in fields]
        cursor = db.execute_sql(sql, params)
        if returning:
            found.extend(tuple(row) for row in cursor.fetchall())
    return found

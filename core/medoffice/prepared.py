"""Queries whose SQL is compiled once per shape and database engine, then run with new values.

peewee turns a query into SQL by walking its node tree, which costs ~100 µs for a list page's
query: several times what SQLite needs to run it. A page runs the same few query shapes over and
over with different values, so the hot ones are built with :func:`slot` placeholders where the
values go, and :func:`run` compiles each shape once and afterwards only binds the values::

    query = Claim.select().where(Claim.status == slot("status")).limit(slot("limit"))
    rows = list(run(query, ("billing.claims", sort), status="denied", limit=25))

The key names the shape: everything that changes the SQL text (which filters are applied, the
sort column and direction) must be part of it; values are not. Slots take their column's
``db_value`` conversion, so dates and timestamps are stored exactly as the model would store them.
Under the test suite (``MEDOFFICE_VERIFY_PREPARED=1``) every run compiles afresh and checks the
cached text, so a key that misses part of the shape fails a test instead of running wrong SQL.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import peewee

from .db import db

MAX_SHAPES = 512  # compiled statements kept per engine; keys come from validated request arguments


class Slot(peewee.Node):
    """A named placeholder for a value bound when the query runs."""

    def __init__(self, name: str):
        self.name = name

    def __sql__(self, ctx):
        ctx._values.append(_Bound(self.name, ctx.state.converter))
        return ctx.literal(ctx.state.param or "?")


def slot(name: str) -> Slot:
    """A placeholder for the value ``name`` given to :func:`run`."""
    return Slot(name)


@dataclass(frozen=True)
class _Bound:
    name: str
    converter: object

    def value(self, values: dict):
        try:
            value = values[self.name]
        except KeyError:
            raise TypeError(f"the query needs a value for {self.name!r}") from None
        return self.converter(value) if self.converter and value is not None else value


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple

    def bind(self, values: dict) -> tuple:
        return tuple(p.value(values) if isinstance(p, _Bound) else p for p in self.params)


_compiled: dict[tuple, _Compiled] = {}


VERIFY = os.environ.get("MEDOFFICE_VERIFY_PREPARED") == "1"  # read once: a page runs dozens of prepared queries


def _verify() -> bool:
    return VERIFY


def compiled(query, key) -> tuple[str, tuple]:
    """The SQL text and parameters (values as placeholders) of ``query`` for the bound database.

    :param key: the query's shape; None compiles afresh without keeping it (a one-off shape).
    """
    database = db.obj
    if key is None:
        sql, params = database.get_sql_context().parse(query)
        return sql, tuple(params)
    cache_key = (type(database), key)
    found = _compiled.get(cache_key)
    if found is None or _verify():
        sql, params = database.get_sql_context().parse(query)
        fresh = _Compiled(sql, tuple(params))
        if found is not None and (found.sql, found.params) != (fresh.sql, fresh.params):
            raise AssertionError(f"prepared query key {key!r} covers two shapes (or fixed values):\n"
                                 f"{found.sql} {found.params}\n{fresh.sql} {fresh.params}")
        if found is None:
            if len(_compiled) >= MAX_SHAPES:
                _compiled.clear()
            _compiled[cache_key] = found = fresh
    return found.sql, found.params


def run(query, key, **values):
    """Run ``query`` (built with :func:`slot` placeholders) with ``values``; compiled once per ``key``.

    :return: the rows as the query would give them (models, tuples, dicts, namedtuples).
    """
    sql, params = compiled(query, key)
    bound = _Compiled(sql, params).bind(values)
    return query._get_cursor_wrapper(db.execute_sql(sql, bound))


def rows(query, key, **values) -> list[tuple]:
    """The rows of ``query`` as the database driver gives them (tuples, no column conversion), compiled once per
    ``key``: for small lookups of ints and text, which both drivers return as Python values already, where
    peewee's row wrapper costs more than the query (~80 µs a query)."""
    sql, params = compiled(query, key)
    return db.execute_sql(sql, _Compiled(sql, params).bind(values)).fetchall()


def execute(query, key, **values) -> None:
    """Run a statement that gives no rows (an UPDATE, a DELETE) with ``values``; compiled once per ``key``,
    without peewee's result wrapper."""
    sql, params = compiled(query, key)
    db.execute_sql(sql, _Compiled(sql, params).bind(values))


def scalar(query, key, **values):
    """The first column of the first row of ``query`` (None when there is none), compiled once per ``key``."""
    sql, params = compiled(query, key)
    row = db.execute_sql(sql, _Compiled(sql, params).bind(values)).fetchone()
    return row[0] if row else None


def count_upto(query, key, limit: int, **values) -> int:
    """How many rows ``query`` returns, counting no further than ``limit``; compiled once per ``key``."""
    wrapped = query.order_by().limit(slot("_count_limit")).alias("_wrapped")
    if wrapped._count_can_project_one():  # as peewee's count: SELECT 1 lets an index answer alone
        wrapped = wrapped.select(peewee.SQL("1"))
    counter = peewee.Select([wrapped], [peewee.fn.COUNT(peewee.SQL("1"))])
    return scalar(counter, key and (key, "count"), _count_limit=limit, **values) or 0

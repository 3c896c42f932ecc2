"""``column IN (...)`` and ``VALUES`` lists over hundreds of values, built in one step.

peewee renders ``field.in_(values)`` by wrapping every value in a node and walking it (~4 µs a
value): an 835 import's IN lists (claims, lines, patients, encounters) hold tens of thousands of
values, which cost more to build than the database takes to answer them. ``one_of`` gives the same
SQL and parameters (each value through the field's ``db_value``, as peewee would convert it), the
placeholders joined at once. Callers still chunk their values (``remit_matching.chunks``) to stay
under the databases' parameter limits. ``Rows`` is peewee's ``ValuesList`` (a ``VALUES`` table to join
an UPDATE to) built the same way.
"""
from __future__ import annotations

from peewee import OP, SCOPE_NORMAL, SCOPE_SOURCE, EnclosedNodeList, Entity, Expression, Node, ValuesList


class _Values(Node):
    """A parenthesised list of bound parameters, already converted."""

    def __init__(self, values: list):
        self.values = values

    def __sql__(self, ctx):
        ctx._values.extend(self.values)
        return ctx.literal("(" + ", ".join([ctx.state.param or "?"] * len(self.values)) + ")")


def one_of(field, values) -> Expression:
    """``field IN (values)``, as ``field.in_(values)`` builds it (an empty list matches nothing)."""
    values = list(values)
    if not values:
        return field.in_([])
    convert = field.db_value
    return Expression(field, OP.IN, _Values([convert(value) for value in values]))


class Rows(ValuesList):
    """``ValuesList(rows, alias=...)``: the same SQL and parameters, the placeholders joined at once (rows of
    plain values of equal length, which the database takes as they are)."""

    def __sql__(self, ctx):
        if self._alias:
            ctx.alias_manager[self] = self._alias
        if ctx.scope == SCOPE_SOURCE or ctx.scope == SCOPE_NORMAL:
            with ctx(parentheses=(not ctx.parentheses) or ctx.state.in_expr):
                if self._values:
                    row = "(" + ", ".join([ctx.state.param or "?"] * len(self._values[0])) + ")"
                    ctx.literal("VALUES " + ", ".join([row] * len(self._values)))
                    for values in self._values:
                        ctx._values.extend(values)
                else:
                    ctx.literal("VALUES ")
            is_operand = ctx.state.in_expr or ctx.state.in_projection
            if ctx.scope == SCOPE_SOURCE and not is_operand:
                ctx.literal(" AS ").sql(Entity(ctx.alias_manager[self]))
                if self._columns:
                    ctx.sql(EnclosedNodeList([Entity(c) for c in self._columns]))
        else:
            ctx.sql(Entity(ctx.alias_manager[self]))
        return ctx

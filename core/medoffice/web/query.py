"""Typed query-string arguments: whole numbers, record ids and page numbers within the ranges of
:mod:`medoffice.limits`. A missing or blank argument gives the default; anything else that is not
a whole number in range answers 400 with a message naming the argument, before the value can
reach the database.
"""
from __future__ import annotations

import re

from flask import abort, request
from werkzeug.routing import IntegerConverter

from ..limits import MAX_ID, MAX_PAGE, number_problem

_WHOLE = re.compile(r"-?[0-9]{1,30}")


def parse_id(text: str | None) -> int | None:
    """``text`` (a form or query value) as a record id, 1..``MAX_ID``; None when it is not one."""
    text = (text or "").strip()
    if not (_WHOLE.fullmatch(text) and 1 <= int(text) <= MAX_ID):
        return None
    return int(text)


def whole_number(name: str, default: int | None = None, *, minimum: int, maximum: int) -> int | None:
    """The query argument ``name`` as an int within ``minimum``..``maximum``.

    :raises werkzeug.exceptions.BadRequest: (400) not a whole number, or out of range.
    """
    text = request.args.get(name, "").strip()
    if not text:
        return default
    if not _WHOLE.fullmatch(text):
        abort(400, description=f"{name}: enter a whole number.")
    problem = number_problem(int(text), minimum, maximum)
    if problem:
        abort(400, description=f"{name}: {problem[0].lower()}{problem[1:]}")
    return int(text)


def record_id(name: str) -> int | None:
    """An id argument (``?task=12``, ``?patient_id=3``): 1..``MAX_ID``, None when absent."""
    return whole_number(name, None, minimum=1, maximum=MAX_ID)


def page_number(name: str = "page") -> int:
    """The page of a list: 1..``MAX_PAGE``, 1 when absent."""
    return whole_number(name, 1, minimum=1, maximum=MAX_PAGE)


class IdConverter(IntegerConverter):
    """Routes' ``<int:...>``: at most ``MAX_ID`` unless the rule says otherwise, so a twenty-digit id
    matches no route (404) instead of overflowing the database's integer."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, MAX_ID if max is None else max, signed)

"""A side-by-side line diff of two versions' markdown (``difflib``), with the changed words of a
changed line marked and long runs of unchanged lines folded. Rows hold plain text; the template
escapes every piece."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

CONTEXT = 3  # unchanged lines kept around each change


@dataclass(frozen=True)
class Row:
    """One row of the table: ``kind`` is equal, replace, delete, insert, or skip (``skipped`` unchanged
    lines folded). ``left`` and ``right`` are (text, changed) segments; numbers are 1-based or None."""

    kind: str
    left_number: int | None = None
    left: tuple[tuple[str, bool], ...] = ()
    right_number: int | None = None
    right: tuple[tuple[str, bool], ...] = ()
    skipped: int = 0


_TOKENS = re.compile(r"\w+|\s+|[^\w\s]")


def _words(old: str, new: str) -> tuple[tuple[tuple[str, bool], ...], tuple[tuple[str, bool], ...]]:
    """The two lines cut into segments, the differing words (and punctuation) marked changed."""
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            left.append(("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(("".join(b[j1:j2]), tag != "equal"))
    return tuple(left), tuple(right)


def _plain(text: str, changed: bool) -> tuple[tuple[str, bool], ...]:
    return ((text, changed),) if text else ()


def rows(old_text: str, new_text: str, context: int = CONTEXT) -> list[Row]:
    """The side-by-side rows from ``old_text`` to ``new_text`` (an empty list when they are equal)."""
    old, new = old_text.split("\n"), new_text.split("\n")
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    result: list[Row] = []
    opcodes = matcher.get_opcodes()
    if all(tag == "equal" for tag, *_ in opcodes):
        return []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            keep_head = context if index > 0 else 0
            keep_tail = context if index < len(opcodes) - 1 else 0
            span = i2 - i1
            if span > keep_head + keep_tail + 1:
                shown = list(range(keep_head)) + [None] + list(range(span - keep_tail, span))
            else:
                shown = list(range(span))
            for offset in shown:
                if offset is None:
                    result.append(Row("skip", skipped=span - keep_head - keep_tail))
                else:
                    result.append(Row("equal", i1 + offset + 1, _plain(old[i1 + offset], False),
                                      j1 + offset + 1, _plain(new[j1 + offset], False)))
        elif tag == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                if i < i2 and j < j2:
                    left, right = _words(old[i], new[j])
                    result.append(Row("replace", i + 1, left, j + 1, right))
                elif i < i2:
                    result.append(Row("delete", i + 1, _plain(old[i], True)))
                else:
                    result.append(Row("insert", right_number=j + 1, right=_plain(new[j], True)))
        elif tag == "delete":
            result.extend(Row("delete", i + 1, _plain(old[i], True)) for i in range(i1, i2))
        else:
            result.extend(Row("insert", right_number=j + 1, right=_plain(new[j], True)) for j in range(j1, j2))
    return result

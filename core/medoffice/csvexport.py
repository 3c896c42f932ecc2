"""The one CSV writer every export uses: report CSVs, the audit trail, plugins' files.

Spreadsheets run a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV or formula injection: a patient named ``=HYPERLINK("http://x","y")``
becomes a live link when the office opens the file). Following OWASP, every *text* cell that
starts with one of those characters is written with a leading single quote, which spreadsheets
show as text. Numbers are typed instead of guessed: pass ``int``, ``Decimal`` or
:class:`Cents` and the cell is written as a number, never prefixed, so a negative amount stays a
number. Dates and timestamps are written ISO.

Usage::

    from medoffice.csvexport import Cents, CsvWriter

    writer = CsvWriter(stream)
    writer.writerow(["Patient", "Balance"])
    writer.writerow([patient.last_name, Cents(balance_cents)])
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from .money import cents_to_decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Cents:
    """An amount in integer cents, written as decimal dollars: ``Cents(-1250)`` -> ``-12.50``."""

    value: int


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text: a single quote before a leading formula character."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(value: Any) -> str:
    """One value as its CSV cell text.

    ``None`` is empty; ``bool`` is ``true``/``false``; ``int``, finite ``float``, ``Decimal`` and
    :class:`Cents` are numbers (a Decimal never in exponent form); dates, times and timestamps are
    ISO; anything else is text, neutralised (see :func:`neutralise`).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Cents):
        return format(cents_to_decimal(value.value), "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, "f")
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, (dt.date, dt.time)):  # dt.datetime is a dt.date
        return value.isoformat()
    return neutralise(str(value))


class CsvWriter:
    """Writes rows of typed values to a text stream as CSV (RFC 4180: CRLF, minimal quoting)."""

    def __init__(self, stream) -> None:
        """:param stream: a text stream (``io.StringIO``, a file opened with ``newline=""``)."""
        self._writer = csv.writer(stream, lineterminator="\r\n")

    def writerow(self, values: Iterable[Any]) -> None:
        """Write one row; each value goes through :func:`cell`."""
        self._writer.writerow([cell(value) for value in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row of ``rows``."""
        for row in rows:
            self.writerow(row)


def to_text(rows: Iterable[Iterable[Any]]) -> str:
    """The rows (a header row first, usually) as one CSV string."""
    out = io.StringIO()
    CsvWriter(out).writerows(rows)
    return out.getvalue()

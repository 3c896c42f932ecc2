"""Report output: cell formatting per column kind, CSV, JSON and PDF (WeasyPrint)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..contributions import Column
from ..csvexport import Cents, to_text
from ..money import cents_to_decimal, format_cents
from ..dates import format_date
from ..localtime import local_datetime
from .params import jsonable
from .registry import ReportRun

NUMERIC_KINDS = frozenset({"int", "cents", "percent"})
PDF_STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "report-pdf.css"


def is_numeric(column: Column) -> bool:
    """True for columns shown right-aligned (counts, money, percentages)."""
    return column.kind in NUMERIC_KINDS


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def _shown(value) -> str:
    if isinstance(value, dt.datetime):
        return local_datetime(value, zone=False)
    return format_date(value) if isinstance(value, dt.date) else str(value)


def cell_text(column: Column, value) -> str:
    """A value as shown on screen and in the PDF: "$1,234.56", "1,204", "12.50%", dates in the
    practice's format (the CSV keeps them ISO: :func:`csv_cell`)."""
    if value is None:
        return ""
    if column.kind == "cents":
        return format_cents(value)
    if column.kind == "int":
        return f"{int(value):,}"
    if column.kind == "percent":
        return f"{cents_to_decimal(value)}%"
    return _shown(value)


def csv_cell(column: Column, value):
    """A value typed for the CSV writer: money as decimal dollars, percent as a decimal, counts as numbers.

    Text cells are neutralised by :mod:`medoffice.csvexport`; numbers stay numbers.
    """
    if value is None:
        return None
    if column.kind == "cents":
        return Cents(value)
    if column.kind == "percent":
        return cents_to_decimal(value)
    if column.kind == "int":
        return int(value)
    return value


def totals_label(run: ReportRun) -> str | None:
    """"Total" for the first column of the totals row, unless the report filled that cell."""
    columns = run.result.columns
    if not run.result.totals or not columns or columns[0].key in run.result.totals:
        return None
    return "Total"


def to_csv(run: ReportRun) -> str:
    """The result as CSV: a header row of column labels, the rows, then the totals row if any."""
    columns = run.result.columns
    rows = [[c.label for c in columns]]
    rows += [[csv_cell(c, row.get(c.key)) for c in columns] for row in run.rows]
    if run.result.totals:
        cells = [csv_cell(c, run.result.totals.get(c.key)) for c in columns]
        label = totals_label(run)
        if label:
            cells[0] = label
        rows.append(cells)
    return to_text(rows)


def to_json(run: ReportRun) -> dict:
    """The result as plain data: money stays integer cents and percent basis points (see kinds)."""
    def plain(row: dict) -> dict:
        return {c.key: row.get(c.key) if isinstance(row.get(c.key), (int, str, type(None)))
                else _iso(row[c.key]) for c in run.result.columns}

    return {
        "report": run.spec.id,
        "title": run.spec.title,
        "params": jsonable(run.values),
        "generated_at": run.at.isoformat(),
        "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in run.result.columns],
        "rows": [plain(row) for row in run.rows],
        "totals": plain(run.result.totals) if run.result.totals else {},
        "notes": run.result.notes,
    }


def local_timestamp(run: ReportRun) -> str:
    """When the report ran, in the practice's time zone and date format ("2025-03-04 14:05 EST")."""
    return local_datetime(run.at)


def to_pdf(html: str) -> bytes:
    """Render the report's PDF page (``reports/pdf.html``) with WeasyPrint."""
    import weasyprint  # imported lazily: it loads pango at import time

    # The chart is inlined as a data: URL; the PDF never fetches files or network resources.
    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(PDF_STYLESHEET))])

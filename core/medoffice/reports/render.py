"""Report output: cell formatting per column kind, CSV, JSON and PDF (WeasyPrint)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from ..contributions import Column
from ..money import cents_to_decimal, format_cents
from ..settings import practice_timezone
from .params import jsonable
from .registry import ReportRun

NUMERIC_KINDS = frozenset({"int", "cents", "percent"})
PDF_STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "css" / "report-pdf.css"


def is_numeric(column: Column) -> bool:
    """True for columns shown right-aligned (counts, money, percentages)."""
    return column.kind in NUMERIC_KINDS


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else str(value)


def cell_text(column: Column, value) -> str:
    """A value as shown on screen and in the PDF: "$1,234.56", "1,204", "12.50%", ISO dates."""
    if value is None:
        return ""
    if column.kind == "cents":
        return format_cents(value)
    if column.kind == "int":
        return f"{int(value):,}"
    if column.kind == "percent":
        return f"{cents_to_decimal(value)}%"
    return _iso(value)


def csv_cell(column: Column, value) -> str:
    """A value as written to CSV: money as decimal dollars "1234.56", percent "12.50", ISO dates."""
    if value is None:
        return ""
    if column.kind in ("cents", "percent"):
        return str(cents_to_decimal(value))
    return _iso(value)


def totals_label(run: ReportRun) -> str | None:
    """"Total" for the first column of the totals row, unless the report filled that cell."""
    columns = run.result.columns
    if not run.result.totals or not columns or columns[0].key in run.result.totals:
        return None
    return "Total"


def to_csv(run: ReportRun) -> str:
    """The result as CSV: a header row of column labels, the rows, then the totals row if any."""
    columns = run.result.columns
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.label for c in columns])
    for row in run.rows:
        writer.writerow([csv_cell(c, row.get(c.key)) for c in columns])
    if run.result.totals:
        cells = [csv_cell(c, run.result.totals.get(c.key)) for c in columns]
        label = totals_label(run)
        if label:
            cells[0] = label
        writer.writerow(cells)
    return out.getvalue()


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
    """When the report ran, in the practice's time zone ("2025-03-04 14:05 EST")."""
    return run.at.astimezone(practice_timezone()).strftime("%Y-%m-%d %H:%M %Z")


def to_pdf(html: str) -> bytes:
    """Render the report's PDF page (``reports/pdf.html``) with WeasyPrint."""
    import weasyprint  # imported lazily: it loads pango at import time

    # The chart is inlined as a data: URL; the PDF never fetches files or network resources.
    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf(stylesheets=[weasyprint.CSS(filename=str(PDF_STYLESHEET))])

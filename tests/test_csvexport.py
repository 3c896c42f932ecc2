"""The core CSV writer (medoffice.csvexport): formula-starting text is neutralised, numbers stay numbers,
and the report CSV goes through it (issue 9, item 5)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from medoffice import Column, ReportResult, ReportSpec
from medoffice.csvexport import Cents, CsvWriter, cell, to_text
from medoffice.reports import render
from medoffice.reports.registry import ReportRun

INJECTION = '=HYPERLINK("http://x","y")'


@pytest.mark.parametrize("text", [INJECTION, "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_text_gets_a_leading_quote(text):
    assert cell(text) == "'" + text


@pytest.mark.parametrize("value, written", [
    ("Smith", "Smith"), ("O'Brien", "O'Brien"), ("", ""), (None, ""),
    (-5, "-5"), (Cents(-1250), "-12.50"), (Cents(123456), "1234.56"), (Decimal("-3.10"), "-3.10"),
    (Decimal("1E+20"), "100000000000000000000"), (1.5, "1.5"), (True, "true"),
    (dt.date(2026, 3, 4), "2026-03-04"),
    (dt.datetime(2026, 3, 4, 5, 6, tzinfo=dt.timezone.utc), "2026-03-04T05:06:00+00:00"),
])
def test_values_other_than_formula_text_are_written_as_they_are(value, written):
    assert cell(value) == written


def test_the_writer_quotes_and_ends_lines_as_rfc_4180():
    out = io.StringIO()
    CsvWriter(out).writerow(["a,b", INJECTION, Cents(-100)])
    assert out.getvalue() == '"a,b","\'=HYPERLINK(""http://x"",""y"")",-1.00\r\n'
    assert list(csv.reader(io.StringIO(to_text([["x", 1], ["-y", -1]])))) == [["x", "1"], ["'-y", "-1"]]


def test_report_csv_neutralises_text_and_keeps_amounts_numeric():
    spec = ReportSpec("test.r", "R", "core.reports.view", run=lambda: None)
    result = ReportResult(columns=[Column("who", "Patient"), Column("n", "Visits", "int"),
                                   Column("owed", "Owed", "cents"), Column("share", "Share", "percent")],
                          rows=[], totals={"n": 3, "owed": -250})
    rows = [{"who": INJECTION, "n": -3, "owed": -250, "share": -1250}]
    run = ReportRun(spec, {}, result, rows, None, False, dt.datetime.now(dt.timezone.utc))
    assert list(csv.reader(io.StringIO(render.to_csv(run)))) == [
        ["Patient", "Visits", "Owed", "Share"], ["'" + INJECTION, "-3", "-2.50", "-12.50"],
        ["Total", "3", "-2.50", ""]]


def test_no_export_writes_csv_around_the_core_writer():
    """Every CSV of core and the bundled plugins goes through medoffice.csvexport."""
    from medoffice.testing import repository_root

    root = repository_root()
    offenders = [str(path.relative_to(root)) for folder in ("core", "plugins", "examples")
                 for path in (root / folder).rglob("*.py")
                 if path.name != "csvexport.py" and any(
                     needle in path.read_text(encoding="utf-8") for needle in ("csv.writer(", "csv.DictWriter("))]
    assert offenders == []

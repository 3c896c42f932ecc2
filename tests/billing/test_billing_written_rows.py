"""Billing's lists write their rows in fewer steps (``views.rows``): the same ``<tr>`` HTML as core's
``TablePage.body`` for every kind of column, text to escape, empty values, markup and links."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from billing_setup import database
from markupsafe import Markup

from medoffice.web.tables import TableColumn, TablePage

from medoffice_billing.views.rows import written_rows

ROWS = [
    SimpleNamespace(id=1, name="O'Brien & <Sons>", cents=123456, count=12345, day=dt.date(2026, 3, 1),
                    at=dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone.utc), status="sent_back", flag=True,
                    chip=Markup("<b>ok</b>"), href='/x?a=1&b="2"', code=7),
    SimpleNamespace(id=2, name="Plain", cents=-500, count=0, day=dt.date(2026, 3, 1),
                    at=dt.datetime(2026, 3, 2, 4, 5), status="paid", flag=False, chip=None, href=None, code=None),
    SimpleNamespace(id=3, name=None, cents=None, count=None, day=None, at=None, status=None, flag=None,
                    chip=Markup(""), href="/y", code="a\"b"),
]
COLUMNS = [
    TableColumn("name", "Name", link=lambda r: r.href),
    TableColumn("cents", "Amount", kind="money"),
    TableColumn("count", "Count", kind="number"),
    TableColumn("day", "Day", kind="date"),
    TableColumn("at", "When", kind="datetime"),
    TableColumn("at_day", "On", kind="date", value=lambda r: r.at),
    TableColumn("status", "Status", kind="status"),
    TableColumn("flag", "Flag", kind="boolean"),
    TableColumn("chip", "Chip"),
    TableColumn("code", "Code", numeric=True),
    TableColumn("missing", "Missing"),
    TableColumn("id", "Open", value=lambda r: "Open", link=lambda r: f"/open/{r.id}"),
]


def test_written_rows_are_the_rows_core_writes(app):
    with database(app), app.test_request_context("/"):
        table = TablePage(id="t", columns=COLUMNS, rows=ROWS, total=3, page=1, per_page=25, sort="name", desc=False,
                          query="", endpoint="core.today_queue")
        written = written_rows(table)
        assert str(written.body()) == str(table.body())
        assert str(written.html()) == str(table.html())
        assert "O&#39;Brien &amp; &lt;Sons&gt;" in written.body()


def test_an_export_is_left_as_it_is(app):
    with database(app), app.test_request_context("/"):
        table = TablePage(id="t", columns=COLUMNS, rows=ROWS, total=3, page=1, per_page=25, sort="name", desc=False,
                          query="", endpoint="core.today_queue", exported=True)
        assert written_rows(table) is table

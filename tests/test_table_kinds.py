"""TableColumn kinds format cells the way core's own tables do (dates ISO, times in the practice's
zone, cents as dollars, numbers grouped, status chips, yes/no), and a plugin gets them by name."""
import datetime as dt
from types import SimpleNamespace

import pytest

from medoffice import settings
from medoffice.web.tables import TableColumn


def cell(column, **row):
    return column.cell_html()(SimpleNamespace(**row))


@pytest.fixture
def in_request(app, db_session):
    with app.test_request_context():
        yield


def test_each_kind_is_formatted_as_core_shows_it(in_request):
    settings.set_many({"core.timezone": "America/New_York"})
    moment = dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.timezone.utc)  # 22:30 on 1 March in New York
    assert cell(TableColumn("due", "Due", kind="date"), due=dt.date(2026, 3, 1)) == "<td>2026-03-01</td>"
    assert cell(TableColumn("at", "At", kind="date"), at=moment) == "<td>2026-03-01</td>"
    assert cell(TableColumn("at", "At", kind="datetime"), at=moment) == "<td>2026-03-01 22:30</td>"
    assert cell(TableColumn("paid", "Paid", kind="money"), paid=123450) == '<td class="num">$1,234.50</td>'
    assert cell(TableColumn("paid", "Paid", kind="money"), paid=-500) == '<td class="num">-$5.00</td>'
    assert cell(TableColumn("visits", "Visits", kind="number"), visits=12345) == '<td class="num">12,345</td>'
    assert cell(TableColumn("state", "State", kind="status"), state="on_hold") == \
        '<td><span class="chip chip-on_hold">On hold</span></td>'
    assert cell(TableColumn("ok", "OK", kind="boolean"), ok=True) == "<td>Yes</td>"
    assert cell(TableColumn("ok", "OK", kind="boolean"), ok=False) == "<td>No</td>"
    assert cell(TableColumn("due", "Due", kind="date"), due=None) == "<td></td>"


def test_datetimes_follow_the_practice_time_zone_setting(in_request):
    settings.set_many({"core.timezone": "Europe/Berlin"})
    moment = dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.timezone.utc)
    assert cell(TableColumn("at", "At", kind="datetime"), at=moment) == "<td>2026-03-02 04:30</td>"


def test_kinds_escape_and_link_like_text(in_request):
    link = TableColumn("state", "State", kind="status", link=lambda row: f"/things/{row.id}")
    assert cell(link, id=7, state="<b>") == \
        '<td><a href="/things/7"><span class="chip chip-&lt;b&gt;">&lt;b&gt;</span></a></td>'
    assert cell(TableColumn("name", "Name"), name="<i>x</i>") == "<td>&lt;i&gt;x&lt;/i&gt;</td>"


def test_a_row_whose_link_is_none_shows_its_value_without_a_link(in_request):
    patient = TableColumn("who", "Patient", link=lambda row: f"/patients/{row.id}" if row.id else None)
    assert cell(patient, id=None, who="Anonymous") == "<td>Anonymous</td>"
    assert cell(patient, id=3, who="Ann") == '<td><a href="/patients/3">Ann</a></td>'


def test_an_unknown_kind_is_refused_when_the_column_is_declared():
    with pytest.raises(ValueError, match="kind must be one of"):
        TableColumn("paid", "Paid", kind="currency")


def test_money_and_number_columns_align_right_in_the_header_too():
    assert TableColumn("paid", "Paid", kind="money").numeric
    assert TableColumn("visits", "Visits", kind="number").numeric
    assert not TableColumn("due", "Due", kind="date").numeric


def test_a_page_body_formats_each_kind_once_per_table_and_escapes_only_what_needs_it(in_request):
    from medoffice.web.tables import TablePage

    columns = [TableColumn("name", "Name", link=lambda row: f"/people/{row.id}?tab=a&b"),
               TableColumn("due", "Due", kind="date"), TableColumn("paid", "Paid", kind="money"),
               TableColumn("n", "N"), TableColumn("note", "Note")]
    rows = [SimpleNamespace(id=1, name="O'Brien & Co", due=dt.date(2026, 3, 1), paid=500, n=7, note=None),
            SimpleNamespace(id=2, name="Ann", due=dt.date(2026, 3, 1), paid=None, n=0, note="<b>hi</b>")]
    page = TablePage(id="t", columns=columns, rows=rows, total=2, page=1, per_page=25, sort="name", desc=False,
                     query="", endpoint="core.patients")
    assert page.body() == (
        '<tr><td><a href="/people/1?tab=a&amp;b">O&#39;Brien &amp; Co</a></td><td>2026-03-01</td>'
        '<td class="num">$5.00</td><td>7</td><td></td></tr>\n'
        '<tr><td><a href="/people/2?tab=a&amp;b">Ann</a></td><td>2026-03-01</td><td class="num"></td><td>0</td>'
        '<td>&lt;b&gt;hi&lt;/b&gt;</td></tr>')

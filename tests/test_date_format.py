"""The practice's date format (setting ``core.date_format``, issue 17 item 6): tables, pages and
timestamps show dates in it, a search box reads a date typed in it, and CSV exports stay ISO."""
import csv
import datetime as dt
import io

import pytest

from medoffice import settings
from medoffice.dates import format_date, parse_typed
from medoffice.localtime import local_datetime
from medoffice.models import Patient
from medoffice.testing import connected

SHOWN = {"iso": "1975-12-30", "us": "12/30/1975", "day_first": "30/12/1975"}


def seed(app) -> int:
    with connected(app):
        return Patient.create(account_number="P0000201", first_name="Bob", last_name="Stone",
                              date_of_birth=dt.date(1975, 12, 30)).id


def choose(app, key):
    with app.test_request_context(), connected(app):
        settings.set_many({"core.date_format": key})


def test_outside_a_request_dates_read_and_show_as_iso():
    assert format_date(dt.date(2026, 12, 3)) == "2026-12-03"
    assert parse_typed("2026-12-03") == parse_typed("12/03/2026") == dt.date(2026, 12, 3)
    assert parse_typed("31/12/2026") is None and parse_typed("Stone") is None


def test_pages_and_tables_show_dates_in_the_chosen_format(admin_client, app):
    patient_id = seed(app)
    for key, shown in SHOWN.items():
        choose(app, key)
        listed = admin_client.get("/patients").get_data(as_text=True)
        assert f"<td>{shown}</td>" in listed, key
        page = admin_client.get(f"/patients/{patient_id}").get_data(as_text=True)
        assert f"<dd>{shown}</dd>" in page, key
        others = set(SHOWN.values()) - {shown}
        assert not any(other in listed or other in page for other in others), key


def test_timestamps_show_their_date_in_the_chosen_format(app, db_session):
    moment = dt.datetime(2026, 3, 2, 3, 30, tzinfo=dt.timezone.utc)  # 22:30 on 1 March in New York
    with app.test_request_context():
        settings.set_many({"core.timezone": "America/New_York", "core.date_format": "day_first"})
        assert local_datetime(moment) == "01/03/2026 22:30 EST"
        settings.set_many({"core.date_format": "us"})
        assert local_datetime(moment, zone=False) == "03/01/2026 22:30"


def test_a_date_typed_into_a_search_box_is_read_in_the_chosen_order(admin_client, app):
    seed(app)
    choose(app, "day_first")
    assert 'placeholder="Name, account, phone or DD/MM/YYYY"' in admin_client.get("/patients").get_data(as_text=True)
    assert "Stone, Bob" in admin_client.get("/patients", query_string={"q": "30/12/1975"}).get_data(as_text=True)
    with app.test_request_context(), connected(app):
        assert parse_typed("03/12/2026") == dt.date(2026, 12, 3)
    choose(app, "us")
    assert "Stone, Bob" in admin_client.get("/patients", query_string={"q": "12/30/1975"}).get_data(as_text=True)
    assert "Stone, Bob" not in admin_client.get("/patients", query_string={"q": "30/12/1975"}).get_data(as_text=True)
    assert "Stone, Bob" in admin_client.get("/patients", query_string={"q": "1975-12-30"}).get_data(as_text=True)


@pytest.mark.parametrize("key", ["us", "day_first"])
def test_csv_exports_stay_iso(admin_client, app, key):
    seed(app)
    choose(app, key)
    response = admin_client.get("/patients", query_string={"format": "csv"})
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["Date of birth"] for r in rows if r["Account"] == "P0000201"] == ["1975-12-30"]


def test_an_unknown_format_is_refused(app, db_session):
    with app.test_request_context():
        with pytest.raises(settings.SettingError):
            settings.set_many({"core.date_format": "%d.%m.%Y"})


def test_report_cells_follow_the_format_and_their_csv_stays_iso(app, db_session):
    from medoffice.contributions import Column
    from medoffice.reports import render

    column = Column("day", "Day", kind="date")
    with app.test_request_context():
        settings.set_many({"core.date_format": "us"})
        assert render.cell_text(column, dt.date(2026, 12, 3)) == "12/03/2026"
        assert render.csv_cell(column, dt.date(2026, 12, 3)) == dt.date(2026, 12, 3)  # the CSV writer writes ISO

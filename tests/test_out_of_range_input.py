"""Out-of-range query input answers 4xx with a message, never 500 (issue 9, item 12): page numbers
and ids beyond the database's integers, dates at the ends of the calendar, huge report numbers."""
from __future__ import annotations

import datetime as dt

import pytest

from medoffice.db import db
from medoffice.models import Patient
from medoffice.testing import login

HUGE = "99999999999999999999"


@pytest.fixture
def admin(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a crash answers 500, as in production
    with app.app_context():
        db.connect(reuse_if_open=True)
        for n in range(3):
            Patient.create(account_number=f"P00000{n}", first_name="Ann", last_name=f"Lee{n}",
                           date_of_birth=dt.date(1980, 2, 3))
        db.close()
    return login(app.test_client(), "admin")


def answer(response) -> tuple[int, str]:
    return response.status_code, response.get_data(as_text=True)


PAGES_AND_IDS = [
    (f"/patients?page={HUGE}", "page: use a whole number from 1 to 100,000."),
    ("/patients?page=0", "page: use a whole number from 1 to 100,000."),
    ("/patients?page=two", "page: enter a whole number."),
    ("/patients?page=%C2%B2", "page: enter a whole number."),  # "²" is a digit to str.isdigit, not to int()
    (f"/admin/audit?page={HUGE}", "page: use a whole number from 1 to 100,000."),
    (f"/admin/jobs?page={HUGE}", "page: use a whole number from 1 to 100,000."),
    (f"/admin/jobs?task={HUGE}", "task: use a whole number from 1 to 2,147,483,647."),
]
CALENDAR_ENDS = [
    "/admin/audit?end=9999-12-31", "/admin/audit/export.csv?end=9999-12-31", "/admin/audit?start=0001-01-01",
    *(f"/reports/core.audit_activity{suffix}?run=1&{query}" for suffix in ("", ".csv", ".pdf")
      for query in ("start=0001-01-01&end=2026-01-31", "start=2026-01-01&end=9999-12-31")),
]


def test_page_numbers_and_ids_out_of_range_are_400_with_a_message(admin):
    for url, message in PAGES_AND_IDS:
        status, body = answer(admin.get(url))
        assert status == 400 and message in body, (url, status)


def test_dates_at_the_ends_of_the_calendar_are_422_with_a_message(admin):
    for url in CALENDAR_ENDS:
        status, body = answer(admin.get(url))
        assert status == 422 and "Use a date from 1900-01-01 to 2199-12-31." in body, (url, status)
    status, body = answer(admin.get(f"/admin/audit?patient={HUGE}"))
    assert status == 422 and "No patient has that id." in body


def test_ids_beyond_the_database_integer_match_no_route(admin):
    assert admin.get(f"/patients/{HUGE}").status_code == 404
    assert admin.get("/patients/2147483648").status_code == 404
    assert admin.get("/patients/2147483647").status_code == 404  # the largest id: simply not there


def test_ordinary_values_still_work(admin):
    assert admin.get("/patients?page=2").status_code == 200  # past the last page: the last page
    assert admin.get("/patients?page=").status_code == 200
    assert admin.get("/admin/audit?start=2026-01-01&end=2026-01-31").status_code == 200

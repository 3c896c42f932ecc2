"""Portable date arithmetic in queries: the same answers on SQLite and PostgreSQL."""
import datetime as dt

import pytest

from medoffice.models import Patient
from medoffice.sqldates import add_days, days_between


@pytest.fixture
def patients(db_session):
    for number, born in enumerate([dt.date(2024, 2, 28), dt.date(2025, 12, 31), dt.date(2026, 3, 1)]):
        Patient.create(account_number=f"D{number}", first_name="Dana", last_name=f"Dates{number}",
                       date_of_birth=born)


def test_days_between_columns_and_dates_counts_whole_days(patients):
    rows = (Patient.select(Patient.account_number, days_between(Patient.date_of_birth, dt.date(2026, 3, 1)).alias("d"))
            .order_by(Patient.account_number).tuples())
    assert list(rows) == [("D0", 732), ("D1", 60), ("D2", 0)]
    backwards = Patient.select(days_between(dt.date(2026, 3, 1), Patient.date_of_birth)).where(
        Patient.account_number == "D1").scalar()
    assert backwards == -60


def test_add_days_crosses_months_leap_days_and_years_and_reads_back_as_dates(patients):
    added = (Patient.select(add_days(Patient.date_of_birth, 1).alias("next"), add_days(Patient.date_of_birth, -1)
                            .alias("before")).order_by(Patient.account_number).tuples())
    assert list(added) == [(dt.date(2024, 2, 29), dt.date(2024, 2, 27)),
                           (dt.date(2026, 1, 1), dt.date(2025, 12, 30)),
                           (dt.date(2026, 3, 2), dt.date(2026, 2, 28))]


def test_both_work_in_where_clauses_against_columns_and_column_day_counts(patients):
    late = Patient.select(Patient.account_number).where(days_between(Patient.date_of_birth, dt.date(2026, 3, 1)) > 30)
    assert sorted(p.account_number for p in late) == ["D0", "D1"]
    # A day count from a column: each birth date plus its own id's worth of days is after it.
    shifted = Patient.select().where(add_days(Patient.date_of_birth, Patient.id) > Patient.date_of_birth)
    assert shifted.count() == 3
    assert Patient.select().where(add_days(Patient.date_of_birth, 60) == add_days(dt.date(2026, 1, 1), 59)).get() \
        .account_number == "D1"


def test_datetimes_are_refused_rather_than_truncated_silently(patients):
    with pytest.raises(TypeError, match="give a date"):
        days_between(Patient.date_of_birth, dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc))

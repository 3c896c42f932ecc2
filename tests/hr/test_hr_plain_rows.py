"""Plain rows (``PlainSelect``), which HR's directory, timesheets and expiring certifications read instead of a
namespace per row built through peewee's converters: the same names, values and types as ``.objects()`` gives,
on both databases."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from medoffice.models import StaffMember
from medoffice.testing import connected
from peewee import JOIN

from medoffice_hr.models import Department, Employment
from medoffice.plain import PlainSelect
from medoffice_hr.time_models import Timesheet
from medoffice_hr.training_models import Certification

COLUMNS = (StaffMember.id, StaffMember.last_name, StaffMember.credentials, Employment.id.alias("employment_id"),
           Employment.hire_date, Employment.end_date, Employment.flsa_exempt, Department.name.alias("department"),
           Timesheet.status, Certification.expires_on)


@pytest.fixture
def hr_app(make_app):
    return make_app(plugins=["hr"])


def _query(select):
    return (select.join(Employment, JOIN.LEFT_OUTER, on=(Employment.staff == StaffMember.id))
            .join(Department, JOIN.LEFT_OUTER, on=(Employment.department == Department.id))
            .join(Timesheet, JOIN.LEFT_OUTER, on=(Timesheet.employment == Employment.id))
            .join(Certification, JOIN.LEFT_OUTER, on=(Certification.employment == Employment.id))
            .order_by(StaffMember.last_name))


def test_plain_rows_hold_what_objects_gives(hr_app):
    with connected(hr_app):
        department = Department.create(name="Front office")
        filed = StaffMember.create(first_name="Ana", last_name="Alba", credentials="RN", job_title="Nurse")
        employment = Employment.create(staff=filed, hire_date=dt.date(2024, 2, 29), flsa_exempt=True,
                                       department=department)
        Timesheet.create(employment=employment, period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 14))
        Certification.create(employment=employment, name="BLS", expires_on=dt.date(2027, 1, 31))
        StaffMember.create(first_name="Bo", last_name="Bell", credentials="", job_title="Front desk")  # no file yet
        expected = [vars(row) for row in _query(StaffMember.select(*COLUMNS)).objects(SimpleNamespace)]
        rows = [row._asdict() for row in _query(PlainSelect(StaffMember, COLUMNS))]
    assert rows == expected
    assert [{k: type(v) for k, v in row.items()} for row in rows] == [
        {k: type(v) for k, v in row.items()} for row in expected]
    assert rows[0]["flsa_exempt"] is True and rows[0]["hire_date"] == dt.date(2024, 2, 29)
    assert rows[1]["employment_id"] is None and rows[1]["flsa_exempt"] is None

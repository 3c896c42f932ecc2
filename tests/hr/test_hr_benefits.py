"""Benefits through the pages: plans with tiers, open enrollment where employees choose their own
plans (effective when the window says), HR changes with effective dates that end the previous
enrollment, deductions that follow the dates into payroll, a retirement percent, and leaving
that ends every enrollment."""
from __future__ import annotations

import datetime as dt

import pytest
from medoffice import settings
from medoffice.models import StaffMember, User
from medoffice.testing import connected, login

from medoffice_hr import benefits
from medoffice_hr.benefits_models import BenefitPlan, BenefitTier, Enrollment
from medoffice_hr.models import Employment


@pytest.fixture
def hr_app(make_app):
    return make_app(plugins=["hr"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_enrollments_flow_into_deductions_and_end_when_someone_leaves(hr_app):
    hr = login(hr_app.test_client(), "hr", username="hana")
    ann = login(hr_app.test_client(), "front_desk", username="ann")
    with connected(hr_app):
        settings.set_many({"hr.pay_frequency": "biweekly"})
        staff = StaffMember.create(first_name="Ann", last_name="Able", job_title="Front desk")
        User.update(staff=staff.id).where(User.username == "ann").execute()
        today = settings.today()
    hr.post(f"/hr/employees/{staff.id}/employment", data={
        "hire_date": "2025-01-06", "end_date": "", "status": "active", "employment_type": "full_time",
        "job_title": "Front desk", "department": "", "location": "", "supervisor": ""})
    blank = _text(hr.get("/hr/benefits"))  # both forms empty, each saying which it is
    assert 'name="form" value="plan"' in blank and 'name="form" value="window"' in blank and "No plan yet." in blank
    hr.post("/hr/benefits", data={"form": "plan", "name": "Health PPO", "kind": "health", "pretax": "y", "active": "y"})
    hr.post("/hr/benefits", data={"form": "plan", "name": "401(k)", "kind": "retirement", "pretax": "y", "active": "y"})
    refused = hr.post("/hr/benefits", data={"form": "plan", "name": "401(k)", "kind": "retirement"})
    assert refused.status_code == 422 and "Another plan has that name." in _text(refused)
    assert 'name="form" value="window"' in _text(refused)  # the other form still there, empty
    with connected(hr_app):
        health = BenefitPlan.get(BenefitPlan.name == "Health PPO")
        retirement = BenefitPlan.get(BenefitPlan.kind == "retirement")
    for name, employee in (("Employee", "104.00"), ("Family", "390.00")):
        assert hr.post(f"/hr/benefits/plans/{health.id}", data={"name": name, "employee_monthly": employee,
                                                                "employer_monthly": "300"}).status_code == 302
    assert hr.post(f"/hr/benefits/plans/{health.id}", data={"name": "Employee", "employee_monthly": "1"}).status_code == 422
    with connected(hr_app):
        single, family = (BenefitTier.get(BenefitTier.name == n) for n in ("Employee", "Family"))
    form = {"plan": str(health.id), "tier": str(single.id), "starts_on": ""}
    assert ann.post(f"/hr/employees/{staff.id}/benefits", data=form).status_code == 403  # no open enrollment
    assert hr.post("/hr/benefits", data={"form": "window", "name": "Next year", "opens_on": today.isoformat(),
                                         "closes_on": (today + dt.timedelta(days=14)).isoformat(),
                                         "effective_on": (today + dt.timedelta(days=30)).isoformat()}).status_code == 302
    assert ann.post(f"/hr/employees/{staff.id}/benefits", data=form).status_code == 302
    assert ann.post(f"/hr/employees/{staff.id}/benefits", data={"plan": str(retirement.id), "tier": "",
                                                                "percent": "5"}).status_code == 302
    with connected(hr_app):
        employment = Employment.get(Employment.staff == staff.id)
        later = today + dt.timedelta(days=31)
        assert benefits.payroll_deductions(employment, today, 200_000) == benefits.PlanDeductions(0, 0, 0)
        assert benefits.payroll_deductions(employment, later, 200_000) == benefits.PlanDeductions(10_000, 4_800, 0)
    change = (today + dt.timedelta(days=60)).isoformat()
    assert hr.post(f"/hr/employees/{staff.id}/benefits", data={"plan": str(health.id), "tier": str(family.id),
                                                               "starts_on": change}).status_code == 302
    with connected(hr_app):
        first = Enrollment.get((Enrollment.tier == single.id))
        assert first.ends_on == dt.date.fromisoformat(change) - dt.timedelta(days=1)
        assert benefits.payroll_deductions(employment, dt.date.fromisoformat(change), 100_000).section125 == 18_000
    page = _text(ann.get("/hr/me/benefits", follow_redirects=True))
    assert "Benefits of Able, Ann" in page
    assert login(hr_app.test_client(), "billing").get(f"/hr/employees/{staff.id}/benefits").status_code == 404
    with connected(hr_app):
        ended = benefits.end_all(employment, today + dt.timedelta(days=45))
        assert ended == 2  # the health change starting after the last day is dropped, the rest end
        assert Enrollment.select().where(Enrollment.ends_on.is_null()).count() == 0

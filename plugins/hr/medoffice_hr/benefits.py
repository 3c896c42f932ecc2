"""Benefits: plans with tiers, open enrollment, enrollments with effective dates that flow into
payroll deductions by themselves (health, dental, vision and HSA pre-tax under section 125 unless a
plan says otherwise; retirement as a 401(k) percent of gross), ended when the person leaves."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

from medoffice import audit, settings
from medoffice.db import transaction
from peewee import JOIN

from .benefits_models import BenefitPlan, BenefitTier, Enrollment, EnrollmentWindow
from .employees import HrError
from .models import Employment

KINDS = (("health", "Health"), ("dental", "Dental"), ("vision", "Vision"), ("retirement", "Retirement (401(k))"),
         ("hsa", "Health savings account"))
PERIODS = {"weekly": 52, "biweekly": 26, "semimonthly": 24, "monthly": 12}


@dataclass(frozen=True)
class PlanDeductions:
    """What a paycheck takes for the employee's plans, by tax treatment."""

    k401: int = 0
    section125: int = 0
    posttax: int = 0


def _cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def active_on(employment: Employment, day: dt.date):
    """The employee's enrollments in effect on ``day`` (with plan and tier)."""
    return (Enrollment.select(Enrollment, BenefitPlan).join(BenefitPlan)
            .where((Enrollment.employment == employment) & (Enrollment.starts_on <= day)
                   & (Enrollment.ends_on.is_null() | (Enrollment.ends_on >= day))))


def payroll_deductions(employment: Employment, pay_date: dt.date, gross_cents: int) -> PlanDeductions:
    """The paycheck's deductions for the plans in effect on the pay date: a tier's monthly cost spread
    over the year's pay periods, a retirement percent of gross."""
    return plan_deductions(enrollments_on([employment.id], pay_date).get(employment.id, []), gross_cents)


def enrollments_on(employment_ids, day: dt.date) -> dict[int, list[SimpleNamespace]]:
    """Employment id -> what payroll reads of the enrollments in effect on ``day`` (the plan's kind and
    tax treatment, the percent, the tier and its monthly cost), for the employments in
    ``employment_ids`` (ids, or a query of them) in one query."""
    found: dict[int, list[SimpleNamespace]] = {}
    rows = (Enrollment.select(Enrollment.employment, BenefitPlan.kind, BenefitPlan.pretax, Enrollment.percent_bp,
                              Enrollment.tier, BenefitTier.employee_monthly_cents)
            .join(BenefitPlan).switch(Enrollment).join(BenefitTier, JOIN.LEFT_OUTER)
            .where(Enrollment.employment.in_(employment_ids) & (Enrollment.starts_on <= day)
                   & (Enrollment.ends_on.is_null() | (Enrollment.ends_on >= day)))
            .objects(SimpleNamespace))
    for row in rows:
        found.setdefault(row.employment, []).append(row)
    return found


def plan_deductions(enrollments: list[SimpleNamespace], gross_cents: int) -> PlanDeductions:
    """What a paycheck of ``gross_cents`` takes for ``enrollments`` (from :func:`enrollments_on`): a
    tier's monthly cost spread over the year's pay periods, a retirement percent of gross."""
    from .timesheets import frequency

    periods = PERIODS[frequency()]
    k401 = pre = post = 0
    for enrollment in enrollments:
        if enrollment.kind == "retirement":
            k401 += _cents(Decimal(gross_cents) * enrollment.percent_bp / 10_000)
            continue
        if enrollment.tier is None:
            continue
        amount = _cents(Decimal(enrollment.employee_monthly_cents) * 12 / periods)
        if enrollment.pretax:
            pre += amount
        else:
            post += amount
    return PlanDeductions(k401, pre, post)


def window_open(day: dt.date) -> EnrollmentWindow | None:
    """The open enrollment window open on ``day``, if any."""
    return (EnrollmentWindow.select().where((EnrollmentWindow.opens_on <= day) & (EnrollmentWindow.closes_on >= day))
            .order_by(EnrollmentWindow.opens_on.desc()).first())


def enroll(employment: Employment, plan: BenefitPlan, tier: BenefitTier | None, percent_bp: int, starts_on: dt.date,
           by: str) -> Enrollment:
    """Enroll (or change the enrollment) from ``starts_on``: the plan's current enrollment of the
    same kind ends the day before; no tier (and no percent) means waiving the kind from then on."""
    if plan.kind == "retirement":
        if not 0 <= percent_bp <= 10_000:
            raise HrError("A deferral is 0 to 100 percent.", "percent")
        tier = None
    elif tier is not None and tier.plan_id != plan.id:
        raise HrError("That tier belongs to another plan.", "tier")
    if starts_on < employment.hire_date:
        raise HrError("Coverage cannot start before the hire date.", "starts_on")
    if employment.end_date is not None and starts_on > employment.end_date:
        raise HrError("Coverage cannot start after the person left.", "starts_on")
    with transaction():
        same_kind = (Enrollment.select(Enrollment.id).join(BenefitPlan)
                     .where((Enrollment.employment == employment) & (BenefitPlan.kind == plan.kind)
                            & (Enrollment.ends_on.is_null() | (Enrollment.ends_on >= starts_on))))
        ids = [e.id for e in same_kind]
        if ids:
            Enrollment.delete().where(Enrollment.id.in_(ids) & (Enrollment.starts_on >= starts_on)).execute()
            Enrollment.update(ends_on=starts_on - dt.timedelta(days=1)).where(
                Enrollment.id.in_(ids) & (Enrollment.starts_on < starts_on)).execute()
        enrollment = Enrollment.create(employment=employment, plan=plan, tier=tier, percent_bp=percent_bp,
                                       starts_on=starts_on, created_by=by)
        audit.record("hr.benefits.enroll", "hr_enrollment", enrollment.id,
                     detail={"staff_id": employment.staff_id, "plan_id": plan.id,
                             "tier_id": tier.id if tier else None, "percent_bp": percent_bp,
                             "starts_on": starts_on.isoformat()})
    return enrollment


def end_all(employment: Employment, last_day: dt.date) -> int:
    """End every enrollment on the last day of work (a separation); returns how many ended."""
    with transaction():
        Enrollment.delete().where((Enrollment.employment == employment) & (Enrollment.starts_on > last_day)).execute()
        ended = Enrollment.update(ends_on=last_day).where(
            (Enrollment.employment == employment) & (Enrollment.ends_on.is_null() | (Enrollment.ends_on > last_day))
        ).execute()
        if ended:
            audit.record("hr.benefits.end", "hr_employment", employment.id,
                         detail={"staff_id": employment.staff_id, "last_day": last_day.isoformat(), "ended": ended})
    return ended


def summary(employment: Employment, day: dt.date | None = None) -> list[dict]:
    """The employee's plans in effect on ``day`` (today) with monthly employee and employer costs."""
    day = day or settings.today()
    rows = []
    for enrollment in active_on(employment, day):
        tier = enrollment.tier if enrollment.tier_id else None
        rows.append({"enrollment": enrollment, "plan": enrollment.plan, "tier": tier,
                     "employee_monthly_cents": tier.employee_monthly_cents if tier else None,
                     "employer_monthly_cents": tier.employer_monthly_cents if tier else None,
                     "percent_bp": enrollment.percent_bp})
    return rows

"""Demo history: a year (small demo) of clocked time, approved timesheets, leave and posted
biweekly payroll for the demo employees, plus the policies, plans, courses, checklists, an opening
and a review cycle that make every HR page show something. Written through HR's own services (so
the figures are the ones HR computes), with clocked time bulk-inserted."""
from __future__ import annotations

import datetime as dt

from medoffice import settings
from medoffice.bulk import insert_rows
from medoffice.db import transaction
from medoffice.settings import practice_timezone

from . import (benefits, checklists, hiring, leave, paycheck, payroll, reviews, tax_tables, time_rules, timesheets,
               training)
from .benefits_models import BenefitPlan, BenefitTier
from .models import Employment
from .payroll_models import PayRun
from .time_models import LeavePolicy, TimeEntry
from .training_models import Course

ONBOARDING = (("Form I-9 section 2: examine documents", "hr", 3, True), ("Set up the login and kiosk PIN", "admin", 1, True),
              ("HIPAA privacy and security training", "employee", 30, False), ("First week check-in", "supervisor", 5, True))
SEPARATION = (("Collect keys and badge", "supervisor", 0, False), ("Final pay and benefits end", "hr", 0, False),
              ("Exit interview", "hr", -2, True))
COURSES = (("HIPAA privacy and security", "", 30, 12), ("OSHA bloodborne pathogens", "", 30, 12),
           ("BLS / CPR", "Medical assistant", 60, 24))


def _setup(ctx, anchor: dt.date) -> None:
    settings.set_many({timesheets.FREQUENCY_SETTING: "biweekly", timesheets.ANCHOR_SETTING: anchor.isoformat()})
    LeavePolicy.create(name="Paid time off", accrual_method="per_hour_worked", earn_minutes=60, per_worked_minutes=1800,
                       cap_minutes=80 * 60, carryover_minutes=40 * 60, applies_to="full_and_part_time")
    LeavePolicy.create(name="Sick leave", accrual_method="yearly", earn_minutes=40 * 60, cap_minutes=40 * 60,
                       carryover_minutes=0, waiting_days=90, applies_to="full_and_part_time")
    for kind, rows in (("onboarding", ONBOARDING), ("separation", SEPARATION)):
        template = checklists.create_template("Everyone: " + kind, kind, "")
        for title, who, offset, business in rows:
            checklists.add_template_task(template, title, who, offset, business)
    for name, title, due, repeat in COURSES:
        Course.create(name=name, job_title=title, due_days_after_hire=due, repeat_months=repeat)
    health = BenefitPlan.create(name="Health PPO", kind="health", pretax=True)
    for tier, employee, employer in (("Employee", 11_000, 52_000), ("Employee and spouse", 26_000, 88_000),
                                     ("Family", 39_000, 121_000)):
        BenefitTier.create(plan=health, name=tier, employee_monthly_cents=employee, employer_monthly_cents=employer)
    dental = BenefitPlan.create(name="Dental", kind="dental", pretax=True)
    BenefitTier.create(plan=dental, name="Employee", employee_monthly_cents=1_800, employer_monthly_cents=2_400)
    BenefitPlan.create(name="401(k)", kind="retirement", pretax=True)


def _enroll(ctx, employment: Employment, since: dt.date) -> None:
    payroll.save_w4(employment, paycheck.W4(ctx.rng.choice(("single", "single", "married", "head")),
                                            step3_cents=ctx.rng.choice((0, 0, 200_000, 400_000))))
    health = BenefitPlan.get(BenefitPlan.name == "Health PPO")
    tier = ctx.rng.choice(list(health.tiers))
    benefits.enroll(employment, health, tier, 0, since, "demo")
    if ctx.rng.random() < 0.6:
        benefits.enroll(employment, BenefitPlan.get(BenefitPlan.kind == "retirement"), None,
                        ctx.rng.choice((300, 400, 500, 600)), since, "demo")


def _clock(ctx, employment: Employment, first: dt.date, last: dt.date) -> list[dict]:
    """Weekday shifts with an unpaid lunch, the odd long day (overtime) and days off."""
    zone = practice_timezone()
    rows = []
    day = max(first, employment.hire_date)
    while day <= last:
        if day.weekday() < 5 and ctx.rng.random() > 0.06:
            start = dt.datetime.combine(day, dt.time(8, ctx.rng.choice((0, 0, 5, 10))), zone)
            lunch = start + dt.timedelta(hours=4)
            end = lunch + dt.timedelta(minutes=30) + dt.timedelta(hours=4, minutes=ctx.rng.choice((0, 15, 30, 90, 120)))
            for kind, began, ended in (("work", start, lunch), ("break", lunch, lunch + dt.timedelta(minutes=30)),
                                       ("work", lunch + dt.timedelta(minutes=30), end)):
                rows.append({"employment": employment.id, "kind": kind, "started_at": began.astimezone(dt.timezone.utc),
                             "ended_at": ended.astimezone(dt.timezone.utc), "source": ctx.rng.choice(("self", "kiosk"))})
        day += dt.timedelta(days=1)
    return rows


def _pay(start: dt.date, end: dt.date) -> None:
    """Post the period's pay run; a year without a tax table (before the shipped ones) keeps its time
    and leave but is not paid."""
    try:
        run = payroll.create_run(start, end + dt.timedelta(days=5), "demo")
    except tax_tables.TaxTableError:
        return
    if payroll.compute(run):
        payroll.delete_draft(run)  # a demo period nobody can be paid for stays unpaid
    else:
        payroll.post(run, "demo")


def create_history(ctx, employments: list[Employment], years: int) -> None:
    """Policies, plans and ``years`` of time, leave and posted biweekly payroll (from the first year a tax
    table exists for). The last pay period that has ended is left as a practice finds it the morning after:
    its time clocked but awaiting approval and not yet paid, so the manager always has a period to run."""
    if PayRun.select().exists() or LeavePolicy.select().exists():
        return
    anchor = time_rules.workweek_start(ctx.today, 6) - dt.timedelta(days=7 * 2 * 26 * years)
    with transaction():
        _setup(ctx, anchor)
    first_period = anchor
    current_start, _ = timesheets.period_of(ctx.today)
    hourly = [e for e in employments if not e.flsa_exempt]
    with transaction():
        for employment in employments:
            _enroll(ctx, employment, max(employment.hire_date, anchor))
        rows = []
        for employment in hourly:
            rows += _clock(ctx, employment, first_period, ctx.today - dt.timedelta(days=1))
        for start in range(0, len(rows), 2000):
            insert_rows(TimeEntry, rows[start:start + 2000])
    start = first_period
    year_done = set()
    while start < current_start:
        _start, end = timesheets.period_of(start)
        if start.year not in year_done:
            leave.turn_of_year(max(start, dt.date(start.year, 1, 1)))
            year_done.add(start.year)
        awaiting_payroll = end + dt.timedelta(days=1) == current_start
        for employment in hourly:
            if employment.hire_date <= end and not awaiting_payroll:
                timesheets.approve(employment, start, "demo")
        if ctx.rng.random() < 0.3 and hourly:
            someone = ctx.rng.choice(hourly)
            policy = LeavePolicy.get(LeavePolicy.name == "Paid time off")
            if leave.balance(someone, policy) >= 8 * 60:
                request = leave.request_leave(someone, policy, end + dt.timedelta(days=3), end + dt.timedelta(days=3),
                                              8 * 60, "Day off")
                leave.decide(request, True, "", "demo")
        if not awaiting_payroll:
            _pay(start, end)
        start = end + dt.timedelta(days=1)
    with transaction():
        opening = hiring.save_opening(None, {"title": "Medical assistant (part-time)", "job_title": "Medical assistant",
                                             "description": "Rooming, vitals, injections.", "status": "open",
                                             "department": None, "location": None}, "demo")
        for first, last, stage in (("Jordan", "Reyes", "interview"), ("Casey", "Nguyen", "applied"),
                                   ("Riley", "Okoro", "screening")):
            candidate = hiring.add_candidate(opening, {"first_name": first, "last_name": last, "phone": "570-555-0199",
                                                       "email": f"{first.lower()}@example.org", "note": ""})
            hiring.move_candidate(candidate, stage)
        reviews.start_cycle(f"{ctx.today.year} annual review", dt.date(ctx.today.year, 1, 1),
                            dt.date(ctx.today.year, 12, 31), ctx.today + dt.timedelta(days=45), "demo")
    training.sync_all()

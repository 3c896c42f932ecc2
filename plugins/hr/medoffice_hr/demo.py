"""Demo data: the demo practice's staff as employees, with a department, a supervisor, pay rate
history and an emergency contact each, written through the real functions (audited); then a year
of time, leave and payroll (``demo_history``)."""
from __future__ import annotations

import datetime as dt

from medoffice.db import transaction
from medoffice.models import StaffMember

from . import employees
from .demo_history import create_history
from .models import Department, Employment

DEPARTMENTS = ("Front office", "Clinical", "Billing", "Management")
RELATIONS = ("Spouse", "Parent", "Sibling", "Friend")
YEARS = {"small": 1, "large": 1}  # five years through the services took six minutes: see the README
EMPLOYEES = {"small": 0, "large": 120}  # the large demo grows the staff to this many employees
FIRST = ("Avery", "Blake", "Cameron", "Drew", "Emerson", "Finley", "Harper", "Jamie", "Kendall", "Logan", "Morgan",
         "Parker", "Quinn", "Reese", "Rowan", "Skyler", "Taylor", "Hayden")
LAST = ("Adams", "Brooks", "Carter", "Diaz", "Evans", "Foster", "Garcia", "Hughes", "Ingram", "Jensen", "Khan", "Lopez",
        "Murphy", "Novak", "Owens", "Patel", "Rivera", "Stone", "Turner", "Walsh")
TITLES = ("Medical assistant", "Medical assistant", "Front desk", "Billing specialist", "Registered nurse",
          "Scheduler", "Phlebotomist")


def _department_for(staff: StaffMember) -> str:
    title = (staff.job_title or "").lower()
    if staff.is_provider or "nurse" in title or "assistant" in title:
        return "Clinical"
    if "bill" in title:
        return "Billing"
    if "manager" in title:
        return "Management"
    return "Front office"


def _grow_staff(ctx) -> None:
    """The large demo's extra staff (office and clinical), up to its number of employees."""
    wanted = EMPLOYEES[ctx.size] - StaffMember.select().where(StaffMember.active == True).count()  # noqa: E712
    if wanted <= 0:
        return
    rows = [{"first_name": ctx.rng.choice(FIRST), "last_name": f"{ctx.rng.choice(LAST)}", "job_title": ctx.rng.choice(TITLES)}
            for _ in range(wanted)]
    with transaction():
        StaffMember.insert_many(rows).execute()


def create_demo_data(ctx) -> None:
    """Employment for every active demo staff member (the large set grows the staff to 120 first)."""
    _grow_staff(ctx)
    staff = list(StaffMember.select().where(StaffMember.active == True)  # noqa: E712
                 .order_by(StaffMember.id).limit(120))
    if not staff:
        return
    with transaction():
        departments = {name: Department.get_or_create(name=name)[0] for name in DEPARTMENTS}
        managers = [s for s in staff if "manager" in (s.job_title or "").lower()]
        lead = managers[0] if managers else staff[0]
        for person in staff:
            if employees.employment_of(person.id) is not None:
                continue
            hired = ctx.today - dt.timedelta(days=ctx.rng.randint(120, 3000))
            employment = employees.save_employment(person, {
                "hire_date": hired, "end_date": None, "status": "active",
                "employment_type": ctx.rng.choice(("full_time", "full_time", "full_time", "part_time")),
                "flsa_exempt": person.is_provider or person is lead, "job_title": person.job_title or "Staff",
                "department": departments[_department_for(person)].id, "location": person.location_id,
                "supervisor": None if person is lead else lead.id,
            })
            salaried = person.is_provider or person is lead
            basis = "salary" if salaried else "hourly"
            amount = ctx.rng.randint(90_000, 220_000) * 100 if salaried else ctx.rng.randint(1800, 3400)
            employees.add_pay_rate(employment, hired, basis, amount, "Starting rate", "demo")
            raised = hired + dt.timedelta(days=365)
            if raised <= ctx.today:
                employees.add_pay_rate(employment, raised, basis, amount * 103 // 100, "Yearly review: 3%", "demo")
            employees.add_contact(employment, f"{ctx.rng.choice(('Alex', 'Sam', 'Jordan', 'Casey'))} {person.last_name}",
                                  ctx.rng.choice(RELATIONS), f"555-01{ctx.rng.randint(10, 99)}", "")
    create_history(ctx, list(Employment.select().where(Employment.status != "ended")), YEARS[ctx.size])

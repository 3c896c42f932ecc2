"""Pure rules of hiring and leaving: pipeline stages, scorecards, separation reasons, who a
checklist task goes to, and due dates counted in calendar or business days. No database."""
from __future__ import annotations

import datetime as dt

STAGES = (("applied", "Applied"), ("screening", "Screening"), ("interview", "Interview"), ("offer", "Offer"),
          ("hired", "Hired"), ("rejected", "Not hired"), ("withdrawn", "Withdrew"))
OPEN_STAGES = ("applied", "screening", "interview", "offer")
CLOSED_STAGES = ("hired", "rejected", "withdrawn")
OPENING_STATUSES = (("open", "Open"), ("closed", "Closed"), ("filled", "Filled"))
RECOMMENDATIONS = (("strong_yes", "Strong yes"), ("yes", "Yes"), ("no", "No"), ("strong_no", "Strong no"))
CHECKLIST_KINDS = (("onboarding", "Onboarding"), ("separation", "Separation"))
SEPARATION_REASONS = (("resignation", "Resignation"), ("termination", "Termination"), ("retirement", "Retirement"),
                      ("end_of_contract", "End of contract"), ("other", "Other"))
# Who a checklist task goes to: the person themselves, their supervisor, or a role of core.
PERSON_ASSIGNEES = (("employee", "The employee"), ("supervisor", "The supervisor"))
ROLE_ASSIGNEES = (("hr", "Human resources"), ("office_manager", "Office manager"), ("admin", "Administrator"),
                  ("front_desk", "Front desk"), ("billing", "Billing"))
ASSIGNEES = PERSON_ASSIGNEES + ROLE_ASSIGNEES


def stage_move_problem(current: str, target: str) -> str | None:
    """Why a candidate in ``current`` cannot be moved to ``target`` on the board, or None.
    Hiring goes through the hire form (it makes the staff record), never a plain move."""
    if target not in dict(STAGES):
        return "Choose a stage."
    if current == "hired":
        return "A hired candidate stays hired."
    if target == "hired":
        return "Hire the candidate with the hire form: it makes the staff record and the employment."
    return None


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` business days (Monday to Friday) after ``start`` (before it when negative);
    0 is ``start`` itself, or the next business day when it falls on a weekend."""
    step = 1 if days >= 0 else -1
    day = start
    if days == 0:
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day
    remaining = abs(days)
    while remaining:
        day += dt.timedelta(days=step)
        if day.weekday() < 5:
            remaining -= 1
    return day


def task_due(starts_on: dt.date, offset: int, business_days: bool) -> dt.date:
    """A checklist task's due date: ``offset`` calendar or business days from ``starts_on``."""
    if business_days:
        return add_business_days(starts_on, offset)
    return starts_on + dt.timedelta(days=offset)


def purge_cutoff(today: dt.date, retention_days: int) -> dt.date:
    """Candidates closed (not hired) on or before this date are past the retention period."""
    return today - dt.timedelta(days=retention_days)

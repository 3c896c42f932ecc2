"""Where an open deadline stands on a given day: pure date arithmetic, no database.

The stages, in the order a deadline passes through them::

    coming -> lead_90 -> lead_60 -> lead_30 -> week -> overdue -> escalated

``lead_N`` is reached N days before the due date, for each lead time longer than a week; ``week``
is the last seven days (the lead time of 7, which every deadline has); a lead time shorter than a
week adds a ``lead_N`` stage after ``week`` (``lead_3``). ``overdue`` starts the day after the due
date, ``escalated`` ``escalate_after_days`` days after it when the deadline has an escalation role.
"""
from __future__ import annotations

import datetime as dt

WEEK = 7
COMING, WEEK_STAGE, OVERDUE, ESCALATED = "coming", "week", "overdue", "escalated"


def thresholds(lead_days) -> list[int]:
    """The reminder distances in days, farthest first, always including the week."""
    return sorted({*lead_days, WEEK}, reverse=True)


def stage_name(threshold: int) -> str:
    """The stage reached ``threshold`` days before the due date."""
    return WEEK_STAGE if threshold == WEEK else f"lead_{threshold}"


def stage_on(due: dt.date, today: dt.date, lead_days, *, escalate_after_days: int = 3,
             escalates: bool = True) -> str:
    """The stage of an open deadline due on ``due``, seen on ``today``."""
    days_left = (due - today).days
    if days_left < 0:
        return ESCALATED if escalates and -days_left >= escalate_after_days else OVERDUE
    reached = [t for t in thresholds(lead_days) if days_left <= t]
    return stage_name(reached[-1]) if reached else COMING


def stage_order(lead_days) -> list[str]:
    """Every stage a deadline with these lead times passes through, in order."""
    return [COMING, *(stage_name(t) for t in thresholds(lead_days)), OVERDUE, ESCALATED]


def announce_on(due: dt.date, lead_days) -> dt.date:
    """The first day a deadline shows as coming (its farthest reminder)."""
    return due - dt.timedelta(days=thresholds(lead_days)[0])


def stage_label(stage: str) -> str:
    """The stage in words."""
    if stage.startswith("lead_"):
        return f"Due within {int(stage[5:])} days"
    return {COMING: "Coming", WEEK_STAGE: "Due this week", OVERDUE: "Overdue",
            ESCALATED: "Overdue, escalated"}.get(stage, stage)


def group_of(due: dt.date, today: dt.date) -> str:
    """Today's grouping of an open deadline: ``overdue``, ``week`` (due within 7 days) or ``coming``."""
    days_left = (due - today).days
    return "overdue" if days_left < 0 else "week" if days_left <= WEEK else "coming"

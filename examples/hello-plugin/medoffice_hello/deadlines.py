"""A deadline the plugin keeps on core's calendar: tidy the greetings board once a month.

The job and the demo data call ``plan_tidy_up`` as often as they like: the key names the month,
so the same month's deadline is found and left as it is (see docs/plugins.md, "Deadlines").
"""
from __future__ import annotations

import calendar
import datetime as dt

from medoffice import deadlines
from medoffice.deadlines import DeadlineKind

TIDY_UP = DeadlineKind("hello.tidy_up", "Greetings board tidy-up", lead_days=(14,), escalation_role="office_manager",
                       escalate_after_days=3, evidence="note",
                       description="Once a month, clear greetings that are no longer relevant.")


def plan_tidy_up(today: dt.date):
    """Upsert this month's tidy-up, due on the month's last day, for the office manager role."""
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    return deadlines.upsert("hello", f"tidy-up:{today:%Y-%m}", title=f"Tidy the greetings board ({today:%B %Y})",
                            due=last, kind="hello.tidy_up", concerns=("hello_board", "", "hello.greetings"),
                            assignee_role="office_manager")

"""What HR puts in a person's Today queue: leave requests waiting for their decision, their reports'
(or, for HR, everyone's) timesheets of the last pay period still unapproved, overdue manual
signatures. A few counting queries, no per-row work, each kept until what it counts changes."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from medoffice import WorkItem, prepared
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import kept
from medoffice.documents.status import DOCUMENTS_VERSION
from medoffice.prepared import slot
from peewee import SQL, fn

from . import timesheets
from .manual import overdue_signatures
from .models import PEOPLE, Employment
from .time_models import LEAVE, TIME_ENTRIES, LeaveRequest, Timesheet


def _supervisor(user, permission: str) -> int | None:
    """None for holders of ``permission`` (they see everyone); otherwise whose direct reports the user sees
    (0 when the user is no staff member: nobody's)."""
    if user.has_permission(permission):
        return None
    return (user.row.staff_id if hasattr(user, "row") else None) or 0


def _leave_query(everyone: bool, others: bool):
    query = LeaveRequest.select(fn.COUNT(SQL("1"))).join(Employment).where(LeaveRequest.status == "pending")
    if not everyone:
        query = query.where(Employment.supervisor == slot("supervisor"))
    if others:
        query = query.where(Employment.staff != slot("staff"))
    return query


# Built once: the dashboard polls these, and building a query costs more than SQLite running it.
_LEAVE = {(everyone, others): _leave_query(everyone, others) for everyone in (True, False) for others in (True, False)}
# Correlated (NOT EXISTS): each person's sheet is one look-up in the (employment, period_start) index, where
# NOT IN read every timesheet ever kept.
_APPROVED = Timesheet.select(SQL("1")).where((Timesheet.employment == Employment.id)
                                             & (Timesheet.period_start == slot("last_start"))
                                             & Timesheet.status.in_(("approved", "paid")))
_UNAPPROVED = Employment.select(fn.COUNT(SQL("1"))).where(
    (Employment.status != "ended") & (Employment.flsa_exempt == False)  # noqa: E712
    & (Employment.hire_date <= slot("last_end")) & ~fn.EXISTS(_APPROVED))
_UNAPPROVED_OF_REPORTS = _UNAPPROVED.where(Employment.supervisor == slot("supervisor"))


def _leave_to_decide(supervisor: int | None, staff_id: int | None) -> int:
    """Pending leave requests the user decides (not their own), counted by a statement compiled once per shape;
    kept until leave or employments change."""
    shape = (supervisor is None, bool(staff_id))
    return kept((LEAVE.key, PEOPLE.key), ("today.leave", supervisor, staff_id), lambda: (
        prepared.scalar(_LEAVE[shape], ("hr.today.leave", *shape), supervisor=supervisor, staff=staff_id) or 0))


def _timesheets_to_approve(supervisor: int | None, last_start: dt.date, last_end: dt.date) -> int:
    """Paid-by-the-hour people (the user's reports, or everyone) without an approved timesheet for the last period."""
    query = _UNAPPROVED if supervisor is None else _UNAPPROVED_OF_REPORTS
    return kept((PEOPLE.key, TIME_ENTRIES.key), ("today.unapproved", supervisor, last_start, last_end), lambda: (
        prepared.scalar(query, ("hr.today.timesheets", supervisor is None), supervisor=supervisor,
                        last_start=last_start, last_end=last_end) or 0))


def hr_work_items(user, today: dt.date) -> list[WorkItem]:
    """The Today items for ``user`` (the dashboard polls them: their counts are compiled once)."""
    items = []
    if user.has_permission("hr.self.view"):
        staff_id = user.row.staff_id if hasattr(user, "row") else None
        count = _leave_to_decide(_supervisor(user, "hr.leave.manage"), staff_id)
        if count:
            items.append(WorkItem("Leave requests to decide", url_for("hr.leave_requests"), "hr.self.view", urgency=30,
                                  count=count, source="HR"))
        start, _end = timesheets.period_of(today)
        last_start, last_end = timesheets.period_of(start - dt.timedelta(days=1))
        unapproved = _timesheets_to_approve(_supervisor(user, "hr.time.manage"), last_start, last_end)
        if unapproved:
            items.append(WorkItem("Timesheets of the last pay period to approve",
                                  url_for("hr.timesheets_page", day=last_start.isoformat()), "hr.self.view",
                                  urgency=25, count=unapproved, source="HR"))
    if user.has_permission("hr.manual.manage"):
        overdue = kept((DOCUMENTS_VERSION.key, ACCESS_KEY), ("today.manual", today), lambda: overdue_signatures(today))
        if overdue:
            items.append(WorkItem("Employee manual: acknowledgments overdue", url_for("hr.manual"), "hr.manual.manage",
                                  urgency=20, count=overdue, source="HR"))
    return items

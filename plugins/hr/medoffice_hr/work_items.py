"""What HR puts in a person's Today queue: leave requests waiting for their decision, their reports'
(or, for HR, everyone's) timesheets of the last pay period still unapproved, overdue manual
signatures. A few counting queries, no per-row work."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from medoffice import WorkItem

from . import timesheets
from .manual import overdue_signatures
from .models import Employment
from .time_models import LeaveRequest, Timesheet


def _scope(query, user, permission: str):
    """Everyone for holders of ``permission``; otherwise the user's direct reports."""
    if user.has_permission(permission):
        return query
    staff_id = user.row.staff_id if hasattr(user, "row") else None
    return query.where(Employment.supervisor == (staff_id or 0))


def hr_work_items(user, today: dt.date) -> list[WorkItem]:
    """The Today items for ``user``."""
    items = []
    if user.has_permission("hr.self.view"):
        waiting = _scope(LeaveRequest.select().join(Employment).where(LeaveRequest.status == "pending"),
                         user, "hr.leave.manage")
        staff_id = user.row.staff_id if hasattr(user, "row") else None
        if staff_id:
            waiting = waiting.where(Employment.staff != staff_id)
        count = waiting.count()
        if count:
            items.append(WorkItem("Leave requests to decide", url_for("hr.leave_requests"), "hr.self.view", urgency=30,
                                  count=count, source="HR"))
        start, _end = timesheets.period_of(today)
        last_start, last_end = timesheets.period_of(start - dt.timedelta(days=1))
        people = _scope(Employment.select().where((Employment.status != "ended") & (Employment.flsa_exempt == False)  # noqa: E712
                                                  & (Employment.hire_date <= last_end)), user, "hr.time.manage")
        approved = Timesheet.select(Timesheet.employment).where((Timesheet.period_start == last_start)
                                                                & Timesheet.status.in_(("approved", "paid")))
        unapproved = people.where(Employment.id.not_in(approved)).count()
        if unapproved:
            items.append(WorkItem("Timesheets of the last pay period to approve",
                                  url_for("hr.timesheets_page", day=last_start.isoformat()), "hr.self.view",
                                  urgency=25, count=unapproved, source="HR"))
    if user.has_permission("hr.manual.manage"):
        overdue = overdue_signatures(today)
        if overdue:
            items.append(WorkItem("Employee manual: acknowledgments overdue", url_for("hr.manual"), "hr.manual.manage",
                                  urgency=20, count=overdue, source="HR"))
    return items

"""Leave: policies as data, balances as the sum of a ledger (in SQL), accrual on approved
timesheets (per hour worked or per pay period) and yearly grants with carry-over limits (a job),
all under the policy's cap and waiting period; requests approved by the supervisor or HR."""
from __future__ import annotations

import datetime as dt

from medoffice import audit
from medoffice.db import transaction, utcnow
from peewee import fn

from . import time_rules
from .employees import HrError
from .models import Employment
from .time_models import LeaveLedger, LeavePolicy, LeaveRequest, Timesheet


def policies_for(employment: Employment) -> list[LeavePolicy]:
    """The active policies that cover the employee's type of employment."""
    return [p for p in LeavePolicy.select().where(LeavePolicy.active == True).order_by(LeavePolicy.name)  # noqa: E712
            if time_rules.applies(p.applies_to, employment.employment_type)]


def balance(employment: Employment, policy: LeavePolicy, as_of: dt.date | None = None) -> int:
    """The balance in minutes (the ledger's sum, on ``as_of`` when given)."""
    query = LeaveLedger.select(fn.COALESCE(fn.SUM(LeaveLedger.minutes), 0)).where(
        (LeaveLedger.employment == employment) & (LeaveLedger.policy == policy))
    if as_of is not None:
        query = query.where(LeaveLedger.on <= as_of)
    return int(query.scalar())


def balances(employment: Employment) -> list[dict]:
    """Each policy covering the employee: its balance and what pending requests would take, summed in SQL."""
    sums = dict(LeaveLedger.select(LeaveLedger.policy, fn.SUM(LeaveLedger.minutes))
                .where(LeaveLedger.employment == employment).group_by(LeaveLedger.policy).tuples())
    pending = dict(LeaveRequest.select(LeaveRequest.policy, fn.SUM(LeaveRequest.minutes))
                   .where((LeaveRequest.employment == employment) & (LeaveRequest.status == "pending"))
                   .group_by(LeaveRequest.policy).tuples())
    return [{"policy": p, "balance": int(sums.get(p.id) or 0), "pending": int(pending.get(p.id) or 0)}
            for p in policies_for(employment)]


def _add(employment: Employment, policy: LeavePolicy, on: dt.date, minutes: int, kind: str, reference: str,
         note: str = "") -> int:
    """Write one ledger entry once (by reference); returns the minutes written (0 when it exists)."""
    if minutes == 0 or LeaveLedger.select().where((LeaveLedger.employment == employment) & (LeaveLedger.policy == policy)
                                                  & (LeaveLedger.reference == reference)).exists():
        return 0
    LeaveLedger.create(employment=employment, policy=policy, on=on, minutes=minutes, kind=kind, reference=reference,
                       note=note)
    return minutes


def accrue_for_timesheet(sheet: Timesheet) -> int:
    """Earn leave on an approved timesheet under each policy that accrues per hour worked or per pay
    period, within the cap and after the waiting period; returns the minutes earned in all."""
    employment = sheet.employment
    earned = 0
    for policy in policies_for(employment):
        if policy.accrual_method not in ("per_hour_worked", "per_pay_period"):
            continue
        if sheet.period_end < time_rules.eligible_from(employment.hire_date, policy.waiting_days):
            continue
        if policy.accrual_method == "per_hour_worked":
            raw = time_rules.accrual_for_hours(sheet.regular_minutes + sheet.overtime_minutes, policy.earn_minutes,
                                               policy.per_worked_minutes)
        else:
            raw = policy.earn_minutes
        minutes = time_rules.capped(raw, balance(employment, policy), policy.cap_minutes)
        earned += _add(employment, policy, sheet.period_end, minutes, "accrual", f"timesheet:{sheet.id}")
    return earned


def undo_timesheet_accrual(sheet: Timesheet) -> None:
    """Take back what a reopened timesheet earned (it is earned again when approved again)."""
    LeaveLedger.delete().where((LeaveLedger.employment == sheet.employment)
                               & (LeaveLedger.reference == f"timesheet:{sheet.id}")).execute()


def turn_of_year(today: dt.date) -> str:
    """For the current year (idempotent, run daily by a job): forfeit what exceeds each policy's
    carry-over limit as of the last day of the year before, then grant yearly policies to everyone
    eligible by today, within the cap."""
    year = today.year
    new_year = dt.date(year, 1, 1)
    forfeited = granted = 0
    employments = list(Employment.select().where(Employment.status != "ended"))
    with transaction():
        for employment in employments:
            for policy in policies_for(employment):
                if policy.carryover_minutes is not None:
                    lost = time_rules.forfeited_at_year_end(balance(employment, policy, new_year - dt.timedelta(days=1)),
                                                            policy.carryover_minutes)
                    forfeited += -_add(employment, policy, new_year, -lost, "forfeit", f"carryover:{year}",
                                       "Over the carry-over limit")
                if policy.accrual_method == "yearly":
                    eligible = max(new_year, time_rules.eligible_from(employment.hire_date, policy.waiting_days))
                    if eligible <= today:
                        minutes = time_rules.capped(policy.earn_minutes, balance(employment, policy), policy.cap_minutes)
                        granted += _add(employment, policy, eligible, minutes, "grant", f"grant:{year}")
        if forfeited or granted:
            audit.record("hr.leave.year", "hr_leave_ledger", "", detail={"year": year, "granted_minutes": granted,
                                                                        "forfeited_minutes": forfeited})
    return (f"{time_rules.hours_text(granted)} hours granted, {time_rules.hours_text(forfeited)} hours over the "
            f"carry-over limits forfeited for {year}.")


def request_leave(employment: Employment, policy: LeavePolicy, starts_on: dt.date, ends_on: dt.date, minutes: int,
                  note: str) -> LeaveRequest:
    """Ask for leave; refused when the dates are backwards, the policy does not cover the person, the
    waiting period is not over, or a paid policy's balance (less pending requests) is short."""
    if ends_on < starts_on:
        raise HrError("The leave ends after it starts.", "ends_on")
    if (ends_on - starts_on).days > 366:
        raise HrError("Ask for at most a year at a time.", "ends_on")
    if minutes <= 0:
        raise HrError("Ask for more than zero hours.", "hours")
    if policy not in policies_for(employment):
        raise HrError("That kind of leave does not cover this employee.", "policy")
    eligible = time_rules.eligible_from(employment.hire_date, policy.waiting_days)
    if starts_on < eligible:
        raise HrError(f"This leave can be used from {eligible.isoformat()} (the waiting period).", "starts_on")
    if policy.paid:
        pending = LeaveRequest.select(fn.COALESCE(fn.SUM(LeaveRequest.minutes), 0)).where(
            (LeaveRequest.employment == employment) & (LeaveRequest.policy == policy)
            & (LeaveRequest.status == "pending")).scalar()
        available = balance(employment, policy) - int(pending)
        if minutes > available:
            raise HrError(f"Only {time_rules.hours_text(max(available, 0))} hours are available.", "hours")
    with transaction():
        request = LeaveRequest.create(employment=employment, policy=policy, starts_on=starts_on, ends_on=ends_on,
                                      minutes=minutes, note=note)
        audit.record("hr.leave.request", "hr_leave_request", request.id,
                     detail={"staff_id": employment.staff_id, "policy_id": policy.id, "minutes": minutes})
    return request


def decide(request: LeaveRequest, approve: bool, note: str, by: str) -> None:
    """Approve (the minutes leave the balance) or deny a pending request."""
    if request.status != "pending":
        raise HrError("This request is already decided.")
    with transaction():
        if approve and request.policy.paid:
            if request.minutes > balance(request.employment, request.policy):
                raise HrError("The balance no longer covers this request.")
            _add(request.employment, request.policy, request.starts_on, -request.minutes, "taken",
                 f"request:{request.id}")
        request.status = "approved" if approve else "denied"
        request.decided_by, request.decided_at, request.decision_note = by, utcnow(), note[:200]
        request.save()
        audit.record("hr.leave.approve" if approve else "hr.leave.deny", "hr_leave_request", request.id,
                     detail={"staff_id": request.employment.staff_id})


def cancel(request: LeaveRequest, by: str) -> None:
    """Cancel a request; an approved one gives its minutes back."""
    if request.status not in ("pending", "approved"):
        raise HrError("Only a pending or approved request is cancelled.")
    with transaction():
        if request.status == "approved" and request.policy.paid:
            _add(request.employment, request.policy, request.starts_on, request.minutes, "returned",
                 f"request-cancel:{request.id}")
        request.status, request.decided_by, request.decided_at = "cancelled", by, utcnow()
        request.save()
        audit.record("hr.leave.cancel", "hr_leave_request", request.id, detail={"staff_id": request.employment.staff_id})

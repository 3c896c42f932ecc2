"""Accounting periods: calendar months that close (no posting dated in them) and reopen with a reason.

The database refuses a posting into a closed month by itself (the entry trigger); this module keeps
the month rows, their history and the audit entries. Every month something is posted in gets its row
first, so on PostgreSQL the posting locks that row and cannot race the month's close.
"""
from __future__ import annotations

import calendar
import datetime as dt

from medoffice import audit
from medoffice.db import transaction, utcnow

from .actor import acting_user
from .models import Period, PeriodEvent, YearClose


class PeriodError(ValueError):
    """A close or reopen that cannot be done, with the reason for the user."""


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """The first and last day of a month."""
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def first_open_day(day: dt.date, closed_months: set[tuple[int, int]]) -> dt.date:
    """``day`` itself when its month is open, else the first day of the next open month after it."""
    year, month = day.year, day.month
    if (year, month) not in closed_months:
        return day
    while (year, month) in closed_months:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.date(year, month, 1)


def ensure_periods(days) -> None:
    """Create the month rows of ``days`` that do not exist yet (open), in one statement whether or not any is
    missing: a posting costs the same statements in a month's first entry as in its thousandth."""
    months = sorted({(d.year, d.month) for d in days})
    if not months:
        return
    now = utcnow()
    Period.insert_many([{"year": y, "month": m, "start_date": month_bounds(y, m)[0], "end_date": month_bounds(y, m)[1],
                         "status": "open", "changed_at": now} for y, m in months]).on_conflict_ignore().execute()


def closed_months() -> set[tuple[int, int]]:
    """Every closed (year, month)."""
    return {(p.year, p.month) for p in Period.select(Period.year, Period.month).where(Period.status == "closed")}


def record_status(period: Period, status: str, action: str, reason: str = "") -> None:
    user_id, _name = acting_user()
    Period.update(status=status, changed_at=utcnow(), changed_by_user_id=user_id).where(
        Period.id == period.id).execute()
    PeriodEvent.create(period=period.id, action=action, reason=reason, user_id=user_id)
    audit.record(f"finance.period.{action}", "finance_period", period.id,
                 detail={"month": f"{period.year}-{period.month:02d}", **({"reason": reason} if reason else {})})


def _period(year: int, month: int) -> Period:
    if not 1 <= month <= 12 or not 1900 <= year <= 2199:
        raise PeriodError("There is no such month.")
    ensure_periods([dt.date(year, month, 1)])
    return Period.get((Period.year == year) & (Period.month == month))


def close_month(year: int, month: int) -> Period:
    """Close a month: nothing dated in it can be posted until it is reopened (audited)."""
    with transaction():
        period = _period(year, month)
        if period.status == "closed":
            raise PeriodError(f"{period.label} is already closed.")
        record_status(period, "closed", "close")
    return period


def reopen_month(year: int, month: int, reason: str) -> Period:
    """Reopen a closed month, with the reason (audited); a month of a closed year needs the year reopened."""
    reason = reason.strip()
    if not reason:
        raise PeriodError("Give the reason for reopening the month.")
    with transaction():
        period = _period(year, month)
        if period.status != "closed":
            raise PeriodError(f"{period.label} is not closed.")
        if YearClose.select().where(YearClose.year == year).exists():
            raise PeriodError(f"The year {year} is closed: reopen the year first.")
        record_status(period, "open", "reopen", reason)
    return period

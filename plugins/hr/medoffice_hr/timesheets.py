"""Timesheets: each employee's pay period, its worked minutes split into regular and overtime
(FLSA workweek, optional daily overtime, exempt staff never overtime), approved by the supervisor
or HR. Approval records the minutes payroll pays and earns leave; reopening undoes the leave."""
from __future__ import annotations

import datetime as dt
import functools

from medoffice import audit, prepared, settings
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import kept
from medoffice.db import transaction, utcnow
from medoffice.prepared import slot
from medoffice.settings import practice_timezone
from peewee import fn

from . import time_rules
from .employees import HrError
from .models import Employment
from .slots import id_slots, id_values
from .time_models import TIME_ENTRIES, TimeEntry, Timesheet

FREQUENCY_SETTING = "hr.pay_frequency"
ANCHOR_SETTING = "hr.pay_period_anchor"
WORKWEEK_SETTING = "hr.workweek_start"
DAILY_OVERTIME_SETTING = "hr.daily_overtime_hours"
DEFAULT_ANCHOR = "2026-01-04"


def anchor_problem(value: str) -> str | None:
    """Why a pay period anchor is refused (the setting's check)."""
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return "Give the first day of any one pay period as YYYY-MM-DD."
    return None


def frequency() -> str:
    """The practice's pay frequency (a setting)."""
    return settings.get(FREQUENCY_SETTING)


def period_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The pay period holding ``day`` under the practice's settings."""
    return time_rules.pay_period(day, frequency(), dt.date.fromisoformat(settings.get(ANCHOR_SETTING)))


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), practice_timezone())


def hours_of(employments, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    """Employment id -> (regular, overtime) minutes worked from ``start`` to ``end``, reading the
    whole workweek that holds ``start`` so overtime earned across the period's start is right. One
    query for every employee (each with ``id`` and ``flsa_exempt``); time still clocked in is not
    counted. Kept until time is clocked, added or corrected, or settings change (the workweek, the
    daily overtime, the time zone)."""
    if not employments:
        return {}
    people = tuple((e.id, bool(e.flsa_exempt)) for e in employments)
    return kept((TIME_ENTRIES.key, ACCESS_KEY), ("hours_of", people, start, end),
                lambda: _hours_of(employments, start, end))


def _hours_of(employments, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    first_weekday = int(settings.get(WORKWEEK_SETTING))
    daily_after = int(settings.get(DAILY_OVERTIME_SETTING)) * 60
    first_day = time_rules.workweek_start(start, first_weekday)
    day_starts = time_rules.day_starts(first_day, end, practice_timezone())
    since, until = day_starts[0], day_starts[-1]  # naive UTC, as the rows are read
    aware = {"since": since.replace(tzinfo=dt.timezone.utc), "until": until.replace(tzinfo=dt.timezone.utc)}
    ids = [e.id for e in employments]
    found = prepared.run(_worked_query(len(ids)), ("hr.hours_of", len(ids)),
                         since_stored=_STARTED.db_value(aware["since"]), **aware, **id_values(ids))
    rows = found.cursor.fetchall()  # raw rows: no per-row conversion
    if rows and isinstance(rows[0][1], str):  # SQLite's ISO text, parsed in one pass
        parse = dt.datetime.fromisoformat
        rows = [(employment_id, parse(started), parse(ended)) for employment_id, started, ended in rows]
    by_employment = time_rules.minutes_by_day_index(rows, day_starts)
    first, idle = (start - first_day).days, [0] * (len(day_starts) - 1)  # the period's first day among those read
    return {e.id: time_rules.workweek_totals(by_employment.get(e.id, idle), first, daily_after, e.flsa_exempt)
            for e in employments}


_STARTED = TimeEntry.started_at


@functools.lru_cache(maxsize=64)
def _worked_query(count: int):
    """Finished work of ``count`` employments (:func:`id_slots`) overlapping [since, until): (employment
    id, started, ended) rows. Each employee's entries are read from their last start before ``since``
    on: the clock never lets one person's entries overlap, so no earlier entry can reach into the
    window, and the index on (employment, started_at) then reads only the window instead of every
    entry before it. Built once per count: the alias's converters must be the same objects for the
    compiled statement to be reused."""
    earlier = TimeEntry.alias()
    last_start = (earlier.select(fn.MAX(earlier.started_at))
                  .where((earlier.employment == Employment.id) & (earlier.started_at < slot("since"))))
    bounds = (Employment.select(Employment.id.alias("employment_id"),
                                fn.COALESCE(last_start, slot("since_stored")).alias("first_start"))
              .where(Employment.id.in_(id_slots(count))).alias("bounds"))
    return (TimeEntry.select(TimeEntry.employment, _STARTED, TimeEntry.ended_at)
            .join(bounds, on=((TimeEntry.employment == bounds.c.employment_id) & (_STARTED >= bounds.c.first_start)))
            .where((TimeEntry.kind == "work") & TimeEntry.ended_at.is_null(False) & (_STARTED < slot("until"))
                   & (TimeEntry.ended_at > slot("since"))))


def sheet(employment: Employment, start: dt.date) -> Timesheet | None:
    """The recorded timesheet of the period starting ``start``, if any."""
    return Timesheet.get_or_none((Timesheet.employment == employment) & (Timesheet.period_start == start))


def settled_status(employment: Employment, day: dt.date) -> str | None:
    """"approved" or "paid" when the employee's period holding ``day`` is so (its time no longer changes),
    else None."""
    start, _end = period_of(day)
    found = sheet(employment, start)
    return found.status if found is not None and found.status in ("approved", "paid") else None


def approve(employment: Employment, start: dt.date, by: str) -> Timesheet:
    """Approve the employee's period starting ``start``: its minutes are recorded for payroll and
    leave is earned on them. Refused while time in the period is still clocked in."""
    period_start, period_end = period_of(start)
    if period_start != start:
        raise HrError("That is not the first day of a pay period.")
    if period_start > settings.today():
        raise HrError("A period that has not begun is not approved.")
    still_in = TimeEntry.select().where((TimeEntry.employment == employment) & TimeEntry.ended_at.is_null()
                                        & (TimeEntry.started_at < _local_midnight(period_end + dt.timedelta(days=1))))
    if still_in.exists():
        raise HrError("Someone is still clocked in in this period: clock them out or correct the time first.")
    from . import leave  # leave earns on approved timesheets; it reads timesheets too

    regular, overtime = hours_of([employment], period_start, period_end)[employment.id]
    with transaction():
        row = sheet(employment, period_start) or Timesheet(employment=employment, period_start=period_start,
                                                            period_end=period_end)
        if row.status == "approved":
            raise HrError("This timesheet is already approved.")
        if row.status == "paid":
            raise HrError("This timesheet is paid: a correction goes through a correcting pay run.")
        row.status, row.regular_minutes, row.overtime_minutes = "approved", regular, overtime
        row.approved_by, row.approved_at = by, utcnow()
        row.save()
        earned = leave.accrue_for_timesheet(row)
        audit.record("hr.timesheet.approve", "hr_timesheet", row.id,
                     detail={"staff_id": employment.staff_id, "period_start": period_start.isoformat(),
                             "regular_minutes": regular, "overtime_minutes": overtime, "leave_earned": earned})
    return row


def reopen(row: Timesheet, reason: str, by: str) -> None:
    """Open an approved timesheet again for corrections (the leave it earned is taken back)."""
    from . import leave

    if row.status != "approved":
        raise HrError("Only an approved, unpaid timesheet is reopened.")
    if not reason.strip():
        raise HrError("Say why the timesheet is reopened.", "reason")
    with transaction():
        row.status, row.approved_by, row.approved_at = "open", "", None
        row.save()
        leave.undo_timesheet_accrual(row)
        audit.record("hr.timesheet.reopen", "hr_timesheet", row.id,
                     detail={"staff_id": row.employment.staff_id, "reason": reason.strip()[:200], "by": by})

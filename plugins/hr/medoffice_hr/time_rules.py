"""Pure rules of time and leave: pay periods, FLSA workweeks, worked minutes per local day,
overtime (weekly over 40 hours at 1.5x, optionally daily), and leave accrual with caps, carry-over
limits and waiting periods. No database, no Flask: minutes and dates in, minutes out."""
from __future__ import annotations

import bisect
import calendar
import datetime as dt
import functools
from collections.abc import Iterator
from dataclasses import dataclass

FREQUENCIES = (("weekly", "Weekly"), ("biweekly", "Every two weeks"), ("semimonthly", "Twice a month (1st and 16th)"),
               ("monthly", "Monthly"))
PERIODS_PER_YEAR = {"weekly": 52, "biweekly": 26, "semimonthly": 24, "monthly": 12}
WEEKDAYS = (("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"), ("4", "Friday"),
            ("5", "Saturday"), ("6", "Sunday"))
WEEKLY_OVERTIME_AFTER = 40 * 60  # FLSA: hours over 40 in the workweek
ACCRUAL_METHODS = (("per_hour_worked", "Per hour worked"), ("per_pay_period", "Per pay period"),
                   ("yearly", "Granted each year"))
APPLIES_TO = (("all", "Every employee"), ("full_and_part_time", "Full- and part-time (not contractors)"),
              ("full_time", "Full-time only"))
LEAVE_STATUSES = (("pending", "Waiting for approval"), ("approved", "Approved"), ("denied", "Denied"),
                  ("cancelled", "Cancelled"))


def pay_period(day: dt.date, frequency: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """The pay period (first day, last day) that holds ``day``. Weekly and biweekly periods are
    counted from ``anchor`` (the first day of any one period); semi-monthly is the 1st-15th and the
    16th-end; monthly the calendar month."""
    if frequency in ("weekly", "biweekly"):
        length = 7 if frequency == "weekly" else 14
        start = anchor + dt.timedelta(days=((day - anchor).days // length) * length)
        return start, start + dt.timedelta(days=length - 1)
    last = calendar.monthrange(day.year, day.month)[1]
    if frequency == "semimonthly":
        if day.day <= 15:
            return day.replace(day=1), day.replace(day=15)
        return day.replace(day=16), day.replace(day=last)
    if frequency == "monthly":
        return day.replace(day=1), day.replace(day=last)
    raise ValueError(f"unknown pay frequency {frequency!r}")


def workweek_start(day: dt.date, first_weekday: int) -> dt.date:
    """The first day of the FLSA workweek (a fixed, recurring 7 days) that holds ``day``."""
    return day - dt.timedelta(days=(day.weekday() - first_weekday) % 7)


def minutes_by_day(intervals, zone) -> dict[dt.date, int]:
    """Whole minutes worked on each local date from (start, end) aware intervals; an interval that
    crosses midnight is split there."""
    days: dict[dt.date, int] = {}
    for start, end in intervals:
        start, end = start.astimezone(zone), end.astimezone(zone)
        while start < end:
            midnight = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), zone)
            piece_end = min(end, midnight)
            # Subtract in UTC: aware datetimes sharing a zone subtract by wall clock, wrong across DST.
            seconds = (piece_end.astimezone(dt.timezone.utc) - start.astimezone(dt.timezone.utc)).total_seconds()
            days[start.date()] = days.get(start.date(), 0) + int(seconds // 60)
            start = piece_end
    return days


@functools.lru_cache(maxsize=64)
def day_starts(first: dt.date, last: dt.date, zone) -> tuple[dt.datetime, ...]:
    """The UTC instants (naive) at which each local date from ``first`` to ``last`` begins, and the day
    after ``last`` (so ``last``'s end). Kept per period: each list of timesheets asks for the same."""
    days = (last - first).days + 2
    return tuple(dt.datetime.combine(first + dt.timedelta(days=n), dt.time(), zone).astimezone(dt.timezone.utc)
                 .replace(tzinfo=None) for n in range(days))


MINUTE = dt.timedelta(minutes=1)


def minutes_by_day_index(intervals, starts: tuple[dt.datetime, ...]) -> dict:
    """As :func:`minutes_by_day` for many people at once: from (key, start, end) naive UTC intervals,
    each key's whole minutes of each local day from :func:`day_starts`, the n-th day running from
    ``starts[n]`` to ``starts[n + 1]`` (time outside ``starts[0]`` to ``starts[-1]`` is left out). The
    day boundaries are looked up, not worked out per interval; a key without time has no list."""
    first, last, count = starts[0], starts[-1], len(starts) - 1
    by_key: dict = {}
    for key, start, end in intervals:
        if start < first:
            start = first
        if end > last:
            end = last
        if start >= end:
            continue
        days = by_key.get(key)
        if days is None:
            days = by_key[key] = [0] * count
        index = bisect.bisect_right(starts, start) - 1
        midnight = starts[index + 1]
        while end > midnight:  # split at each local midnight it crosses
            days[index] += (midnight - start) // MINUTE
            start, index = midnight, index + 1
            midnight = starts[index + 1]
        days[index] += (end - start) // MINUTE
    return by_key


def workweek_totals(day_minutes: list[int], first: int, daily_after: int, exempt: bool) -> tuple[int, int]:
    """(regular, overtime) minutes of the days from index ``first`` on, by the rules of
    :func:`overtime_by_day`, for minutes per day (:func:`minutes_by_day_index`) whose day 0 begins a
    workweek: each 7 days are a workweek, so no date is worked out. What a list of everyone's
    timesheets needs, for a hundred people at a time."""
    if exempt:
        return sum(day_minutes[first:]), 0
    regular = overtime = 0
    for week_start in range(0, len(day_minutes), 7):
        week = day_minutes[week_start:week_start + 7]
        if not daily_after:
            # Weekly overtime only: the days' overtime below adds up to the week's minutes past 40 hours less
            # those already past 40 before the first day counted (the running total only grows), no day loop.
            total, skipped = sum(week), max(0, first - week_start)
            before = sum(week[:skipped]) if skipped else 0
            weekly_ot = max(0, total - WEEKLY_OVERTIME_AFTER) - max(0, before - WEEKLY_OVERTIME_AFTER)
            regular += total - before - weekly_ot
            overtime += weekly_ot
            continue
        worked = 0
        for index, minutes in enumerate(week, week_start):
            daily_ot = max(0, minutes - daily_after) if daily_after else 0
            counted = minutes - daily_ot
            weekly_ot = max(0, worked + counted - WEEKLY_OVERTIME_AFTER) - max(0, worked - WEEKLY_OVERTIME_AFTER)
            worked += counted
            if index >= first:
                regular += counted - weekly_ot
                overtime += daily_ot + weekly_ot
    return regular, overtime


@dataclass(frozen=True)
class DayHours:
    """One day's worked minutes split into regular and overtime."""

    regular: int
    overtime: int


def _split_days(day_minutes: dict[dt.date, int], first_weekday: int, daily_after: int,
                exempt: bool) -> Iterator[tuple[dt.date, int, int]]:
    """(day, regular, overtime) minutes of each day in date order, by the rules of :func:`overtime_by_day`."""
    week_totals: dict[dt.date, int] = {}
    for day in sorted(day_minutes):
        minutes = day_minutes[day]
        if exempt:
            yield day, minutes, 0
            continue
        daily_ot = max(0, minutes - daily_after) if daily_after else 0
        counted = minutes - daily_ot
        week = workweek_start(day, first_weekday)
        before = week_totals.get(week, 0)
        weekly_ot = max(0, before + counted - WEEKLY_OVERTIME_AFTER) - max(0, before - WEEKLY_OVERTIME_AFTER)
        week_totals[week] = before + counted
        yield day, counted - weekly_ot, daily_ot + weekly_ot


def overtime_by_day(day_minutes: dict[dt.date, int], first_weekday: int, daily_after: int = 0,
                    exempt: bool = False) -> dict[dt.date, DayHours]:
    """Split each day's minutes into regular and overtime. Within each workweek, in date order: a day's
    minutes over ``daily_after`` (when set) are overtime; the rest count toward the week, and what
    passes 40 hours in the week is overtime. An exempt employee's time is all regular. Feed the whole
    workweek up to the period's end: a workweek that spans two pay periods then gives each period the
    overtime its own days earned."""
    return {day: DayHours(regular, overtime)
            for day, regular, overtime in _split_days(day_minutes, first_weekday, daily_after, exempt)}


def totals(hours: dict[dt.date, DayHours], start: dt.date, end: dt.date) -> tuple[int, int]:
    """(regular, overtime) minutes of the days from ``start`` to ``end``."""
    regular = sum(h.regular for d, h in hours.items() if start <= d <= end)
    overtime = sum(h.overtime for d, h in hours.items() if start <= d <= end)
    return regular, overtime


def capped(earned: int, balance: int, cap: int) -> int:
    """What of ``earned`` minutes may be added to ``balance`` under a cap (0: no cap)."""
    if earned <= 0:
        return 0
    if not cap:
        return earned
    return max(0, min(earned, cap - balance))


def accrual_for_hours(worked_minutes: int, earn_minutes: int, per_worked_minutes: int) -> int:
    """Minutes of leave earned for ``worked_minutes`` at ``earn_minutes`` per ``per_worked_minutes``
    worked (1 hour per 30: 60 per 1800), rounded down to the minute."""
    if per_worked_minutes <= 0:
        return 0
    return worked_minutes * earn_minutes // per_worked_minutes


def forfeited_at_year_end(balance: int, carryover_limit: int | None) -> int:
    """Minutes lost at the turn of the year when at most ``carryover_limit`` carry over (None: all)."""
    if carryover_limit is None or balance <= carryover_limit:
        return 0
    return balance - carryover_limit


def eligible_from(hire_date: dt.date, waiting_days: int) -> dt.date:
    """The first day a new employee earns and uses leave under a policy with a waiting period."""
    return hire_date + dt.timedelta(days=waiting_days)


def applies(applies_to: str, employment_type: str) -> bool:
    """Whether a policy for ``applies_to`` covers an employee of ``employment_type``."""
    if applies_to == "all":
        return True
    if applies_to == "full_and_part_time":
        return employment_type in ("full_time", "part_time")
    return employment_type == "full_time"


def parse_hours(text: str) -> int:
    """Hours typed as "7.5" or "7:30" in whole minutes; ValueError for anything else or not above zero."""
    text = (text or "").strip()
    if ":" in text:
        hours, _, minutes = text.partition(":")
        if not (hours.isdecimal() and minutes.isdecimal() and len(minutes) == 2 and int(minutes) < 60):
            raise ValueError("Give hours as 7.5 or 7:30.")
        total = int(hours) * 60 + int(minutes)
    else:
        whole, _, fraction = text.partition(".")
        if not whole.isdecimal() or (fraction and not fraction.isdecimal()) or len(fraction) > 2:
            raise ValueError("Give hours as 7.5 or 7:30.")
        total = int(whole) * 60 + (int(fraction.ljust(2, "0")) * 60 // 100 if fraction else 0)
    if total <= 0:
        raise ValueError("Give more than zero hours.")
    if total > 24 * 60 * 366:
        raise ValueError("That is more hours than a year holds.")
    return total


def hours_text(minutes: int) -> str:
    """Minutes as hours and minutes ("7:30")."""
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"

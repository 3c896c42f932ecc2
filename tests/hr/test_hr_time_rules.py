"""The pure rules of time and leave: pay periods, workweeks, minutes per local day (midnight and
DST), overtime (weekly, daily, a workweek across two pay periods), accrual caps and carry-over."""
from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from medoffice_hr import time_rules as tr

SUNDAY = 6
NY = zoneinfo.ZoneInfo("America/New_York")


def test_pay_periods_of_each_frequency():
    anchor = dt.date(2026, 1, 4)  # a Sunday that starts a period
    assert tr.pay_period(dt.date(2026, 1, 17), "biweekly", anchor) == (dt.date(2026, 1, 4), dt.date(2026, 1, 17))
    assert tr.pay_period(dt.date(2026, 1, 18), "biweekly", anchor) == (dt.date(2026, 1, 18), dt.date(2026, 1, 31))
    assert tr.pay_period(dt.date(2025, 12, 30), "weekly", anchor) == (dt.date(2025, 12, 28), dt.date(2026, 1, 3))
    assert tr.pay_period(dt.date(2026, 2, 20), "semimonthly", anchor) == (dt.date(2026, 2, 16), dt.date(2026, 2, 28))
    assert tr.pay_period(dt.date(2026, 2, 15), "semimonthly", anchor) == (dt.date(2026, 2, 1), dt.date(2026, 2, 15))
    assert tr.pay_period(dt.date(2026, 2, 20), "monthly", anchor) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))


def test_minutes_are_split_at_local_midnight_and_count_real_time_across_dst():
    night = (dt.datetime(2026, 3, 7, 22, 0, tzinfo=NY), dt.datetime(2026, 3, 8, 6, 0, tzinfo=NY))
    days = tr.minutes_by_day([night], NY)
    assert days == {dt.date(2026, 3, 7): 120, dt.date(2026, 3, 8): 300}  # clocks sprang forward: 7 real hours


@pytest.mark.parametrize("first", [dt.date(2026, 3, 1), dt.date(2026, 10, 25)])  # across each DST change
def test_minutes_by_day_index_from_looked_up_midnights_match_minutes_by_day(first):
    starts = tr.day_starts(first, first + dt.timedelta(days=13), NY)
    assert len(starts) == 15
    utc = dt.timezone.utc
    intervals = []
    for n in range(14):  # a night shift across midnight and a short day shift, every day
        day = dt.datetime.combine(first + dt.timedelta(days=n), dt.time(21, 30), NY)
        intervals += [(day, day + dt.timedelta(hours=8, minutes=17)),
                      (day - dt.timedelta(hours=12), day - dt.timedelta(hours=8, seconds=30))]
    inside = [(max(a, starts[0].replace(tzinfo=utc)), min(b, starts[-1].replace(tzinfo=utc))) for a, b in intervals]
    naive = [("night" if a.hour > 12 else "day", a.astimezone(utc).replace(tzinfo=None),
              b.astimezone(utc).replace(tzinfo=None)) for a, b in intervals]  # clipped to the days by the function
    found = tr.minutes_by_day_index(naive, starts)
    for shift in ("night", "day"):
        by_date = tr.minutes_by_day([(a, b) for a, b in inside if (a.hour > 12) == (shift == "night")], NY)
        assert found[shift] == [by_date.get(first + dt.timedelta(days=n), 0) for n in range(14)]


def test_weekly_overtime_over_forty_hours():
    week = {dt.date(2026, 1, 4) + dt.timedelta(days=n): 9 * 60 for n in range(1, 6)}  # Mon-Fri, 9 h a day
    hours = tr.overtime_by_day(week, SUNDAY)
    assert tr.totals(hours, dt.date(2026, 1, 4), dt.date(2026, 1, 10)) == (40 * 60, 5 * 60)
    assert hours[dt.date(2026, 1, 9)] == tr.DayHours(4 * 60, 5 * 60)  # Friday passes 40
    assert tr.totals(tr.overtime_by_day(week, SUNDAY, exempt=True), dt.date(2026, 1, 4),
                     dt.date(2026, 1, 10)) == (45 * 60, 0)


def test_daily_overtime_is_not_counted_twice():
    week = {dt.date(2026, 1, 5): 10 * 60, dt.date(2026, 1, 6): 8 * 60}
    assert tr.totals(tr.overtime_by_day(week, SUNDAY, daily_after=8 * 60), dt.date(2026, 1, 4),
                     dt.date(2026, 1, 10)) == (16 * 60, 2 * 60)


def test_a_workweek_spanning_two_pay_periods_gives_each_its_own_overtime():
    # Semi-monthly: the period ends Thursday the 15th; the workweek Sunday 11th to Saturday 17th.
    days = {dt.date(2026, 1, d): 10 * 60 for d in (12, 13, 14, 15, 16)}  # Mon-Fri, 10 h
    hours = tr.overtime_by_day(days, SUNDAY)
    assert tr.totals(hours, dt.date(2026, 1, 1), dt.date(2026, 1, 15)) == (40 * 60, 0)
    assert tr.totals(hours, dt.date(2026, 1, 16), dt.date(2026, 1, 31)) == (0, 10 * 60)



@pytest.mark.parametrize("daily_after, exempt", [(0, False), (8 * 60, False), (0, True)])
def test_workweek_totals_are_the_totals_of_the_split_days(daily_after, exempt):
    first = dt.date(2026, 1, 4)  # a Sunday: three workweeks from it
    for step, most in ((97, 700), (53, 400)):  # weeks over 40 hours and weeks under
        days = {first + dt.timedelta(days=n): (n * step) % most for n in range(21)}
        minutes = [days[first + dt.timedelta(days=n)] for n in range(21)]
        split = tr.overtime_by_day(days, SUNDAY, daily_after, exempt)
        for start in (first, dt.date(2026, 1, 8), dt.date(2026, 1, 11), dt.date(2026, 1, 16)):
            end = first + dt.timedelta(days=20)
            assert tr.workweek_totals(minutes, (start - first).days, daily_after, exempt) == tr.totals(split, start,
                                                                                                       end)


def test_accrual_caps_carry_over_and_waiting_period():
    assert tr.accrual_for_hours(80 * 60, 60, 30 * 60) == 160  # 1 hour per 30 worked: 2:40 for 80 hours
    assert tr.capped(160, 40 * 60 - 100, 40 * 60) == 100  # only up to the cap
    assert tr.capped(160, 40 * 60, 40 * 60) == 0 and tr.capped(160, 0, 0) == 160
    assert tr.forfeited_at_year_end(50 * 60, 40 * 60) == 10 * 60
    assert tr.forfeited_at_year_end(50 * 60, None) == 0
    assert tr.eligible_from(dt.date(2026, 1, 5), 90) == dt.date(2026, 4, 5)
    assert tr.applies("full_time", "part_time") is False and tr.applies("full_and_part_time", "part_time")


@pytest.mark.parametrize("text, minutes", [("7.5", 450), ("7:30", 450), ("8", 480), ("0.25", 15)])
def test_hours_are_read_as_minutes(text, minutes):
    assert tr.parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["-3", "0", "abc", "7:75", "1.234", ""])
def test_impossible_hours_are_refused(text):
    with pytest.raises(ValueError):
        tr.parse_hours(text)


def test_workweek_totals_of_weekly_overtime_match_the_day_by_day_split_on_random_weeks():
    import random

    randomly = random.Random(14)
    first = dt.date(2026, 1, 4)
    for _ in range(300):
        count = randomly.choice((7, 14, 15, 21))
        days = {first + dt.timedelta(days=n): randomly.choice((0, 0, 60, 479, 480, 481, 600, 720, 900))
                for n in range(count)}
        minutes = [days[first + dt.timedelta(days=n)] for n in range(count)]
        split = tr.overtime_by_day(days, SUNDAY)
        start = first + dt.timedelta(days=randomly.randrange(count))
        assert tr.workweek_totals(minutes, (start - first).days, 0, False) == tr.totals(
            split, start, first + dt.timedelta(days=count - 1))

"""The "Greetings per day" report: one SQL GROUP BY, drawn as a bar chart."""
from __future__ import annotations

import datetime as dt

from peewee import fn

from medoffice import ChartSpec, Column, ReportParam, ReportResult, ReportSpec
from medoffice.settings import today

from .models import Greeting


def greetings_per_day(start: dt.date, end: dt.date) -> ReportResult:
    """Count greetings per UTC day from ``start`` to ``end`` (both included)."""
    lower = dt.datetime.combine(start, dt.time.min, tzinfo=dt.timezone.utc)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
    # SQLite answers date() with text, PostgreSQL with a date: read both as a date.
    day = fn.date(Greeting.created_at).python_value(lambda v: dt.date.fromisoformat(str(v)))
    rows = list(Greeting.select(day.alias("day"), fn.COUNT(Greeting.id).alias("greetings"))
                .where((Greeting.created_at >= lower) & (Greeting.created_at < upper))
                .group_by(day).order_by(day).dicts())
    return ReportResult(
        columns=[Column("day", "Day", "date"), Column("greetings", "Greetings", "int")],
        rows=rows,
        totals={"greetings": sum(r["greetings"] for r in rows)},
        chart=ChartSpec("bar", x="day", series=("greetings",), title="Greetings per day"),
        notes="Days are counted in UTC.",
    )


def check_range(start: dt.date, end: dt.date) -> dict[str, str]:
    """The range must not run backwards."""
    return {"end": "The end date must be on or after the start date."} if end < start else {}


PER_DAY = ReportSpec(
    id="hello.per_day",
    title="Greetings per day",
    permission="hello.greetings.view",
    run=greetings_per_day,
    check=check_range,
    description="How many greetings the team left each day.",
    params=[
        ReportParam("start", "From", "date", required=True,
                    default=lambda: today() - dt.timedelta(days=29)),
        ReportParam("end", "To", "date", required=True, default=today),
    ],
    category="Hello",
)

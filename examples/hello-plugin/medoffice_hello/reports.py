"""The "Greetings per day" report: one SQL GROUP BY, drawn as a bar chart."""
from __future__ import annotations

import datetime as dt

from peewee import fn

from medoffice import ChartSpec, Column, ReportParam, ReportResult, ReportSpec
from medoffice.settings import today

from .models import Greeting


def greetings_per_day(start: dt.date | None = None, end: dt.date | None = None) -> ReportResult:
    """Count greetings per UTC day from ``start`` to ``end`` (default: the last 30 days)."""
    end = end or today()
    start = start or end - dt.timedelta(days=29)
    if start > end:
        start, end = end, start
    lower = dt.datetime.combine(start, dt.time.min, tzinfo=dt.timezone.utc)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
    # SQLite answers date() with text, PostgreSQL with a date: read both as a date.
    day = fn.date(Greeting.created_at).python_value(lambda v: dt.date.fromisoformat(str(v)))
    query = (Greeting.select(day.alias("day"), fn.COUNT(Greeting.id).alias("greetings"))
             .where((Greeting.created_at >= lower) & (Greeting.created_at < upper))
             .group_by(day).order_by(day).dicts())
    rows = list(query)
    return ReportResult(
        columns=[Column("day", "Day", "date"), Column("greetings", "Greetings", "int")],
        rows=rows,
        totals={"greetings": sum(r["greetings"] for r in rows)},
        chart=ChartSpec("bar", x="day", series=("greetings",), title="Greetings per day"),
        notes="Days are counted in UTC.",
    )


PER_DAY = ReportSpec(
    id="hello.per_day",
    title="Greetings per day",
    permission="hello.greetings.view",
    run=greetings_per_day,
    description="How many greetings the team left each day.",
    params=[ReportParam("start", "From", "date"), ReportParam("end", "To", "date")],
    category="Hello",
)

"""The scheduled job: a morning count of greetings (its message is kept with each run)."""
from __future__ import annotations

import datetime as dt

from medoffice import JobSpec, settings
from medoffice.db import utcnow

from .deadlines import plan_tidy_up
from .greetings import count_since


def count_greetings() -> str:
    """Count all greetings and those of the last 24 hours; the text is the run's message. Also keeps
    this month's tidy-up on the deadline calendar (an upsert: the same month changes nothing)."""
    plan_tidy_up(settings.today())
    total = count_since()
    recent = count_since(utcnow() - dt.timedelta(hours=24))
    return f"{total} greeting{'' if total == 1 else 's'} in all, {recent} in the last 24 hours."


COUNT_JOB = JobSpec(
    id="hello.count",
    title="Count greetings",
    func=count_greetings,
    trigger="cron",
    schedule={"hour": 7, "minute": 30},
    description="Every morning at 7:30, count the greetings.",
)

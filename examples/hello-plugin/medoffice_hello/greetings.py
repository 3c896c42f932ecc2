"""Reading and writing greetings (used by the page, the CLI, the job and the report)."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, prepared
from medoffice.app import medoffice_runtime
from medoffice.data_versions import kept
from medoffice.db import transaction, utcnow
from medoffice.events import EventType, publish
from medoffice.prepared import slot
from medoffice.settings import practice_timezone
from peewee import fn

from .models import GREETINGS, Greeting

# The durable event a greeting publishes: it exists exactly when the greeting does, and reaches
# every subscribing plugin in order, even one turned on later (see docs/plugins.md, "Durable events").
GREETING_ADDED = EventType("hello.greeting_added", 1, {"greeting_id": "int", "message": "str",
                                                       "created_at": "timestamp"}, "Someone left a greeting.")


def add_greeting(message: str) -> Greeting:
    """Save a greeting (audited) and publish ``hello.greeting_added`` with it, then tell the plugins that
    listen to ``hello_greeting_added``."""
    with transaction():
        greeting = Greeting.create(message=message)
        audit.record("hello.greeting.create", "hello_greeting", greeting.id)
        publish("hello.greeting_added", {"greeting_id": greeting.id, "message": greeting.message,
                                         "created_at": greeting.created_at})
    medoffice_runtime().host.call(
        "hello_greeting_added", greeting_id=greeting.id, message=greeting.message)
    return greeting


_SINCE = Greeting.select(fn.COUNT(Greeting.id)).where(Greeting.created_at >= slot("since"))


def count_since(since: dt.datetime | None = None) -> int:
    """How many greetings were left since ``since`` (all of them when None), counted in SQL. The query is
    built once and compiled once (``medoffice.prepared``): the Today page asks on every view."""
    if since is None:
        return Greeting.select().count()
    return prepared.scalar(_SINCE, "hello.count_since", since=since) or 0


def greeted_on(day: dt.date) -> bool:
    """Whether anyone left a greeting on ``day`` (practice time): asked by the Today page on every view,
    so the answer is kept until a greeting is added or removed (``medoffice.data_versions``)."""
    return kept(GREETINGS.key, ("greeted_on", day), lambda: count_since(start_of_day(day)) > 0)


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the practice's time zone, as an aware timestamp."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=practice_timezone())


def latest() -> Greeting | None:
    """The most recent greeting, if any."""
    return Greeting.select().order_by(Greeting.created_at.desc(), Greeting.id.desc()).first()


def count_future() -> int:
    """Greetings stamped more than five minutes in the future (the server clock was wrong)."""
    return count_since(utcnow() + dt.timedelta(minutes=5))

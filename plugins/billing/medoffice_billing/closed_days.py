"""The days finance closed: billing keeps them from finance's durable events and locks their desk payments.

Finance's daily close counts the desk's payments of a day against the deposit and the bank; once it is
closed, a payment dated that day, or the void of one, would change what was counted. Both are refused
until finance reopens the day. Billing subscribes by event name and never imports finance: with finance
off nothing is ever closed.
"""
from __future__ import annotations

import datetime as dt

from medoffice.events import Event, Subscription

from .models import ClosedDay

CLOSED, REOPENED = "finance.day_closed", "finance.day_reopened"


def is_closed(day: dt.date) -> bool:
    """True while finance has ``day`` closed."""
    return ClosedDay.select().where(ClosedDay.day == day).exists()


def follow(event: Event) -> None:
    """Keep one finance day event: a close adds the day (once), a reopen removes it."""
    day = event.data["day"]
    if event.name == CLOSED:
        ClosedDay.insert(day=day, closed_at=event.data["closed_at"]).on_conflict_ignore().execute()
    else:
        ClosedDay.delete().where(ClosedDay.day == day).execute()


CLOSED_DAYS = Subscription("billing.closed_days", (CLOSED, REOPENED), follow,
                           title="Billing locks the desk payments of days finance closed")

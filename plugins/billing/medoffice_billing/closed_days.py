"""The days finance closed: billing keeps them from finance's durable events and locks their desk payments.

Finance's daily close counts the desk's payments of a day against the deposit and the bank; once it is
closed, a payment dated that day, or the void of one, would change what was counted. Both are refused
until finance reopens the day. Finance closes one office's day (its desk's payments) or the whole
practice's. Billing subscribes by event name and never imports finance: with finance
off nothing is ever closed.
"""
from __future__ import annotations

import datetime as dt

from medoffice.events import Event, Subscription

from .models import ClosedDay

CLOSED, REOPENED = "finance.day_closed", "finance.day_reopened"
WHOLE_PRACTICE = 0  # a close of every office's desk at once


def is_closed(day: dt.date, location_id: int | None = None) -> bool:
    """True while finance has ``day`` closed for the whole practice, or for the office ``location_id``."""
    offices = [WHOLE_PRACTICE] if location_id is None else [WHOLE_PRACTICE, location_id]
    return ClosedDay.select().where((ClosedDay.day == day) & ClosedDay.location_id.in_(offices)).exists()


def follow(event: Event) -> None:
    """Keep one finance day event: a close adds the day of its office (once), a reopen removes it. Version 1
    closed the whole practice's day (it had no location_id)."""
    day, office = event.data["day"], event.data.get("location_id") or WHOLE_PRACTICE
    if event.name == CLOSED:
        ClosedDay.insert(day=day, location_id=office, closed_at=event.data["closed_at"]).on_conflict_ignore().execute()
    else:
        ClosedDay.delete().where((ClosedDay.day == day) & (ClosedDay.location_id == office)).execute()


CLOSED_DAYS = Subscription("billing.closed_days", (CLOSED, REOPENED), follow,
                           title="Billing locks the desk payments of days finance closed")

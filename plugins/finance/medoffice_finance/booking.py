"""Booking billing's and payroll's events: the durable-event handler that turns each one into a journal entry.

Idempotent twice over: core delivers an event once per cursor move (the handler's writes commit with
it), and the booked-event row, unique by the event's position, makes a repeat a no-op even so.
An event dated in a closed month is booked on the first day of the next open month, and says so.
"""
from __future__ import annotations

from medoffice.events import Event, Subscription
from medoffice.tasks import Failed

from .books import basis
from .journal import JournalError, LineInput, post_entry
from .models import BookedEvent, PostingRule
from .periods import closed_months, first_open_day
from .rules import BILLING_EVENTS, EVENT_TITLES, PAYROLL_EVENTS, choose, posting

SUBSCRIPTION_NAME = "finance.billing"
PAYROLL_SUBSCRIPTION_NAME = "finance.payroll"


def _memo(event: Event, booked_on) -> str:
    data = event.data
    parts = [data.get("party") or "", (data.get("kind") or "").replace("_", " "), data.get("method") or "",
             data.get("group_code") or "", data.get("carc") or data.get("reason_code") or "",
             data.get("reference") or ""]
    memo = EVENT_TITLES[event.name] + ": " + ", ".join(p for p in parts if p)
    if booked_on != data["effective_date"]:
        memo += f" (dated {data['effective_date'].isoformat()}, in a closed month)"
    return memo


def book_event(event: Event) -> BookedEvent | None:
    """Book one billing or payroll event by its posting rule; returns its booked-event row (None when already
    booked).

    :raises Failed: no rule matches, or the rule's accounts refuse the posting (an inactive account):
        the subscriber stops at this event and the message shows on Admin → Events until it is fixed.
    """
    if BookedEvent.select().where(BookedEvent.event_position == event.position).exists():
        return None
    data = event.data
    rule = choose(list(PostingRule.select()), event.name, data, basis())
    if rule is None:
        raise Failed(f"No posting rule books {event.name} (party {data.get('party') or '-'}, method "
                     f"{data.get('method') or '-'}, kind {data.get('kind') or '-'}): add one on Finance, Posting rules.")
    amount = data["amount_cents"]
    entry = None
    booking = posting(rule, event.name, amount)
    if booking is not None:
        if booking.debit_account_id is None or booking.credit_account_id is None:
            raise Failed(f"Posting rule {rule.id} books {event.name} but lacks an account.")
        day = first_open_day(data["effective_date"], closed_months())
        location = data.get("location_id")
        lines = [LineInput(booking.debit_account_id, debit_cents=booking.amount_cents, location_id=location),
                 LineInput(booking.credit_account_id, credit_cents=booking.amount_cents, location_id=location)]
        try:
            entry = post_entry(day, _memo(event, day), lines, kind=event.name.split(".")[0],
                               audit_detail={"event": event.position, "event_name": event.name})
        except JournalError as exc:
            raise Failed(f"Event {event.position} ({event.name}) by rule {rule.id}: {exc}") from None
    return BookedEvent.create(event_position=event.position, event_name=event.name, amount_cents=amount,
                              entry=entry, rule=rule.id, transaction_id=data.get("transaction_id"),
                              reverses_transaction_id=data.get("reverses_transaction_id"),
                              party=data.get("party") or "", method=data.get("method") or "",
                              reference=(data.get("reference") or "")[:80], effective_date=data["effective_date"],
                              payer_id=data.get("payer_id"), location_id=data.get("location_id"))


BILLING_SUBSCRIPTION = Subscription(SUBSCRIPTION_NAME, BILLING_EVENTS, book_event,
                                    title="Finance books billing's money")
PAYROLL_SUBSCRIPTION = Subscription(PAYROLL_SUBSCRIPTION_NAME, PAYROLL_EVENTS, book_event,
                                    title="Finance books payroll")

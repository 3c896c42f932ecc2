"""Booking billing's and payroll's events: the durable-event handler that turns each one into a journal entry.

Idempotent twice over: core delivers an event once per cursor move (the handler's writes commit with
it), and the booked-event row, unique by the event's position, makes a repeat a no-op even so.
An event dated in a closed month is booked on the first day of the next open month, and says so.
"""
from __future__ import annotations

from collections.abc import Callable

from medoffice.bulk import insert_rows
from medoffice.events import Event, Subscription
from medoffice.tasks import Failed

from .books import basis
from .journal import EntryInput, JournalError, LineInput, post_entries, post_entry
from .models import BookedEvent, JournalEntry, PostingRule
from .periods import closed_months, first_open_day
from .rules import BILLING_EVENTS, CONDITIONS, EVENT_TITLES, PAYROLL_EVENTS, choose, posting

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


def _chooser(rules: list[PostingRule], how: str) -> Callable[[Event], PostingRule | None]:
    """``choose`` for the events of a batch, remembered per event name and the fields rules look at: an 835's
    ten thousand events come in a handful of kinds, and each choice compares every rule."""
    chosen: dict[tuple, PostingRule | None] = {}

    def rule_for(event: Event) -> PostingRule | None:
        key = (event.name, *(str(event.data.get(name) or "") for name in CONDITIONS))
        if key not in chosen:
            chosen[key] = choose(rules, event.name, event.data, how)
        return chosen[key]

    return rule_for


def _booking(event: Event, rule_for: Callable[[Event], PostingRule | None], closed: set[tuple[int, int]]):
    """The rule that books ``event`` and the entry it makes (None when the rule books nothing).

    :raises Failed: no rule matches, or the rule lacks an account.
    """
    data = event.data
    rule = rule_for(event)
    if rule is None:
        raise Failed(f"No posting rule books {event.name} (party {data.get('party') or '-'}, method "
                     f"{data.get('method') or '-'}, kind {data.get('kind') or '-'}): add one on Finance, Posting rules.")
    booking = posting(rule, event.name, data["amount_cents"])
    if booking is None:
        return rule, None
    if booking.debit_account_id is None or booking.credit_account_id is None:
        raise Failed(f"Posting rule {rule.id} books {event.name} but lacks an account.")
    day = first_open_day(data["effective_date"], closed)
    location = data.get("location_id")
    lines = [LineInput(booking.debit_account_id, debit_cents=booking.amount_cents, location_id=location),
             LineInput(booking.credit_account_id, credit_cents=booking.amount_cents, location_id=location)]
    return rule, EntryInput(day, _memo(event, day), lines, kind=event.name.split(".")[0],
                            audit_detail={"event": event.position, "event_name": event.name})


def _booked_row(event: Event, rule: PostingRule, entry: JournalEntry | None) -> dict:
    """The booked-event row: the event, its rule and entry, and what a deposit slip lists of a payment."""
    data = event.data
    return {"event_position": event.position, "event_name": event.name, "amount_cents": data["amount_cents"],
            "entry": entry.id if entry else None, "rule": rule.id, "transaction_id": data.get("transaction_id"),
            "reverses_transaction_id": data.get("reverses_transaction_id"), "party": data.get("party") or "",
            "method": data.get("method") or "", "reference": (data.get("reference") or "")[:80],
            "effective_date": data["effective_date"], "payer_id": data.get("payer_id"),
            "location_id": data.get("location_id")}


def book_event(event: Event) -> BookedEvent | None:
    """Book one billing or payroll event by its posting rule; returns its booked-event row (None when already
    booked).

    :raises Failed: no rule matches, or the rule's accounts refuse the posting (an inactive account):
        the subscriber stops at this event and the message shows on Admin → Events until it is fixed.
    """
    if BookedEvent.select().where(BookedEvent.event_position == event.position).exists():
        return None
    rule, wanted = _booking(event, _chooser(list(PostingRule.select()), basis()), closed_months())
    entry = None
    if wanted is not None:
        try:
            entry = post_entry(wanted.entry_date, wanted.memo, wanted.lines, kind=wanted.kind,
                               audit_detail=wanted.audit_detail)
        except JournalError as exc:
            raise Failed(f"Event {event.position} ({event.name}) by rule {rule.id}: {exc}") from None
    return BookedEvent.create(**_booked_row(event, rule, entry))


def book_events(events: list[Event]) -> None:
    """Book a delivery batch of events as ``book_event`` books each, in a few statements (catching up on a
    log of thousands after finance is turned on): rules, basis and closed months read once, the entries
    posted together.

    :raises Failed: an event no rule books; JournalError: an entry refused (core then books the batch one
        event at a time, which stops at the event at fault with its own message).
    """
    done = {position for (position,) in BookedEvent.select(BookedEvent.event_position).where(
        BookedEvent.event_position.in_([e.position for e in events])).tuples()}
    rule_for, closed = _chooser(list(PostingRule.select()), basis()), closed_months()
    todo = [(event, *_booking(event, rule_for, closed)) for event in events if event.position not in done]
    entries = iter(post_entries([wanted for _event, _rule, wanted in todo if wanted is not None]))
    insert_rows(BookedEvent, [_booked_row(event, rule, next(entries) if wanted is not None else None)
                              for event, rule, wanted in todo])


BILLING_SUBSCRIPTION = Subscription(SUBSCRIPTION_NAME, BILLING_EVENTS, book_event,
                                    title="Finance books billing's money", batch_handler=book_events)
PAYROLL_SUBSCRIPTION = Subscription(PAYROLL_SUBSCRIPTION_NAME, PAYROLL_EVENTS, book_event,
                                    title="Finance books payroll", batch_handler=book_events)

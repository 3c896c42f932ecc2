"""Billing's durable events, kept as marketing's visits and revenue lines.

A posted charge is a visit (one per encounter, dated the date of service) and a charge line; a voided
charge takes its amount back; a payment (or its reversal) and a refund are collections. Each line
remembers the event's position, so the one repeat delivery after a crash changes nothing.
"""
from __future__ import annotations

from medoffice.db import db
from medoffice.events import Subscription
from medoffice.models import Patient

from .lastvisits import keep_last_visit
from .models import RevenueLine, Visit
from .sourcedays import keep_revenue

BILLING_EVENTS = ("billing.charge_posted", "billing.charge_voided", "billing.payment_posted", "billing.refund_posted")


def _line(event, kind: str, amount: int) -> None:
    insert = RevenueLine.insert(position=event.position, patient=event.data["patient_id"], kind=kind,
                                amount_cents=amount, effective_date=event.data["effective_date"]).on_conflict_ignore()
    if db.execute(insert).rowcount:  # not the repeat delivery of a line already booked
        keep_revenue(event.data["patient_id"], kind, amount, event.data["effective_date"])


def take_billing_event(event) -> None:
    """Book one billing event (the subscription's handler)."""
    if Patient.select().where(Patient.id == event.data["patient_id"]).exists():
        _book(event)


def take_billing_events(events) -> None:
    """Book a delivery batch of billing events in order, as ``take_billing_event`` on each, with one lookup of
    the batch's patients (the subscription's batch handler: an 835 publishes thousands)."""
    wanted = {event.data["patient_id"] for event in events}
    known = {patient_id for (patient_id,) in Patient.select(Patient.id).where(Patient.id.in_(wanted)).tuples()}
    for event in events:
        if event.data["patient_id"] in known:
            _book(event)


def _book(event) -> None:
    data = event.data
    if event.name == "billing.charge_posted":
        Visit.insert(patient=data["patient_id"], visit_on=data["effective_date"], source="billing",
                     encounter_id=data["encounter_id"]).on_conflict_ignore().execute()
        keep_last_visit(data["patient_id"], data["effective_date"], "")
        _line(event, "charge", data["amount_cents"])
    elif event.name == "billing.charge_voided":
        _line(event, "charge", data["amount_cents"])
    elif event.name == "billing.payment_posted":
        _line(event, "payment", data["amount_cents"])
    elif event.name == "billing.refund_posted":  # money given back, to the patient or a payer
        _line(event, "payment", -data["amount_cents"])


BILLING_SUBSCRIPTION = Subscription("marketing.billing", list(BILLING_EVENTS), take_billing_event,
                                    title="Visits and revenue for marketing", batch_handler=take_billing_events)

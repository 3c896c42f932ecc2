"""Billing's durable events, kept as marketing's visits and revenue lines.

A posted charge is a visit (one per encounter, dated the date of service) and a charge line; a voided
charge takes its amount back; a payment (or its reversal) and a refund are collections. Each line
remembers the event's position, so the one repeat delivery after a crash changes nothing.
"""
from __future__ import annotations

import peewee as pw
from medoffice.events import Subscription
from medoffice.models import Patient

from .lastvisits import keep_last_visit
from .models import RevenueLine, Visit
from .sourcedays import keep_revenue_many

# The billing events marketing keeps, each as a revenue line: its kind and the sign its amount takes (a refund is
# money given back).
REVENUE = {"billing.charge_posted": ("charge", 1), "billing.charge_voided": ("charge", 1),
           "billing.payment_posted": ("payment", 1), "billing.refund_posted": ("payment", -1)}
LINES_PER_STATEMENT = 1000  # revenue lines per INSERT (five values each)


def take_billing_event(event) -> None:
    """Book one billing event (the subscription's handler)."""
    take_billing_events([event])


def take_billing_events(events) -> None:
    """Book a delivery batch of billing events as ``take_billing_event`` books each (the subscription's batch
    handler: an 835 publishes thousands), in a few statements: the batch's patients looked up once, its revenue
    lines inserted together and counted in the kept source rows together. A charge's visit is kept as it comes."""
    wanted = {event.data["patient_id"] for event in events}
    known = {patient_id for (patient_id,) in Patient.select(Patient.id).where(Patient.id.in_(wanted)).tuples()}
    lines: dict[int, dict] = {}  # by position: a repeat delivery of an event books nothing more
    for event in events:
        data = event.data
        if data["patient_id"] not in known:
            continue
        if event.name == "billing.charge_posted":
            Visit.insert(patient=data["patient_id"], visit_on=data["effective_date"], source="billing",
                         encounter_id=data["encounter_id"]).on_conflict_ignore().execute()
            keep_last_visit(data["patient_id"], data["effective_date"], "")
        kind, sign = REVENUE[event.name]
        lines.setdefault(event.position, {"position": event.position, "patient": data["patient_id"], "kind": kind,
                                          "amount_cents": sign * data["amount_cents"],
                                          "effective_date": data["effective_date"]})
    booked = []
    for chunk in pw.chunked(list(lines.values()), LINES_PER_STATEMENT):
        inserted = {position for (position,) in RevenueLine.insert_many(chunk).on_conflict_ignore()
                    .returning(RevenueLine.position).tuples().execute()}  # not lines booked by an earlier delivery
        booked += [(row["patient"], row["kind"], row["amount_cents"], row["effective_date"])
                   for row in chunk if row["position"] in inserted]
    keep_revenue_many(booked)


BILLING_SUBSCRIPTION = Subscription("marketing.billing", list(REVENUE), take_billing_event,
                                    title="Visits and revenue for marketing", batch_handler=take_billing_events)

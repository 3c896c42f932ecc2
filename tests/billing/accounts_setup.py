"""Shared set-up for the patient-accounts tests: patients with self-pay and insured visits, payers'
answers posted to the ledger by its conventions, and a subscriber that records billing's events.

Imported by the billing test modules (pytest puts this folder on ``sys.path``).
"""
from __future__ import annotations

import datetime as dt
import itertools
import types

from billing_setup import encounter_with_charges
from event_setup import committed, subscriber_module
from medoffice import settings
from medoffice.db import utcnow
from medoffice.models import Patient

from medoffice_billing import claims, denials, encounters
from medoffice_billing.models import Claim, ClaimLine, Coverage, LineTransaction

_accounts = itertools.count(100)


def new_patient(last: str = "Nguyen", first: str = "Lan", **extra) -> Patient:
    """Another patient of the practice (its own account number)."""
    return Patient.create(account_number=f"P{next(_accounts):07d}", first_name=first, last_name=last,
                          date_of_birth=dt.date(1980, 1, 2), sex="F", address1="9 Oak Street", city="Springfield",
                          state="IL", zip="62701", **extra)


def days_ago(days: int) -> dt.date:
    """The practice's today minus ``days``."""
    return settings.today() - dt.timedelta(days=days)


def self_pay_visit(records: dict, day: dt.date, codes=("99213",), patient: Patient | None = None):
    """A visit billed to the patient (charges posted, no claim): returns the encounter."""
    local = dict(records, patient=patient or records["patient"])
    encounter = encounter_with_charges(local, day, codes)
    encounters.post_charges(encounter)
    return encounter


def insured_visit(records: dict, day: dt.date, codes=("99213",), patient: Patient | None = None) -> Claim:
    """A visit billed to the patient's primary payer (the claim marked submitted): returns the claim.

    A patient other than the practice's first gets a policy with the practice's payer first.
    """
    local = dict(records, patient=patient or records["patient"])
    if not Coverage.select().where(Coverage.patient_id == local["patient"].id).exists():
        Coverage.create(patient_id=local["patient"].id, payer=records["payer"], rank=1,
                        member_id=f"M{local['patient'].id:06d}", effective_date=dt.date(2000, 1, 1))
    encounter = encounter_with_charges(local, day, codes)
    claim = claims.create_claim(encounter)
    sent = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(12), dt.timezone.utc)
    Claim.update(status="submitted", submitted_at=sent).where(Claim.id == claim.id).execute()
    return Claim.get_by_id(claim.id)


def adjudicate(claim: Claim, paid: int, contractual: int, patient: int, day: dt.date, carc_patient: str = "3",
               status: str = "paid") -> None:
    """Post a payer's answer on the claim's first line as an 835 would: payment, CO-45 and PR moved to the patient."""
    line = ClaimLine.select().where(ClaimLine.claim == claim.id).order_by(ClaimLine.line_number).first()
    base = {"patient_id": claim.patient_id, "service_line": line.service_line_id, "claim": claim.id,
            "payer": claim.payer_id, "source": "era", "reference": f"EFT{claim.id}", "effective_date": day,
            "posted_at": utcnow()}
    rows = []
    if paid:
        rows.append({**base, "kind": "payment", "party": "insurance", "amount_cents": -paid, "method": "eft"})
    if contractual:
        rows.append({**base, "kind": "adjustment", "party": "insurance", "amount_cents": -contractual,
                     "group_code": "CO", "carc": "45"})
    if patient:
        rows += [{**base, "kind": "transfer", "party": "insurance", "amount_cents": -patient, "group_code": "PR",
                  "carc": carc_patient},
                 {**base, "kind": "transfer", "party": "patient", "amount_cents": patient, "group_code": "PR",
                  "carc": carc_patient}]
    LineTransaction.insert_many(rows).execute()
    Claim.update(status=status).where(Claim.id == claim.id).execute()
    denials.refresh_claims([claim.id])  # as posting keeps the denial worklist


def deny_line(claim: Claim, line_number: int, carc: str, day: dt.date) -> None:
    """A payer denies one line of the claim: nothing paid, the charge adjusted off with group CO and ``carc``."""
    line = ClaimLine.get((ClaimLine.claim == claim.id) & (ClaimLine.line_number == line_number))
    LineTransaction.create(kind="adjustment", party="insurance", patient_id=claim.patient_id,
                           service_line=line.service_line_id, claim=claim.id, payer=claim.payer_id,
                           amount_cents=-line.charge_cents, group_code="CO", carc=carc, source="era",
                           reference=f"DEN{claim.id}", effective_date=day)
    denials.refresh_claims([claim.id])


def subscriber(name: str = "books") -> types.ModuleType:
    """A plugin module that records billing's events, noting whether the posting was committed by then."""
    heard = []

    def record(event, values):
        heard.append({"event": event, "committed": committed(LineTransaction, values["transaction_id"]), **values})

    def billing_payment_posted(transaction_id, patient_id, payer_id, claim_id, amount_cents, party, method,
                               effective_date, posted_at, reference):
        record("payment", dict(transaction_id=transaction_id, patient_id=patient_id, payer_id=payer_id,
                               claim_id=claim_id, amount_cents=amount_cents, party=party, method=method,
                               effective_date=effective_date, reference=reference))

    def billing_adjustment_posted(transaction_id, patient_id, amount_cents, kind, party, reference):
        record("adjustment", dict(transaction_id=transaction_id, patient_id=patient_id, amount_cents=amount_cents,
                                  kind=kind, party=party, reference=reference))

    def billing_refund_posted(transaction_id, patient_id, payer_id, amount_cents, party, method, reference):
        record("refund", dict(transaction_id=transaction_id, patient_id=patient_id, payer_id=payer_id,
                              amount_cents=amount_cents, party=party, method=method, reference=reference))

    module = subscriber_module(name, {"billing.payment_posted": billing_payment_posted,
                                      "billing.adjustment_posted": billing_adjustment_posted,
                                      "billing.refund_posted": billing_refund_posted})
    module.heard = heard
    return module

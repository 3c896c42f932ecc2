"""The events billing publishes, as a subscribing plugin (finance, say) receives them: after the posting
committed, one per ledger entry, with amounts, dates, ids and references; negative after a reversal;
provider-level adjustments too; nothing for a refused file; a failing subscriber does not stop another."""
from __future__ import annotations

import datetime as dt
import types

import pytest
from billing_setup import database, encounter_with_charges, practice
from event_setup import committed, subscriber_module
from medoffice.testing import practice_today
from remit_setup import claims_from_remittance, read_sample, reversal_835

from medoffice_billing import encounters, posting, x12
from medoffice_billing.models import LineTransaction, Payer, ProviderAdjustment

TWO = "835_two_claims_claim_and_line_cas.x12"


def subscriber(name: str, fail: bool = False) -> types.ModuleType:
    """A plugin module subscribing to billing's events that records what it hears (or fails)."""
    heard = []

    def record(event, **values):
        if fail:
            raise RuntimeError("subscriber bug")
        entry, adjustment = values.get("transaction_id"), values.get("adjustment_id")
        # The posting is committed before anyone hears of it, and the entry is there as announced.
        seen = committed(LineTransaction, entry) if entry is not None else committed(ProviderAdjustment, adjustment)
        heard.append({"event": event, "committed": seen, **values})

    def billing_payment_posted(transaction_id, patient_id, payer_id, claim_id, amount_cents, party, method,
                               effective_date, posted_at, reference):
        record("payment", transaction_id=transaction_id, patient_id=patient_id, payer_id=payer_id,
               claim_id=claim_id, amount_cents=amount_cents, party=party, method=method,
               effective_date=effective_date, posted_at=posted_at, reference=reference)

    def billing_adjustment_posted(transaction_id, patient_id, payer_id, claim_id, amount_cents, kind, group_code,
                                  carc, effective_date, reference, party):
        record("adjustment", transaction_id=transaction_id, patient_id=patient_id, payer_id=payer_id,
               claim_id=claim_id, amount_cents=amount_cents, kind=kind, group_code=group_code, carc=carc,
               effective_date=effective_date, reference=reference, party=party)

    def billing_provider_adjustment_posted(adjustment_id, payer_id, amount_cents, reason_code, reference,
                                           effective_date):
        record("plb", adjustment_id=adjustment_id, payer_id=payer_id, amount_cents=amount_cents,
               reason_code=reason_code, reference=reference, effective_date=effective_date)

    module = subscriber_module(name, {"billing.payment_posted": billing_payment_posted,
                                      "billing.adjustment_posted": billing_adjustment_posted,
                                      "billing.provider_adjustment_posted": billing_provider_adjustment_posted})
    module.heard = heard
    return module


def build(app, name=TWO):
    with database(app):
        built = {}
        for remittance in x12.parse_835(read_sample(name)):
            built.update(claims_from_remittance(remittance))
    return built


def test_payments_and_adjustments_are_announced_after_commit_including_a_reversal(make_app):
    finance = subscriber("books")
    app = make_app(extra=[finance])
    built = build(app)
    with app.app_context():
        posting.import_835(read_sample(TWO), TWO)
    heard = finance.heard
    assert heard and all(e["committed"] for e in heard)
    payments = [e for e in heard if e["event"] == "payment"]
    with database(app):
        payer = Payer.get(Payer.name == "RUSHMORE LIFE")
    assert sorted((e["claim_id"], e["amount_cents"]) for e in payments) == [(built[1].id, 45000), (built[2].id, 49500)]
    assert {(e["party"], e["method"], e["reference"], e["effective_date"], e["payer_id"]) for e in payments} == {
        ("insurance", "eft", "71700666555", dt.date(2002, 3, 16), payer.id)}
    assert {e["patient_id"] for e in payments} == {built[1].patient_id, built[2].patient_id}
    assert all(e["posted_at"].tzinfo is not None for e in payments)
    adjustments = sorted((e["claim_id"], e["kind"], e["party"], e["group_code"], e["carc"], e["amount_cents"])
                         for e in heard if e["event"] == "adjustment")
    first, second = built[1].id, built[2].id
    assert adjustments == sorted([
        (first, "adjustment", "insurance", "CO", "A2", -5000),
        (first, "transfer", "insurance", "PR", "1", -30000), (first, "transfer", "patient", "PR", "1", 30000),
        (second, "adjustment", "insurance", "CO", "45", -5000), (second, "adjustment", "insurance", "CO", "A2", -5500),
        (second, "transfer", "insurance", "PR", "1", -60000), (second, "transfer", "patient", "PR", "1", 60000),
    ])
    # Every announced entry matches the ledger exactly.
    with database(app):
        for event in heard:
            row = LineTransaction.get_by_id(event["transaction_id"])
            signed = -row.amount_cents if event["event"] == "payment" else row.amount_cents
            assert (row.patient_id, row.claim_id, signed) == (event["patient_id"], event["claim_id"],
                                                                event["amount_cents"])
    heard.clear()
    with app.app_context():
        posting.import_835(reversal_835(), "reversal.835")
    taken_back = [(e["event"], e.get("kind"), e.get("party"), e["amount_cents"]) for e in heard]
    assert ("payment", None, "insurance", -45000) in taken_back and ("payment", None, "insurance", 50000) in taken_back
    assert ("adjustment", "adjustment", "insurance", 5000) in taken_back  # the CO A2 write-down undone
    assert ("adjustment", "transfer", "patient", -30000) in taken_back and \
        ("adjustment", "transfer", "patient", 30000) in taken_back
    assert sum(e["amount_cents"] for e in heard if e["event"] == "payment") == 5000  # the check: 50.00
    assert {e["reference"] for e in heard} == {"REV0001"}


def test_provider_level_adjustments_are_announced(make_app):
    finance = subscriber("books")
    app = make_app(extra=[finance])
    build(app, "835_plb_provider_adjustment_institutional.x12")
    with app.app_context():
        posting.import_835(read_sample("835_plb_provider_adjustment_institutional.x12"))
    plb = [e for e in finance.heard if e["event"] == "plb"]
    with database(app):
        row = ProviderAdjustment.get()
    assert plb == [{"event": "plb", "committed": True, "adjustment_id": row.id, "payer_id": row.payer_id,
                    "amount_cents": -127, "reason_code": "CV", "reference": "CP",
                    "effective_date": dt.date(2002, 9, 13)}]
    payments = sum(e["amount_cents"] for e in finance.heard if e["event"] == "payment")
    assert payments - sum(e["amount_cents"] for e in plb) == 15000000  # the deposit: BPR02


def test_nothing_is_announced_for_a_refused_file_and_a_failing_subscriber_stops_nobody(make_app):
    finance, broken = subscriber("books"), subscriber("broken", fail=True)
    app = make_app(extra=[broken, finance])
    build(app)
    tampered = read_sample(TWO).replace("BPR*I*945*", "BPR*I*946*")
    with app.app_context(), pytest.raises(posting.RemitRefused):
        posting.import_835(tampered)
    assert finance.heard == []
    with app.app_context():
        result = posting.import_835(read_sample(TWO))
    assert result.totals()["paid_cents"] == 94500
    assert sum(e["amount_cents"] for e in finance.heard if e["event"] == "payment") == 94500


def test_charges_posted_changed_and_voided_are_announced_for_accrual_books(make_app):
    heard = []

    def charge(transaction_id, patient_id, encounter_id, service_line_id, amount_cents, party, effective_date,
               posted_at, location_id, rendering_provider_id, event_name):
        heard.append((event_name, service_line_id, amount_cents, party, effective_date, location_id,
                      rendering_provider_id, committed(LineTransaction, transaction_id), posted_at.tzinfo is not None))

    finance = subscriber_module("books", {
        "billing.charge_posted": lambda **values: charge(event_name="posted", **values),
        "billing.charge_voided": lambda **values: charge(event_name="voided", **values)})
    app = make_app(extra=[finance])
    day = practice_today() - dt.timedelta(days=3)
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records, day, codes=("99213", "36415"))
        assert heard == []  # nothing reaches the ledger before the encounter is posted
        encounters.post_charges(encounter)
        visit, draw = encounters.lines(encounter)
        who = (records["location"].id, records["provider"].id)
        assert heard == [("posted", visit.id, 12000, "patient", day, *who, True, True),
                         ("posted", draw.id, 1500, "patient", day, *who, True, True)]
        heard.clear()
        encounters.update_line(visit, {"code": "99213", "modifiers": [], "units": 1, "charge_cents": 10000,
                                       "pointers": [1]})
        encounters.remove_line(draw)
        assert heard == [("posted", visit.id, -2000, "patient", day, *who, True, True),
                         ("voided", draw.id, -1500, "patient", day, *who, True, True)]
        assert sum(e.amount_cents for e in LineTransaction.select().where(LineTransaction.kind == "charge")) == 10000

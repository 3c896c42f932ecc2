"""The nine shared 835 samples: each valid one posts exactly the file's money against claims built from its
own data (paid, adjustments by group, patient responsibility, PLB), once; the one that is not IG-valid is
refused with its reasons and nothing is posted."""
from __future__ import annotations

import pytest
from billing_setup import database
from remit_setup import NOT_IG_VALID, VALID_835, claims_from_remittance, era_sums, plb_total, read_sample

from medoffice_billing import posting, x12
from medoffice_billing.models import Claim, LineTransaction, RemitClaim, Remittance


def file_figures(remittances) -> dict:
    """What the file itself says: paid, non-PR adjustments by group, patient responsibility, PLB."""
    adjusted: dict[str, int] = {}
    for remittance in remittances:
        for claim in remittance.claims:
            for item in list(claim.adjustments) + [a for line in claim.lines for a in line.adjustments]:
                if item.group_code != "PR":
                    adjusted[item.group_code] = adjusted.get(item.group_code, 0) + item.amount_cents
    claims = [c for r in remittances for c in r.claims]
    return {"paid": sum(c.paid_cents for c in claims), "adjusted": {k: v for k, v in adjusted.items() if v},
            "to_patient": sum(c.patient_responsibility_cents for c in claims),
            "plb": sum(a.amount_cents for r in remittances for a in r.provider_adjustments)}


@pytest.mark.parametrize("name", VALID_835)
def test_valid_sample_posts_exactly_what_the_file_says_once(app, name):
    text = read_sample(name)
    parsed = x12.parse_835(text)
    with database(app):
        built = {}
        for remittance in parsed:
            built.update(claims_from_remittance(remittance))
    with app.app_context():
        result = posting.import_835(text, name)
    expected = file_figures(parsed)
    with database(app):
        totals = result.totals()
        count = sum(len(r.claims) for r in parsed)
        assert (totals["claims_matched"], totals["claims_unmatched"]) == (count, 0)
        sums = era_sums()
        assert sums["paid"] == expected["paid"] == totals["paid_cents"]
        assert sums["adjusted"] == expected["adjusted"]
        assert sum(expected["adjusted"].values()) == totals["adjustment_cents"]
        assert sums["to_patient"] == expected["to_patient"] == totals["patient_responsibility_cents"]
        assert plb_total() == expected["plb"] == totals["plb_cents"]
        for position, payment in enumerate(parsed[0].claims, start=1):
            claim = Claim.get_by_id(built[position].id)
            entry = RemitClaim.get((RemitClaim.position == position) & (RemitClaim.claim == claim))
            line_denied = any(l.paid_cents == 0 and not any(a.group_code == "PR" for a in l.adjustments)
                              for l in payment.lines)
            if payment.status_code == "4" or (payment.paid_cents == 0 and payment.patient_responsibility_cents == 0):
                assert claim.status == "denied" and entry.queue == "denial"
            elif line_denied:
                assert claim.status == "partially_paid" and entry.queue == "denial"
            else:
                assert claim.status == "paid" and entry.queue == ""
            assert claim.payer_claim_number == payment.payer_claim_number
            # Every line this payment covers is settled on the insurance side.
            for line_id in [l.service_line_id for l in claim.lines]:
                insurance = sum(t.amount_cents for t in LineTransaction.select().where(
                    (LineTransaction.service_line == line_id) & (LineTransaction.party == "insurance")))
                assert insurance == 0
        entries = LineTransaction.select().count()
    with app.app_context():
        again = posting.import_835(text, name)
    with database(app):
        assert again.duplicate and again.totals()["paid_cents"] == 0
        assert LineTransaction.select().count() == entries and Remittance.select().count() == len(parsed)


def test_the_sample_that_is_not_ig_valid_is_refused_and_nothing_posts(app):
    text = read_sample(NOT_IG_VALID)
    with database(app):
        for remittance in x12.parse_835(text):
            claims_from_remittance(remittance)
        before = LineTransaction.select().count()
    with app.app_context(), pytest.raises(posting.RemitRefused) as refused:
        posting.import_835(text, NOT_IG_VALID)
    problems = " ".join(refused.value.problems)
    assert "BPR16" in problems and "PER*BL" in problems and "component separator" in problems
    with database(app):
        assert LineTransaction.select().count() == before
        assert Remittance.select().count() == 0 and RemitClaim.select().count() == 0
        assert {c.status for c in Claim.select()} == {"submitted"}

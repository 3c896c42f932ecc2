"""Negative amounts in an 835: a claim payment that is not a reversal (CLP02 22) yet carries a negative charge or
payment is held in the exceptions queue with the reason, the rest of the file posts, and matching it by hand is
refused; negative adjustments (CAS) still post, as in the shared sample with one."""
from __future__ import annotations

import pytest
from billing_setup import database
from remit_setup import balance, claims_from_remittance, era_sums, make_835, read_sample

from medoffice_billing import posting, x12
from medoffice_billing.models import Claim, LineTransaction, RemitClaim, Remittance
from medoffice_billing.remit_matching import Match

TWO = "835_two_claims_claim_and_line_cas.x12"
NEGATIVE_CAS = "835_secondary_negative_cas_adjustment.x12"

# Claim 5554555444 of the two-claims sample sent again "processed as primary" with every amount negated (the
# review's file), and an ordinary payment of the sample's other claim. The check is -450.00 + 495.00.
NEGATIVE_PRIMARY = [
    "CLP*5554555444*1*-800*-450*-300*12*94060555410000", "CAS*CO*A2*-50",
    "NM1*QC*1*BUDD*WILLIAM****MI*33344555510",
    "SVC*HC:99211*-800*-500", "DTM*150*20020301", "DTM*151*20020304", "CAS*PR*1*-300",
    "CLP*8765432112*1*1200*495*600*12*9407779923000", "CAS*CO*A2*55", "NM1*QC*1*SETTLE*SUSAN****MI*44455666610",
    "SVC*HC:93555*1200*550", "DTM*150*20020310", "DTM*151*20020312", "CAS*PR*1*600", "CAS*CO*45*50",
]


def prepare(app, name: str = TWO) -> dict:
    with database(app):
        built = {}
        for remittance in x12.parse_835(read_sample(name)):
            built.update(claims_from_remittance(remittance))
    return built


def test_a_negative_primary_payment_is_held_and_the_rest_of_the_file_posts(app, client_as):
    built = prepare(app)
    era = make_835(NEGATIVE_PRIMARY, total="45", trace="NEG1")
    assert x12.check_835(era) == []
    with app.app_context():
        result = posting.import_835(era, "negative.835")
    with database(app):
        totals = result.totals()
        assert (totals["claims_matched"], totals["claims_unmatched"], totals["paid_cents"]) == (1, 1, 49500)
        held_claim, paid_claim = Claim.get_by_id(built[1].id), Claim.get_by_id(built[2].id)
        assert held_claim.status == "submitted" and paid_claim.status == "paid"
        # Nothing of the negative payment reached the ledger: no insurance credit, no patient credit.
        assert not LineTransaction.select().where((LineTransaction.claim == held_claim)
                                                  & (LineTransaction.source == "era")).exists()
        line = held_claim.lines[0].service_line_id
        assert balance(line, "insurance") == 80000 and balance(line, "patient") == 0
        assert era_sums(claim=paid_claim.id)["paid"] == 49500
        entry = RemitClaim.get(RemitClaim.position == 1)
        assert (entry.queue, entry.outcome, entry.claim_id, entry.resolved) == ("exception", "held", None, False)
        assert entry.problem == (
            "Claim payment 5554555444 (claim 5554555444) was not posted: it carries a negative claim charge of "
            "-$800.00, a negative claim payment of -$450.00, a negative line 1 charge of -$800.00, a negative line 1 "
            "payment of -$500.00, but the payer marked it processed as primary (status 1), not as a reversal "
            "(status 22). Only a reversal may take money back. Ask the payer what it corrects, then post it by "
            "hand or dismiss it with the reason.")
        assert Remittance.get().matched_count == 1
    biller = client_as("billing")
    report = biller.get(f"/billing/remittances/{result.remittances[0].id}")
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and "Not posted" in html and "not as a reversal" in html
    queue = biller.get("/billing/remittances/exceptions").get_data(as_text=True)
    assert "a negative claim payment of -$450.00" in queue
    # Matching it by hand to its claim is refused with the same reason, and posts nothing.
    refused = biller.post(f"/billing/remittances/exceptions/{entry.id}/match", data={"claim_number": "5554555444"})
    assert refused.status_code == 422 and "Only a reversal may take money back" in refused.get_data(as_text=True)
    with database(app):
        assert not LineTransaction.select().where((LineTransaction.claim == built[1].id)
                                                  & (LineTransaction.source == "era")).exists()
        assert RemitClaim.get_by_id(entry.id).queue == "exception" and Claim.get_by_id(built[1].id).status == "submitted"
    dismissed = biller.post(f"/billing/remittances/exceptions/{entry.id}/dismiss",
                            data={"reason": "Payer sent a reversal under the wrong status; asked for a corrected 835."})
    assert dismissed.status_code == 302


def test_a_negative_payment_that_matches_no_claim_says_it_is_negative(app):
    prepare(app)
    era = make_835(["CLP*UNKNOWN9*2*-100*-100**12*X9", "NM1*QC*1*ROE*JO****MI*M1", "SVC*HC:99211*-100*-100",
                    "DTM*472*20240102"], total="-100", trace="NEG2")
    with app.app_context():
        posting.import_835(era, "negative2.835")
    with database(app):
        entry = RemitClaim.get()
        assert entry.outcome == "held" and entry.problem.startswith(
            "Claim payment UNKNOWN9 was not posted: it carries a negative claim charge of -$100.00")
        assert "processed as secondary (status 2)" in entry.problem


@pytest.mark.parametrize("segments, held", [
    # A line taking money back inside an ordinary claim payment: held.
    (["CLP*A1*1*100*20**12*P1", "SVC*HC:99213*60*50", "CAS*CO*45*10", "SVC*HC:36415*40*-30", "CAS*CO*45*70"],
     "a negative line 2 payment of -$30.00"),
    # Negative adjustments with positive charge and payment: posts.
    (["CLP*A1*2*541*34**12*P1", "SVC*HC:55669*541*34", "CAS*OA*23*516", "CAS*OA*94*-9"], ""),
    # The reversal itself: posts (it undoes an earlier posting).
    (["CLP*A1*22*-100*-80**12*P1", "SVC*HC:99213*-100*-80", "CAS*CO*45*-20"], ""),
    # A denial with nothing paid: posts.
    (["CLP*A1*4*100*0**12*P1", "SVC*HC:99213*100*0", "CAS*CO*16*100"], ""),
])
def test_which_claim_payments_are_held(segments, held):
    payment = x12.parse_835(make_835(segments, total="0", trace="T"))[0].claims[0]
    problem = posting.negative_amounts_problem(Match(payment))
    assert (held in problem) if held else problem == ""
    assert bool(problem) == bool(held)


def test_the_shared_sample_with_a_negative_adjustment_still_posts_it(app):
    built = prepare(app, NEGATIVE_CAS)
    with app.app_context():
        result = posting.import_835(read_sample(NEGATIVE_CAS), NEGATIVE_CAS)
    with database(app):
        assert result.totals()["claims_unmatched"] == 0 and result.totals()["paid_cents"] == 3400
        claim = Claim.get_by_id(built[1].id)
        assert claim.status == "paid" and not RemitClaim.select().where(RemitClaim.queue == "exception").exists()
        # OA 94 -9.00 posts as a negative write-off: the insurance side owes 9.00 more, then it is settled.
        oa94 = LineTransaction.get((LineTransaction.carc == "94") & (LineTransaction.source == "era"))
        assert (oa94.kind, oa94.group_code, oa94.amount_cents) == ("writeoff", "OA", 900)
        assert balance(claim.lines[0].service_line_id, "insurance") == 0

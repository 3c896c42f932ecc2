"""What the bulk 835 import must keep while it reads less: the file is split and parsed once yet refused for
exactly the reasons the separate checks give; claims are still found by their number, the payer's claim
number or the member in the same file; a secondary payer's remittance still sees what the primary settled."""
from __future__ import annotations

import datetime as dt

import pytest
from billing_setup import database
from remit_setup import balance, claims_from_remittance, era_sums, make_835, read_sample
from x12_samples import SAMPLE_835

from medoffice_billing import posting, x12
from medoffice_billing.models import Claim, Coverage, Payer, RemitClaim
from medoffice_billing.x12 import X12SyntaxError, check_balance, parse_835, read_835, validate_envelope

TWO = "835_two_claims_claim_and_line_cas.x12"


def read_in_steps(text: str):
    """The remittances and problems as the separate steps give them: envelope, parse, then arithmetic."""
    problems = validate_envelope(text)
    try:
        remittances = parse_835(text)
    except X12SyntaxError as error:
        return [], list(dict.fromkeys(problems + [str(error)]))
    for remittance in remittances:
        problems += list(remittance.problems) + check_balance(remittance)
    return remittances, list(dict.fromkeys(problems))


BROKEN = {
    "not X12": "Dear billing office, please find our payment enclosed.",
    "arithmetic": read_sample(TWO).replace("CLP*5554555444*1*800*450*", "CLP*5554555444*1*800*460*"),
    "trailer count": read_sample(TWO).replace("SE*27*", "SE*26*"),
    "not an 835": read_sample(TWO).replace("ST*835*", "ST*837*"),
    "bad amount": read_sample(TWO).replace("SVC*HC:99211*800*500", "SVC*HC:99211*800*5X0"),
}


@pytest.mark.parametrize("text", [read_sample(name) for name in SAMPLE_835] + list(BROKEN.values()),
                         ids=SAMPLE_835 + list(BROKEN))
def test_reading_a_file_once_refuses_it_for_exactly_the_reasons_the_separate_checks_give(text):
    remittances, problems = read_835(text)
    assert (remittances, problems) == read_in_steps(text)
    assert problems == x12.check_835(text)


def test_one_file_finds_claims_by_number_by_payer_claim_number_and_by_member(app):
    loops = {
        "number": ["CLP*BYNUMBER1*1*100*100**12*ICN-A", "NM1*QC*1*ONE*ANN****MI*MEM-A", "SVC*HC:99213*100*100",
                   "DTM*472*20240102"],
        "payer": ["CLP*BYPAYER1*1*120*120**12*ICN-B", "NM1*QC*1*TWO*BEA****MI*MEM-B", "SVC*HC:99214*120*120",
                  "DTM*472*20240103"],
        "member": ["CLP*BYMEMBER1*1*140*140**12*ICN-C", "NM1*QC*1*THREE*CY****MI*MEM-C", "SVC*HC:99215*140*140",
                   "DTM*472*20240104"],
    }
    with database(app):
        built = claims_from_remittance(x12.parse_835(make_835(
            loops["number"] + loops["payer"] + loops["member"], total="360", trace="SETUP"))[0])
        # The payer echoes numbers the practice no longer uses for two of them: one is known by the payer's
        # claim number from an earlier acknowledgement, the other only by member, date and charge.
        Claim.update(claim_number="C0000802", payer_claim_number="ICN-B").where(Claim.id == built[2].id).execute()
        Claim.update(claim_number="C0000803").where(Claim.id == built[3].id).execute()
    with app.app_context():
        result = posting.import_835(make_835(loops["number"] + loops["payer"] + loops["member"], total="360",
                                             trace="KEYS1"))
    with database(app):
        assert result.totals()["claims_unmatched"] == 0 and result.totals()["paid_cents"] == 36000
        rows = list(RemitClaim.select().order_by(RemitClaim.position))
        assert [(r.claim_id, r.matched_by) for r in rows] == [
            (built[1].id, "claim_number"), (built[2].id, "payer_claim_number"), (built[3].id, "member")]
        assert {c.status for c in Claim.select()} == {"paid"}


def test_the_secondary_payer_does_not_write_off_again_what_the_primary_settled(app):
    with database(app):
        claim = Claim.get_by_id(claims_from_remittance(x12.parse_835(read_sample(TWO))[0])[1].id)
        gap = Payer.create(name="Gap Plan", payer_id="GAP01")
        Coverage.create(patient_id=claim.patient_id, payer=gap, rank=2, member_id="GAP123",
                        effective_date=dt.date(1990, 1, 1))
    with app.app_context():
        posting.import_835(read_sample(TWO), TWO)  # primary: 450.00 paid, 50.00 CO, 300.00 on to Gap Plan
    with database(app):
        line = claim.lines[0].service_line_id
        follow = Claim.get((Claim.encounter == claim.encounter_id) & (Claim.responsibility == "S"))
        Claim.update(status="submitted").where(Claim.id == follow.id).execute()  # sent to Gap Plan
    # Gap Plan pays the deductible and reports the primary's 500.00 as OA 23 (effect of the prior payer).
    secondary = make_835([f"CLP*{follow.claim_number}*2*800*300**12*GAPICN1", "NM1*QC*1*BUDD*WILLIAM****MI*GAP123",
                          "SVC*HC:99211*800*300", "DTM*150*20020301", "DTM*151*20020304", "CAS*OA*23*500"],
                         total="300", trace="GAP0001", payer_name="GAP PLAN", payer_id="GAP01")
    with app.app_context():
        posting.import_835(secondary, "gap.835")
    with database(app):
        assert RemitClaim.get(RemitClaim.claim == follow.id).paid_cents == 30000
        assert balance(line, "insurance") == 0 and balance(line, "patient") == 0
        on_line = era_sums(service_line=line)
        assert (on_line["adjusted"], on_line["paid"]) == ({"CO": 5000}, 75000)  # no OA write-off at all
        assert Claim.get_by_id(follow.id).status == "paid"

"""Medicare as the secondary payer: the policy names why another payer pays first (the Medicare
Secondary Payer type), the claim sends it as SBR05, and the scrubber holds a claim back without it."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from billing_setup import database, encounter_with_charges, practice
from markupsafe import escape
from medoffice import settings
from medoffice.models import AuditEvent
from remit_setup import make_835, pyx12_errors

from medoffice_billing import claims, posting, scrubber, x12
from medoffice_billing.claims import ClaimError
from medoffice_billing.export837 import export
from medoffice_billing.models import Claim, Coverage, Payer
from medoffice_billing.x12 import tokenize

CLEARINGHOUSE = {"billing.x12_sender_id": "PRACTICE01", "billing.x12_receiver_id": "CLEARHOUSE",
                 "billing.x12_receiver_name": "Test Clearinghouse", "billing.x12_submitter_id": "PRACTICE01",
                 "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100"}
MISSING = "Medicare secondary claims need the Medicare Secondary Payer type."


def sbr(text: str) -> list[list[str]]:
    """The SBR segments in file order: 2000B first, then each 2320."""
    return [s for s in tokenize(text)[0] if s[0] == "SBR"]


def secondary_after_primary(app, tmp_path, filing: str, msp_type: str) -> tuple[dict, Claim, str]:
    """A commercial primary billed and paid (80.00 of 120.00, 20.00 coinsurance), then the secondary
    claim posting opened for the patient's second policy (``filing`` indicator, ``msp_type``).

    :return: the practice records, the secondary claim and the primary's 837P.
    """
    with database(app):
        records = practice()
        settings.set_many(CLEARINGHOUSE)
        second = Payer.create(name="Medicare Part B" if filing == "MB" else "Second Mutual", payer_id="SEC01",
                              filing_indicator=filing)
        records["second"] = Coverage.create(patient_id=records["patient"].id, payer=second, rank=2,
                                            member_id="1EG4TE5MK73", effective_date=dt.date(2000, 1, 1),
                                            msp_type=msp_type)
        primary = claims.mark_ready(claims.create_claim(encounter_with_charges(records)))
        export(out=tmp_path / "primary.x12")
        control = claims.claim_lines(primary)[0].service_line.control_number
        era = make_835([
            f"CLP*{primary.claim_number}*1*120*80*20*12*PAYER123", "NM1*QC*1*DIAZ*ROSA****MI*M123456",
            "SVC*HC:99213*120*80**1", f"DTM*472*{primary.service_date:%Y%m%d}", "CAS*CO*45*20", "CAS*PR*2*20",
            f"REF*6R*{control}"], total="80", trace="EFT7001", payer_name=records["payer"].name, payer_id="ACME1")
    with app.app_context():
        posting.import_835(era, "primary.835")
    with database(app):
        secondary = Claim.get((Claim.encounter == primary.encounter_id) & (Claim.responsibility == "S"))
    return records, secondary, (tmp_path / "primary.x12").read_text(encoding="ascii")


@pytest.mark.parametrize("filing, msp_type, sbr05", [("MB", "12", "12"), ("CI", "", "")])
def test_the_secondary_claim_sends_sbr05_only_to_medicare(app, tmp_path, filing, msp_type, sbr05):
    _, secondary, primary_text = secondary_after_primary(app, tmp_path, filing, msp_type)
    with database(app):
        claims.mark_ready(secondary)
        assert export(out=tmp_path / "secondary.x12").claim_count == 1
    text = (tmp_path / "secondary.x12").read_text(encoding="ascii")
    assert pyx12_errors(text) == [] and pyx12_errors(primary_text) == []
    billed_to, prior = sbr(text)
    assert billed_to[1:3] == ["S", "18"] and billed_to[5] == sbr05 and billed_to[9] == filing  # 2000B
    assert prior[1] == "P" and prior[5] == ""  # 2320: the commercial primary takes no SBR05
    # The primary's file listed the second policy in 2320, with the same type when it is Medicare.
    assert sbr(primary_text)[0][5] == "" and sbr(primary_text)[1][5] == sbr05


def test_the_scrubber_holds_a_medicare_secondary_claim_without_the_type_until_the_policy_has_it(
        app, tmp_path, client_as):
    records, secondary, _ = secondary_after_primary(app, tmp_path, "MB", "12")
    with database(app):
        # The type is cleared after the primary went out (the primary's 2320 needed it too).
        Coverage.update(msp_type="").where(Coverage.id == records["second"].id).execute()
        records["second"] = Coverage.get_by_id(records["second"].id)
        problems = {p.field: p for p in scrubber.scrub(secondary)}
        assert problems["coverage.msp_type"].message == MISSING and problems["coverage.msp_type"].severity == "error"
        assert len(problems) == 1
        with pytest.raises(ClaimError, match="scrubber found 1 problem"):
            claims.mark_ready(secondary)
    biller = client_as("billing")
    page = biller.get(f"/billing/claims/{secondary.id}").get_data(as_text=True)
    # Shown next to the policy's field, with the way to the policy.
    beside = page.split('<ul class="issues" id="f-coverage-msp_type">')[1].split("</ul>")[0]
    assert MISSING in beside and "Go to" in beside
    saved = biller.post(f"/billing/insurance/{records['second'].id}/edit", data=policy_form(records, msp_type="43"))
    assert saved.status_code == 302
    with database(app):
        assert claims.mark_ready(secondary).status == "ready"
    assert "43 Medicare Secondary Disabled Beneficiary" in biller.get(f"/billing/claims/{secondary.id}").get_data(as_text=True)


def policy_form(records: dict, **changes) -> dict:
    """The edit form of the patient's second policy as the browser posts it."""
    coverage = records["second"]
    return {"payer": str(coverage.payer_id), "rank": str(coverage.rank), "member_id": coverage.member_id,
            "effective_date": coverage.effective_date.isoformat(), "relationship": "18", "subscriber_sex": "U",
            "msp_type": coverage.msp_type, **changes}


def test_the_policy_form_takes_only_listed_types_on_medicare_policies_that_are_not_primary(app, client_as):
    with database(app):
        records = practice()
        medicare = Payer.create(name="Medicare Part B", payer_id="MCRB1", filing_indicator="MB")
        records["second"] = Coverage.create(patient_id=records["patient"].id, payer=medicare, rank=2,
                                            member_id="1EG4TE5MK73", effective_date=dt.date(2000, 1, 1))
    desk = client_as("front_desk")
    url = f"/billing/insurance/{records['second'].id}/edit"
    form = desk.get(url).get_data(as_text=True)
    assert "Medicare Secondary Payer type" in form
    assert "12 Medicare Secondary Working Aged Beneficiary or Spouse with Employer Group Health Plan" in form
    refused = {
        "'99' is not a Medicare Secondary Payer type": policy_form(records, msp_type="99"),
        "is not filed as Medicare": policy_form(records, msp_type="12", payer=str(records["payer"].id), rank="3"),
        "Medicare is the primary payer on this policy": policy_form(records, msp_type="12", rank="1"),
    }
    for message, data in refused.items():
        answer = desk.post(url, data=data)
        assert answer.status_code == 422 and str(escape(message)) in answer.get_data(as_text=True), message
        assert 'id="msp_type-error"' in answer.get_data(as_text=True)
    with database(app):
        assert Coverage.get_by_id(records["second"].id).msp_type == ""
    assert desk.post(url, data=policy_form(records, msp_type="47")).status_code == 302
    with database(app):
        assert Coverage.get_by_id(records["second"].id).msp_type == "47"
        audit = (AuditEvent.select().where(AuditEvent.action == "billing.coverage.update")
                 .order_by(AuditEvent.seq.desc()).get())
        assert audit.patient_id == records["patient"].id and json.loads(audit.detail)["fields"] == ["msp_type"]


def test_the_837_layer_refuses_a_medicare_secondary_claim_without_sbr05_and_sbr05_anywhere_else():
    payer = x12.Payer(name="MEDICARE B", payer_id="MCRB1")
    line = x12.claim837.ServiceLine(procedure_code="99213", charge_cents=12000, service_date=dt.date(2026, 1, 5))
    other = x12.OtherPayer(payer=x12.Payer(name="ACME", payer_id="ACME1"), responsibility="P",
                           insured_last_name="DIAZ", insured_first_name="ROSA", insured_member_id="M1")

    def problems(responsibility: str, filing: str, insurance_type: str) -> list[str]:
        subscriber = x12.Subscriber(member_id="1EG4TE5MK73", last_name="DIAZ", first_name="ROSA", payer=payer,
                                    responsibility=responsibility, filing_indicator=filing,
                                    insurance_type=insurance_type, birth_date=dt.date(1950, 1, 1), sex="F",
                                    address=x12.Address("5 ELM STREET", "SPRINGFIELD", "IL", "62701"))
        claim = x12.Claim(patient_control_number="C1", subscriber=subscriber, diagnoses=("E119",), lines=(line,),
                          other_payers=(other,) if responsibility != "P" else ())
        return x12.check_claim(claim)

    assert problems("S", "MB", "12") == [] and problems("P", "CI", "") == []
    assert "(SBR05) is required" in " ".join(problems("S", "MA", ""))
    assert "not one of 12, 13, 14, 15, 16, 41, 42, 43, 47" in " ".join(problems("T", "MB", "99"))
    assert "takes no Medicare Secondary Payer type" in " ".join(problems("P", "MB", "12"))
    assert "takes no Medicare Secondary Payer type" in " ".join(problems("S", "CI", "12"))


def test_a_primary_claim_names_the_medicare_secondary_policy_missing_its_type(app, tmp_path, client_as):
    """The primary's 837 lists a Medicare secondary policy in 2320, which then needs SBR05 too."""
    with database(app):
        records = practice()
        settings.set_many(CLEARINGHOUSE)
        medicare = Payer.create(name="Medicare Part B", payer_id="MCRB1", filing_indicator="MB")
        records["second"] = Coverage.create(patient_id=records["patient"].id, payer=medicare, rank=2,
                                            member_id="1EG4TE5MK73", effective_date=dt.date(2000, 1, 1))
        primary = claims.create_claim(encounter_with_charges(records))
        problems = {p.field: p for p in scrubber.scrub(primary)}
        assert list(problems) == ["other_coverage.msp_type"]
        assert "Medicare Part B policy" in problems["other_coverage.msp_type"].message
        with pytest.raises(ClaimError, match="scrubber found 1 problem"):
            claims.mark_ready(primary)
    page = client_as("billing").get(f"/billing/claims/{primary.id}").get_data(as_text=True)
    beside = page.split('<ul class="issues" id="f-other_coverage-msp_type">')[1].split("</ul>")[0]
    assert "Medicare Part B policy" in beside
    with database(app):
        Coverage.update(msp_type="12").where(Coverage.id == records["second"].id).execute()
        claims.mark_ready(primary)
        assert export(out=tmp_path / "primary.x12").claim_count == 1
    text = (tmp_path / "primary.x12").read_text(encoding="ascii")
    assert pyx12_errors(text) == []
    assert [segment[5] for segment in sbr(text)] == ["", "12"]  # 2000B primary: none; 2320 Medicare: its type

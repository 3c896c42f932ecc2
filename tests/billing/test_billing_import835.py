"""835 import: the CLI contract, duplicates, refusals (arithmetic, unknown payer), reversals, the exceptions and
denial queues, the secondary claim, OA handling, the upload page with its progress, and the Today items."""
from __future__ import annotations

import datetime as dt
import io
import json
import time

import pytest
from billing_setup import database
from medoffice import settings
from medoffice.models import AuditEvent, CoreTask, Patient
from remit_setup import (balance, claims_from_remittance, cli_app, era_sums, import_unmatched_835, make_835,
                         read_sample, reversal_835, run_cli)

from medoffice_billing import posting, x12
from medoffice_billing.models import (Claim, ClaimEvent, Coverage, LineTransaction, Payer, RemitClaim, Remittance,
                                      ServiceLine)

TWO = "835_two_claims_claim_and_line_cas.x12"


def prepare(app, name: str = TWO) -> dict:
    text = read_sample(name)
    with database(app):
        built = {}
        for remittance in x12.parse_835(text):
            built.update(claims_from_remittance(remittance))
    return built


def test_cli_import_json_contract_duplicate_and_same_trace(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    prepare(app)
    path = tmp_path / "era.835"
    path.write_text(read_sample(TWO))
    first = run_cli(app, "billing", "import-835", str(path), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output) == {
        "claims_matched": 2, "claims_unmatched": 0, "paid_cents": 94500, "adjustment_cents": 15500,
        "patient_responsibility_cents": 90000, "plb_cents": 0, "duplicate": False}
    with database(app):
        entries = LineTransaction.select().count()
    again = run_cli(app, "billing", "import-835", str(path), "--json")
    assert again.exit_code == 0 and json.loads(again.output)["duplicate"] is True
    assert json.loads(again.output)["paid_cents"] == 0
    # The same payer and trace number in another file (a new ISA control number) is the same payment.
    resent = tmp_path / "resent.835"
    resent.write_text(read_sample(TWO).replace("000010216", "000010299"))
    third = run_cli(app, "billing", "import-835", str(resent))
    assert third.exit_code == 0 and "imported before" in third.output
    with database(app):
        assert LineTransaction.select().count() == entries and Remittance.select().count() == 1


def test_tampered_arithmetic_and_non_x12_are_refused_and_nothing_posts(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    prepare(app)
    tampered = tmp_path / "tampered.835"
    tampered.write_text(read_sample(TWO).replace("CLP*5554555444*1*800*450*", "CLP*5554555444*1*800*460*"))
    refused = run_cli(app, "billing", "import-835", str(tampered), "--json")
    assert refused.exit_code != 0
    assert "refused; nothing was posted" in refused.output and "charge $800.00 minus paid $460.00" in refused.output
    binary = tmp_path / "photo.835"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    not_x12 = run_cli(app, "billing", "import-835", str(binary))
    assert not_x12.exit_code != 0 and "plain ASCII" in not_x12.output
    with database(app):
        assert LineTransaction.select().where(LineTransaction.source == "era").count() == 0
        assert Remittance.select().count() == 0 and {c.status for c in Claim.select()} == {"submitted"}


def test_unknown_payer_without_matching_claims_is_refused(app):
    era = make_835(["CLP*X1*1*100*100**12*P1", "NM1*QC*1*DOE*JANE****MI*Z1", "SVC*HC:99213*100*100",
                    "DTM*472*20240102"], total="100", trace="T1", payer_name="NOBODY MUTUAL", payer_id="NOB01")
    with app.app_context(), pytest.raises(posting.RemitRefused, match="NOBODY MUTUAL .payer ID NOB01. is not set up"):
        posting.import_835(era)


def test_reversal_undoes_the_earlier_posting_then_the_correction_posts(app):
    built = prepare(app)
    with app.app_context():
        posting.import_835(read_sample(TWO), TWO)
    with database(app):
        claim = Claim.get_by_id(built[1].id)
        line = claim.lines[0].service_line_id
        assert claim.status == "paid" and balance(line, "patient") == 30000
        before = {(t.kind, t.amount_cents) for t in LineTransaction.select().where(
            (LineTransaction.claim == claim) & (LineTransaction.source == "era"))}
        assert ("payment", -45000) in before and ("adjustment", -5000) in before
    with app.app_context():
        result = posting.import_835(reversal_835(), "reversal.835")
    with database(app):
        rows = list(LineTransaction.select().where(LineTransaction.claim == claim).order_by(LineTransaction.id))
        reversals = [r for r in rows if r.reverses_id]
        assert {(r.kind, r.amount_cents) for r in reversals} == {(k, -a) for k, a in before}
        assert all(LineTransaction.get_by_id(r.reverses_id).amount_cents == -r.amount_cents for r in reversals)
        standing = [r for r in rows if r.source == "era" and not r.reverses_id
                    and r.id not in {x.reverses_id for x in reversals}]
        assert sorted((r.kind, r.party, r.amount_cents) for r in standing) == [
            ("payment", "insurance", -50000), ("transfer", "insurance", -30000), ("transfer", "patient", 30000)]
        assert balance(line, "insurance") == 0 and balance(line, "patient") == 30000
        assert result.totals()["paid_cents"] == 5000
        outcomes = [r.outcome for r in RemitClaim.select().where(RemitClaim.claim == claim).order_by(RemitClaim.id)]
        assert outcomes == ["reversed", "reversal", "paid"]
        moves = [(e.from_status, e.to_status) for e in ClaimEvent.select().where(
            (ClaimEvent.claim == claim) & (ClaimEvent.action == "status")).order_by(ClaimEvent.id)]
        assert moves[-3:] == [("submitted", "paid"), ("paid", "accepted"), ("accepted", "paid")]
        assert Claim.get_by_id(claim.id).payer_claim_number == "94060555410001"


def test_a_reversal_with_nothing_to_undo_waits_as_an_exception(app):
    prepare(app)
    with app.app_context():
        result = posting.import_835(reversal_835(), "reversal.835")
    with database(app):
        totals = result.totals()
        assert (totals["claims_matched"], totals["claims_unmatched"]) == (1, 1)
        entry = RemitClaim.get(RemitClaim.queue == "exception")
        assert "nothing from an earlier 835 is posted" in entry.problem and entry.claim_id is None


def test_unmatched_payment_waits_in_exceptions_then_is_matched_or_dismissed(app, client_as):
    with database(app):
        Payer.create(name="RUSHMORE LIFE", payer_id="")
    era = make_835([
        "CLP*LATE1*1*100*80**12*PCN1", "NM1*QC*1*ROE*JANE****MI*MEMBER9", "SVC*HC:99213*100*80",
        "DTM*472*20240102", "CAS*CO*45*20",
        "CLP*STRAY*1*50*50**12*PCN2", "NM1*QC*1*POE*EDGAR****MI*MEMBER8", "SVC*HC:99212*50*50", "DTM*472*20240102",
    ], total="130", trace="EXC1")
    with app.app_context():
        result = posting.import_835(era, "late.835")
    assert result.totals()["claims_unmatched"] == 2 and result.totals()["paid_cents"] == 0
    with database(app):
        assert LineTransaction.select().where(LineTransaction.source == "era").count() == 0
        # The claim is entered afterwards, under another number than the payer echoed.
        remittance = x12.parse_835(era)[0]
        claim = claims_from_remittance(remittance, payer=Payer.get(Payer.name == "RUSHMORE LIFE"))[1]
        Claim.update(claim_number="C0000777").where(Claim.id == claim.id).execute()
        first, second = RemitClaim.select().order_by(RemitClaim.position)
    biller = client_as("billing")
    page = biller.get("/billing/remittances/exceptions")
    assert page.status_code == 200 and "matches no claim billed to this payer" in page.get_data(as_text=True)
    wrong = biller.post(f"/billing/remittances/exceptions/{first.id}/match", data={"claim_number": "C9999999"})
    assert wrong.status_code == 422 and "There is no claim C9999999." in wrong.get_data(as_text=True)
    matched = biller.post(f"/billing/remittances/exceptions/{first.id}/match", data={"claim_number": "c0000777"})
    assert matched.status_code == 302
    empty = biller.post(f"/billing/remittances/exceptions/{second.id}/dismiss", data={"reason": " "})
    assert empty.status_code == 422 and "Say why" in empty.get_data(as_text=True)
    dismissed = biller.post(f"/billing/remittances/exceptions/{second.id}/dismiss",
                            data={"reason": "Another practice's patient; payer notified."})
    assert dismissed.status_code == 302
    assert client_as("front_desk").post(f"/billing/remittances/exceptions/{second.id}/dismiss",
                                        data={"reason": "x"}).status_code == 403
    with database(app):
        first, second = RemitClaim.get_by_id(first.id), RemitClaim.get_by_id(second.id)
        assert first.claim_id == claim.id and first.matched_by == "manual" and first.paid_cents == 8000
        assert Claim.get_by_id(claim.id).status == "paid" and era_sums()["paid"] == 8000
        assert second.resolved and second.outcome == "dismissed" and "Another practice" in second.resolution
        assert Remittance.get().matched_count == 1
        actions = {a.action for a in AuditEvent.select()}
        assert {"billing.remit.exception.match", "billing.remit.exception.close"} <= actions


def test_primary_patient_responsibility_moves_to_the_secondary_and_its_claim_is_created(app):
    with database(app):
        remittance = x12.parse_835(read_sample(TWO))[0]
        built = claims_from_remittance(remittance)
        claim = Claim.get_by_id(built[1].id)
        # The encounter needs what claim creation checks: a charge-entry line set and a policy of rank 2.
        second = Payer.create(name="Gap Plan", payer_id="GAP01")
        Coverage.create(patient_id=claim.patient_id, payer=second, rank=2, member_id="GAP123",
                        effective_date=dt.date(1990, 1, 1))
    with app.app_context():
        posting.import_835(read_sample(TWO), TWO)
    with database(app):
        line = claim.lines[0].service_line_id
        assert balance(line, "patient") == 0
        moved = LineTransaction.get((LineTransaction.service_line == line) & (LineTransaction.kind == "transfer")
                                    & (LineTransaction.amount_cents > 0))
        assert (moved.party, moved.payer_id, moved.amount_cents, moved.carc) == ("insurance", second.id, 30000, "1")
        follow = Claim.get((Claim.encounter == claim.encounter_id) & (Claim.responsibility == "S"))
        assert follow.payer_id == second.id and follow.status == "draft" and follow.total_charge_cents == 80000
        entry = RemitClaim.get(RemitClaim.claim == claim)
        assert entry.next_payer_cents == 30000 and entry.patient_cents == 0
        assert follow.claim_number in entry.problem
        # The other claim's patient has no second policy: the deductible is the patient's.
        other = Claim.get_by_id(built[2].id)
        assert balance(other.lines[0].service_line_id, "patient") == 60000


def test_other_adjustments_follow_the_setting(app):
    prepare(app, "835_denied_claim_zero_payment.x12")
    with database(app):
        settings.set_many({"billing.era_oa_action": "patient"})
    with app.app_context():
        posting.import_835(read_sample("835_denied_claim_zero_payment.x12"))
    with database(app):
        sums = era_sums()
        assert sums["adjusted"] == {"CO": 50004} and sums["to_patient"] == 12780 + 28755
        assert Claim.get().status == "denied"


def test_upload_page_checks_then_posts_in_the_background_and_reports(app, client_as):
    prepare(app)
    biller = client_as("billing")
    bad = biller.post("/billing/remittances", data={"file": (io.BytesIO(b"hello"), "note.txt")},
                      content_type="multipart/form-data")
    assert bad.status_code == 422 and "nothing was posted" in bad.get_data(as_text=True)
    missing = biller.post("/billing/remittances", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose the 835 file" in missing.get_data(as_text=True)
    assert client_as("front_desk").post("/billing/remittances", data={
        "file": (io.BytesIO(read_sample(TWO).encode()), "era.835")}, content_type="multipart/form-data").status_code == 403
    sent = biller.post("/billing/remittances", data={"file": (io.BytesIO(read_sample(TWO).encode()), "era.835")},
                       content_type="multipart/form-data")
    assert sent.status_code == 302 and "task=" in sent.headers["Location"]
    task_id = int(sent.headers["Location"].split("task=")[1].split("&")[0].split("#")[0])
    with database(app):
        for _ in range(100):
            task = CoreTask.get_by_id(task_id)
            if task.status in ("ok", "failed"):
                break
            time.sleep(0.1)
        assert task.status == "ok", task.message
        assert "Posted 2 claim payments: $945.00 paid" in task.message
        remittance = Remittance.get()
        assert remittance.imported_by.startswith("user")
        assert ClaimEvent.select().where(ClaimEvent.to_status == "paid").first().username == remittance.imported_by
    listing = biller.get(sent.headers["Location"], follow_redirects=True)
    assert listing.status_code == 200 and "71700666555" in listing.get_data(as_text=True)
    report = biller.get(biller.get(task.result_url).headers["Location"])
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and "Posting report" in html and "$945.00" in html and "$900.00" in html


def test_denial_queue_shows_reasons_in_words_and_is_worked_with_a_note(app, client_as):
    prepare(app, "835_denied_claim_zero_payment.x12")
    with app.test_request_context():
        posting.import_835(read_sample("835_denied_claim_zero_payment.x12"))
        with database(app):
            items = {i.title: i.count for i in posting.work_items()}
    assert items == {"Denied claim to work": 1}
    biller = client_as("billing")
    page = biller.get("/billing/denials")
    html = page.get_data(as_text=True)
    assert "<strong>16</strong> Claim is missing information or has billing errors" in html
    assert "N14" in html and "Paid under a contract" in html
    with database(app):
        entry = RemitClaim.get(RemitClaim.queue == "denial")
    claim_page = f"/billing/claims/{entry.claim_id}"
    assert "CO-16" in biller.get(claim_page).get_data(as_text=True)  # marked worked from the claim's page
    empty = biller.post(f"/billing/denials/{entry.id}/close", data={"reason": ""})
    assert empty.status_code == 422
    done = biller.post(f"/billing/denials/{entry.id}/close", data={"reason": "Corrected the NPI and resubmitted."})
    assert done.status_code == 302
    with database(app):
        assert RemitClaim.get_by_id(entry.id).resolved and posting.queue_counts() == (0, 0)
    assert "Denial to work" not in biller.get(claim_page).get_data(as_text=True)


def test_today_counts_exceptions(app):
    import_unmatched_835(app)
    with app.test_request_context():
        with database(app):
            assert posting.queue_counts() == (0, 1)
            assert [(i.title, i.count) for i in posting.work_items()] == [("835 payment that matched no claim", 1)]
            assert Patient.select().count() == 0
            assert ServiceLine.select().count() == 0

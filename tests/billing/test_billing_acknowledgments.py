"""999 and 277CA acknowledgments: rejected batches and claims go back to "rejected" with the error in plain
words, accepted claims keep the payer's claim number, files about nothing we sent are refused, and importing a
file twice changes nothing."""
from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from ack_samples import ack_277, ack_999
from billing_setup import database, encounter_with_charges, practice
from medoffice import settings
from remit_setup import cli_app, read_sample, run_cli

from medoffice_billing import claims
from medoffice_billing.acknowledgments import AckRefused, import_ack
from medoffice_billing.export837 import export
from medoffice_billing.models import Acknowledgment, Claim, ClaimAcknowledgment, ClaimEvent
from medoffice_billing.x12.ack import read_ack

CLEARINGHOUSE = {"billing.x12_sender_id": "PRACTICE01", "billing.x12_receiver_id": "CLEARHOUSE",
                 "billing.x12_receiver_name": "Test Clearinghouse", "billing.x12_submitter_id": "PRACTICE01",
                 "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100"}


def sent_batch(count: int = 2):
    """``count`` claims sent in one 837P batch; returns (batch, claims)."""
    records = practice()
    settings.set_many(CLEARINGHOUSE)
    day = settings.today() - dt.timedelta(days=5)
    made = [claims.mark_ready(claims.create_claim(encounter_with_charges(records, day - dt.timedelta(days=n))))
            for n in range(count)]
    result = export()
    return result.batch, [Claim.get_by_id(c.id) for c in made]


def test_the_999_reader_explains_the_segment_element_and_error():
    parsed, problems = read_ack(ack_999(42, "R", errors=True))
    assert problems == []
    ack = parsed.acks_999[0]
    assert ack.group_control_number == "42" and ack.status == "R" and ack.transactions[0].rejected
    assert ack.reasons() == [
        "Transaction 0042: one or more segments in error.",
        "Segment NM1 (segment 8 of the transaction in loop 2010): segment has data element errors; "
        "NM109: required data element missing."]


def test_the_277ca_reader_tells_accepted_from_rejected_claims():
    parsed, problems = read_ack(ack_277([("C0000001", "A2:20", "WQ", "PAY-9"), ("C0000002", "A7:21:QC", "U", "")]))
    assert problems == []
    accepted, rejected = parsed.acks_277[0].claims
    assert accepted.accepted and not accepted.rejected and accepted.payer_claim_number == "PAY-9"
    assert rejected.rejected and not rejected.accepted
    assert rejected.reason() == ("Acknowledgment: rejected for invalid information; Missing or invalid information; "
                                 "concerning the patient.")


def test_a_file_that_is_no_acknowledgment_is_named_for_what_it_is():
    _parsed, problems = read_ack(read_sample("835_denied_claim_zero_payment.x12"))
    assert problems == ["This file is an 835 remittance (import it under Remittances)."]
    assert read_ack("hello")[1][0].startswith("Not an X12 file")


def test_an_accepted_999_keeps_the_claims_submitted_and_a_second_import_changes_nothing(app):
    with database(app):
        batch, sent = sent_batch()
        result = import_ack(ack_999(batch.control_number), "accepted.999")
        assert (result.kind, result.accepted, result.rejected, result.claims_updated) == ("999", 2, 0, 0)
        assert {c.status for c in Claim.select().where(Claim.id.in_([c.id for c in sent]))} == {"submitted"}
        ack = Acknowledgment.get()
        assert ack.batch_id == batch.id and ack.status == "A"
        again = import_ack(ack_999(batch.control_number), "accepted-again.999")
        assert again.duplicate and Acknowledgment.select().count() == 1 and ClaimAcknowledgment.select().count() == 2


def test_a_rejected_999_sends_the_batchs_claims_to_the_rejected_worklist_with_the_error_in_words(app):
    with database(app):
        batch, sent = sent_batch()
        result = import_ack(ack_999(batch.control_number, "R", errors=True), "rejected.999")
        assert (result.accepted, result.rejected, result.claims_updated) == (0, 2, 2)
        for claim in sent:
            assert Claim.get_by_id(claim.id).status == "rejected"
            event = ClaimEvent.select().where((ClaimEvent.claim == claim.id) & (ClaimEvent.to_status == "rejected")).get()
            assert f"rejected batch {batch.file_name}" in event.reason
            assert "NM109: required data element missing" in event.reason
        assert import_ack(ack_999(batch.control_number, "R", errors=True), "again.999").duplicate
        assert ClaimEvent.select().where(ClaimEvent.to_status == "rejected").count() == 2


def test_a_999_about_a_batch_we_never_sent_is_refused_and_changes_nothing(app):
    with database(app):
        batch, sent = sent_batch(1)
        with pytest.raises(AckRefused) as refused:
            import_ack(ack_999(batch.control_number + 500, "R"), "stranger.999")
        assert f"group {batch.control_number + 500}, which is no 837P batch we sent" in refused.value.problems[0]
        assert Acknowledgment.select().count() == 0 and Claim.get_by_id(sent[0].id).status == "submitted"


def test_a_277ca_accepts_and_rejects_claims_and_keeps_the_payers_claim_number(app):
    with database(app):
        _batch, (first, second) = sent_batch()
        text = ack_277([(first.claim_number, "A2:20", "WQ", "PAY-77"), (second.claim_number, "A7:164:IL", "U", ""),
                        ("C9999999", "A2:20", "WQ", "")])
        result = import_ack(text, "payer.277")
        assert result.as_dict() == {"type": "277CA", "accepted": 1, "rejected": 1, "claims_updated": 2,
                                    "duplicate": False}
        first, second = Claim.get_by_id(first.id), Claim.get_by_id(second.id)
        assert (first.status, first.payer_claim_number) == ("accepted", "PAY-77")
        assert second.status == "rejected"
        event = ClaimEvent.select().where((ClaimEvent.claim == second.id) & (ClaimEvent.to_status == "rejected")).get()
        assert event.reason == ("Rejected by ACME HEALTH (277CA): Acknowledgment: rejected for invalid information; "
                                "Entity's contract or member number; concerning the insured.")
        stranger = ClaimAcknowledgment.get(ClaimAcknowledgment.claim_number == "C9999999")
        assert (stranger.claim_id, stranger.outcome) == (None, "unmatched")
        assert stranger.reason.startswith("No claim C9999999 was sent from here. Accepted by ACME HEALTH")
        assert import_ack(text, "payer-again.277").duplicate


def test_a_277ca_naming_no_claim_of_ours_is_refused(app):
    with database(app):
        sent_batch(1)
        with pytest.raises(AckRefused) as refused:
            import_ack(ack_277([("C9999999", "A2:20", "WQ", "")]), "other.277")
        assert "names no claim we sent (claim numbers C9999999)" in refused.value.problems[0]
        assert Acknowledgment.select().count() == 0


def test_import_ack_on_the_command_line(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    with database(app):
        batch, _sent = sent_batch()
    ack = tmp_path / "batch.999"
    ack.write_text(ack_999(batch.control_number, "R", errors=True), encoding="ascii")
    out = run_cli(app, "billing", "import-ack", str(ack), "--json")
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == {"type": "999", "accepted": 0, "rejected": 2, "claims_updated": 2,
                                      "duplicate": False}
    again = run_cli(app, "billing", "import-ack", str(ack), "--json")
    assert json.loads(again.output)["duplicate"] is True
    wrong = tmp_path / "remit.835"
    wrong.write_text(read_sample("835_denied_claim_zero_payment.x12"), encoding="ascii")
    refused = run_cli(app, "billing", "import-ack", str(wrong), "--json")
    assert refused.exit_code != 0 and "835 remittance" in refused.output


def test_the_upload_refuses_a_bad_file_and_the_acknowledgment_page_explains_the_rejection(app, client_as):
    with database(app):
        batch, sent = sent_batch(1)
    biller = client_as("billing")
    bad = biller.post("/billing/acknowledgments", data={"file": (io.BytesIO(b"not x12"), "note.txt")})
    assert bad.status_code == 422 and "Not an X12 file" in bad.get_data(as_text=True)
    good = biller.post("/billing/acknowledgments", data={
        "file": (io.BytesIO(ack_999(batch.control_number, "R", errors=True).encode("ascii")), "batch.999")})
    assert good.status_code == 302
    page = biller.get(good.headers["Location"]).get_data(as_text=True)
    assert "NM109: required data element missing" in page and sent[0].claim_number in page
    assert "Rejected" in biller.get("/billing/clearinghouse").get_data(as_text=True)

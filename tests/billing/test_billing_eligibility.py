"""Eligibility: a 270 about chosen policies (and about the patients with visits soon), the payers' 271 answers
kept on the policies and shown on the patient page and at the desk, inactive coverage flagged before a claim
goes, and files that answer nothing we asked refused."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from ack_samples import answer_271
from billing_setup import database, encounter_with_charges, practice
from medoffice import settings
from medoffice.models import Patient
from remit_setup import cli_app, run_cli

from medoffice_billing import claims, encounters, eligibility, scrubber
from medoffice_billing.eligibility import EligibilityRefused, export_270, import_271
from medoffice_billing.models import Coverage, EligibilityBatch, EligibilityCheck
from medoffice_billing.x12 import validate_envelope
from medoffice_billing.x12.claim837 import Interchange
from medoffice_billing.x12.eligibility import Inquiry, Person, Provider, build_270, read_271

CLEARINGHOUSE = {"billing.x12_sender_id": "PRACTICE01", "billing.x12_receiver_id": "CLEARHOUSE",
                 "billing.x12_receiver_name": "Test Clearinghouse", "billing.x12_submitter_id": "PRACTICE01",
                 "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100"}


def test_a_270_asks_each_payer_about_subscribers_and_dependents_with_our_trace_numbers():
    inquiries = [
        Inquiry("E000000001", "Acme Health", "ACME1", "M123456", Person("Diaz", "Rosa", dt.date(1970, 5, 6), "F"),
                dt.date(2026, 12, 5)),
        Inquiry("E000000002", "Acme Health", "ACME1", "M999", Person("Diaz", "Carl", dt.date(1968, 1, 1), "M"),
                dt.date(2026, 12, 5), dependent=Person("Diaz", "Tim", dt.date(2010, 3, 3), "M")),
        Inquiry("E000000003", "Other Plan", "OTH22", "X77", Person("Lee", "Ann"), dt.date(2026, 12, 5)),
    ]
    text = build_270(Interchange("PRACTICE01", "CLEARHOUSE"), Provider("Test Clinic", "1234567893"), inquiries,
                     control_number=42, usage_indicator="T", created=dt.datetime(2026, 12, 3, 10, 0),
                     originator="1123456789")
    assert validate_envelope(text) == []
    segments = [line.rstrip("~") for line in text.splitlines()]
    assert segments[1] == "GS*HS*PRACTICE01*CLEARHOUSE*20261203*1000*42*X*005010X279A1"
    assert segments[2:4] == ["ST*270*0042*005010X279A1", "BHT*0022*13*0042*20261203*1000"]
    assert [s for s in segments if s.startswith(("HL", "TRN", "NM1*IL", "NM1*03", "NM1*PR"))] == [
        "HL*1**20*1", "NM1*PR*2*ACME HEALTH*****PI*ACME1", "HL*2*1*21*1",
        "HL*3*2*22*0", "TRN*1*E000000001*1123456789", "NM1*IL*1*DIAZ*ROSA****MI*M123456",
        "HL*4*2*22*1", "NM1*IL*1*DIAZ*CARL****MI*M999", "HL*5*4*23*0", "TRN*1*E000000002*1123456789",
        "NM1*03*1*DIAZ*TIM",
        "HL*6**20*1", "NM1*PR*2*OTHER PLAN*****PI*OTH22", "HL*7*6*21*1",
        "HL*8*7*22*0", "TRN*1*E000000003*1123456789", "NM1*IL*1*LEE*ANN****MI*X77"]
    assert segments.count("EQ*30") == 3 and segments.count("DTP*291*D8*20261205") == 3


def test_a_270_is_refused_with_every_reason_when_an_inquiry_cannot_be_sent():
    bad = Inquiry("E1", "Acme", "", "", Person("", "Rosa"), dt.date(2026, 12, 5))
    with pytest.raises(ValueError) as refused:
        build_270(Interchange("P", "C"), Provider("Clinic", "1234567890"), [bad], control_number=1,
                  usage_indicator="T", created=dt.datetime(2026, 12, 3), originator="1123456789")
    message = str(refused.value)
    assert "no member ID" in message and "has no payer ID" in message and "last name is missing" in message
    assert "not a valid NPI" in message


def test_a_271_reads_coverage_plan_dates_and_benefits():
    answers, problems = read_271(answer_271("E000000001"))
    assert problems == []
    (answer,) = answers
    assert (answer.trace_number, answer.active, answer.plan_name) == ("E000000001", True, "GOLD PPO 500")
    assert (answer.plan_begin, answer.plan_end) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    copay = next(b for b in answer.benefits if b.code == "B")
    assert (copay.amount_cents, copay.services, copay.in_network) == (2500, "Office visit", "Y")
    rejected, _ = read_271(answer_271("E2", active=None))
    assert rejected[0].active is None and rejected[0].rejections == ("subscriber not found",)
    assert read_271(answer_271("E3", active=False))[0][0].active is False
    assert read_271("ISA*bad")[1] and read_271(answer_271("X").replace("ST*271", "ST*835"))[0] == []


def _asked(records, dependent: bool = False) -> EligibilityCheck:
    settings.set_many(CLEARINGHOUSE)
    coverage = records["coverage"]
    if dependent:
        Coverage.update(relationship="19", subscriber_first_name="Carl", subscriber_last_name="Diaz",
                        subscriber_date_of_birth=dt.date(1968, 1, 1), subscriber_sex="M").where(
            Coverage.id == coverage.id).execute()
    result = export_270([coverage.id])
    assert result.batch is not None and result.skipped == []
    return EligibilityCheck.get(EligibilityCheck.coverage == coverage.id)


def test_an_answer_is_kept_on_the_policy_and_summarized_for_the_desk(app):
    with database(app):
        records = practice()
        check = _asked(records)
        batch = EligibilityBatch.get()
        assert validate_envelope(bytes(batch.content).decode("ascii")) == []
        assert f"TRN*1*{check.trace_number}*1123456789~" in bytes(batch.content).decode("ascii")
        result = import_271(answer_271(check.trace_number), "answers.271")
        assert result.as_dict() == {"answered": 1, "active": 1, "inactive": 0, "unknown": 0, "duplicate": False}
        (row,) = eligibility.desk_view(records["patient"].id, settings.today())
        assert row["check"].active is True and row["check"].plan_name == "GOLD PPO 500" and not row["pending"]
        summary = row["summary"]
        assert summary["copays"] == [("Office visit", 2500)] and summary["coinsurance"] == [("Office visit", 20)]
        assert summary["deductible"].amount_cents == 150000 and summary["deductible_remaining"].amount_cents == 40000
        assert summary["out_of_pocket"].amount_cents == 500000
        assert summary["out_of_pocket_remaining"].amount_cents == 325000
        assert import_271(answer_271(check.trace_number), "again.271").duplicate


def test_a_dependent_is_asked_about_under_the_subscriber(app):
    with database(app):
        records = practice()
        _asked(records, dependent=True)
        text = bytes(EligibilityBatch.get().content).decode("ascii")
        assert "NM1*IL*1*DIAZ*CARL****MI*M123456~" in text and "HL*4*3*23*0~" in text
        assert "NM1*03*1*DIAZ*ROSA~" in text


def test_an_answer_to_a_question_we_never_asked_is_refused_and_changes_nothing(app):
    with database(app):
        records = practice()
        check = _asked(records)
        with pytest.raises(EligibilityRefused) as refused:
            import_271(answer_271("E999999999"), "stranger.271")
        assert "inquiries we never sent (trace E999999999)" in refused.value.problems[0]
        assert EligibilityCheck.get_by_id(check.id).answered_at is None


def test_inactive_coverage_is_flagged_by_the_scrubber_before_the_claim_goes(app):
    with database(app):
        records = practice()
        check = _asked(records)
        claim = claims.create_claim(encounter_with_charges(records))
        assert "coverage.eligibility" not in {p.field for p in scrubber.scrub(claim)}
        import_271(answer_271(check.trace_number, active=False), "inactive.271")
        found = {p.field: p for p in scrubber.scrub(claim)}
        assert found["coverage.eligibility"].severity == "warning"
        assert "this policy is not active" in found["coverage.eligibility"].message


def test_upcoming_visits_pick_each_patients_primary_policy_once(app):
    with database(app):
        records = practice()
        today = settings.today()
        for offset in (1, 2):
            encounters.create_encounter(records["patient"].id, {"service_date": today + dt.timedelta(days=offset),
                                                                "place_of_service": "11"})
        other = Patient.create(account_number="P0000009", first_name="Lu", last_name="Chen",
                               date_of_birth=dt.date(1980, 1, 1), sex="F")
        Coverage.create(patient_id=other.id, payer=records["payer"], rank=1, member_id="Z1",
                        effective_date=dt.date(2000, 1, 1))
        encounters.create_encounter(other.id, {"service_date": today + dt.timedelta(days=9), "place_of_service": "11"})
        assert eligibility.upcoming_coverages(today, 3) == [records["coverage"].id]
        assert len(eligibility.upcoming_coverages(today, 10)) == 2


def test_the_insurance_page_asks_and_the_desk_shows_the_answer(app, client_as):
    with database(app):
        records = practice()
        settings.set_many(CLEARINGHOUSE)
        pid, coverage_id = records["patient"].id, records["coverage"].id
    desk = client_as("front_desk")
    asked = desk.post(f"/billing/insurance/{coverage_id}/eligibility")
    assert asked.status_code == 302
    assert "a question is waiting" in desk.get(f"/billing/patients/{pid}/insurance").get_data(as_text=True)
    with database(app):
        trace = EligibilityCheck.get(EligibilityCheck.coverage == coverage_id).trace_number
        import_271(answer_271(trace), "answers.271")
    page = desk.get(f"/billing/patients/{pid}/payments/new").get_data(as_text=True)
    assert "Active" in page and "Copay (office visit): $25.00" in page and "$400.00 remaining" in page
    panel = desk.get(f"/billing/patients/{pid}/panel").get_data(as_text=True)
    assert "GOLD PPO 500" in panel and "Out-of-pocket maximum: $5,000.00, $3,250.00 remaining" in panel


def test_export_270_and_import_271_on_the_command_line(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    with database(app):
        records = practice()
        settings.set_many(CLEARINGHOUSE)
        coverage_id = records["coverage"].id
    out = tmp_path / "ask.270"
    written = run_cli(app, "billing", "eligibility", "export-270", "--out", str(out), "--coverage", str(coverage_id),
                      "--json")
    assert written.exit_code == 0, written.output
    assert json.loads(written.output) == {"inquiries": 1, "skipped": 0, "file": str(out)}
    trace = next(line.split("*")[2] for line in out.read_text().splitlines() if line.startswith("TRN*1*"))
    answer = tmp_path / "answer.271"
    answer.write_text(answer_271(trace, active=False), encoding="ascii")
    imported = run_cli(app, "billing", "eligibility", "import-271", str(answer), "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.output) == {"answered": 1, "active": 0, "inactive": 1, "unknown": 0, "duplicate": False}
    stranger = tmp_path / "stranger.271"
    stranger.write_text(answer_271("E000000777"), encoding="ascii")
    refused = run_cli(app, "billing", "eligibility", "import-271", str(stranger), "--json")
    assert refused.exit_code != 0 and "never sent" in refused.output

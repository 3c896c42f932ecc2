"""Charge capture and claims: encounters, lines and pointers, claim creation, the state machine,
corrections and voids, the ledger, the Today queue, the events billing publishes and demo data."""
from __future__ import annotations

import datetime as dt
import random

import pytest
from billing_setup import database, encounter_with_charges, practice
from event_setup import subscriber_module
from medoffice import DemoContext, events, settings
from medoffice.db import transaction, utcnow
from medoffice.events.registry import event_types
from medoffice.models import AuditEvent, Patient, StaffMember
from medoffice.testing import practice_today

from medoffice_billing import claims, encounters, scrubber
from medoffice_billing import event_types as event_types_module
from medoffice_billing.claims import ClaimError
from medoffice_billing.encounters import ChargeError
from medoffice_billing.models import (Claim, ClaimDiagnosis, ClaimEvent, ClaimLine, Coverage, Diagnosis, Encounter,
                                      LineTransaction, Payer, ServiceLine)


def ledger_total(**where) -> int:
    query = LineTransaction.select()
    for name, value in where.items():
        query = query.where(getattr(LineTransaction, name) == value)
    return sum(t.amount_cents for t in query)


# --- Charge entry (web) ---------------------------------------------------------------------------

def test_charge_entry_through_the_pages(app, client_as):
    with database(app):
        records = practice()
        patient_id = records["patient"].id
    desk = client_as("front_desk")
    day = (practice_today() - dt.timedelta(days=2)).isoformat()
    bad = desk.post("/billing/encounters/new", data={"account_number": "NOPE", "service_date": day,
                                                    "place_of_service": "11", "rendering_provider_id": "0"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "No patient has that account number." in page and "Choose the provider who saw the patient." in page

    created = desk.post("/billing/encounters/new", data={
        "account_number": "p0000001", "service_date": day, "place_of_service": "11",
        "location_id": str(records["location"].id), "rendering_provider_id": str(records["provider"].id),
        "referring_provider_id": "0"})
    assert created.status_code == 302
    url = created.headers["Location"]
    encounter_id = int(url.rsplit("/", 1)[1])

    htmx = {"HX-Request": "true"}
    wrong = desk.post(f"{url}/diagnoses", data={"dx-code": "12345"}, headers=htmx)
    assert wrong.status_code == 422
    assert "is not an ICD-10-CM code" in wrong.get_data(as_text=True)
    fragment = desk.post(f"{url}/diagnoses", data={"dx-code": "e11.9"}, headers=htmx)
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and 'id="charges"' in text and "E11.9" in text

    # The charge defaults from the fee schedule when the code is typed (hx-get) and when left blank.
    lookup = desk.get(f"{url}/fee", query_string={"new-code": "99213", "new-units": "2"})
    assert lookup.status_code == 200 and 'value="240.00"' in lookup.get_data(as_text=True)
    added = desk.post(f"{url}/lines", data={"new-code": "99213", "new-modifiers": "25", "new-units": "2",
                                            "new-charge": "", "new-pointers": "1"}, headers=htmx)
    assert added.status_code == 200
    outside = desk.post(f"{url}/lines", data={"new-code": "36415", "new-units": "1", "new-pointers": "1,2"},
                        headers=htmx)
    assert outside.status_code == 422
    assert "Diagnosis 2 does not exist: the encounter has 1." in outside.get_data(as_text=True)
    bad_modifier = desk.post(f"{url}/lines", data={"new-code": "36415", "new-modifiers": "XYZ", "new-units": "1",
                                                   "new-pointers": "1"}, headers=htmx)
    assert bad_modifier.status_code == 422 and "is not a modifier" in bad_modifier.get_data(as_text=True)

    with database(app):
        line = ServiceLine.get(ServiceLine.encounter == encounter_id)
        assert (line.code, line.modifiers, line.units, line.charge_cents, line.pointers) == ("99213", ["25"], 2, 24000, [1])
        assert line.control_number.startswith("L") and line.patient_id == patient_id
    edited = desk.post(f"{url}/lines/{line.id}", data={f"line{line.id}-code": "99213", f"line{line.id}-units": "1",
                                                       f"line{line.id}-charge": "130.00", f"line{line.id}-pointers": "1"},
                       headers=htmx)
    assert edited.status_code == 200
    with database(app):
        line = ServiceLine.get_by_id(line.id)
        assert (line.units, line.charge_cents, line.modifiers) == (1, 13000, [])
        actions = [e.action for e in AuditEvent.select().where(AuditEvent.patient_id == patient_id).order_by(AuditEvent.seq)]
    assert actions[:4] == ["billing.encounter.create", "billing.diagnosis.add", "billing.line.add", "billing.line.update"]


def test_front_desk_cannot_create_claims_or_change_payers(app, client_as):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records)
    desk = client_as("front_desk")
    assert desk.post(f"/billing/encounters/{encounter.id}/claims", data={"rank": "1"}).status_code == 403
    assert desk.get("/billing/payers/new").status_code == 403
    assert desk.get("/billing/claims?sort=service_date").status_code == 200
    auditor = client_as("auditor")
    assert auditor.get(f"/billing/encounters/{encounter.id}").status_code == 200
    assert auditor.post(f"/billing/encounters/{encounter.id}/lines", data={"new-code": "99213"}).status_code == 403


def test_removing_a_diagnosis_moves_the_pointers(app):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records)
        encounters.add_diagnosis(encounter, "I10")
        encounters.add_diagnosis(encounter, "J06.9")
        line = encounters.add_line(encounter, {"code": "36415", "units": 1, "pointers": [1, 3]})
        only_first = ServiceLine.get((ServiceLine.encounter == encounter) & (ServiceLine.code == "99213"))
        with pytest.raises(ChargeError, match="points only at diagnosis 1"):
            encounters.remove_diagnosis(encounter, 1)
        encounters.remove_diagnosis(encounter, 2)
        assert [d.code for d in encounters.diagnoses(encounter)] == ["E119", "J069"]
        assert ServiceLine.get_by_id(line.id).pointers == [1, 2]
        assert ServiceLine.get_by_id(only_first.id).pointers == [1]
        with pytest.raises(ChargeError, match="already on this encounter"):
            encounters.add_diagnosis(encounter, "E119")
        for code in ["A00", "A01", "A02", "A03", "A04", "A05", "A06", "A07", "A08", "A09"]:
            encounters.add_diagnosis(encounter, code)
        with pytest.raises(ChargeError, match="at most 12"):
            encounters.add_diagnosis(encounter, "B00")


# --- Claims --------------------------------------------------------------------------------------------

def test_claim_creation_posts_charges_and_refuses_duplicates(app):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records, codes=("99213", "36415"))
        assert ledger_total() == 0  # an open encounter is not on the ledger yet
        claim = claims.create_claim(encounter)
        assert claim.claim_number.startswith("C") and len(claim.claim_number) <= 20
        assert (claim.status, claim.frequency_code, claim.responsibility) == ("draft", "1", "P")
        assert claim.total_charge_cents == 13500 and claim.scrub_errors == 0
        assert claim.payer_id == records["payer"].id and claim.coverage_id == records["coverage"].id
        assert [(l.line_number, l.code, l.charge_cents) for l in claims.claim_lines(claim)] == [
            (1, "99213", 12000), (2, "36415", 1500)]
        assert ledger_total(kind="charge", party="insurance") == 13500
        assert Encounter.get_by_id(encounter.id).status == "posted"
        assert [(e.action, e.to_status) for e in claims.history(claim)] == [("created", "draft")]
        with pytest.raises(ClaimError, match="already bills this encounter"):
            claims.create_claim(encounter)
        with pytest.raises(ClaimError, match="no secondary coverage"):
            claims.create_claim(encounter, rank=2)


def test_claim_needs_coverage_in_force(app):
    with database(app):
        records = practice()
        Coverage.update(end_date=dt.date(2001, 1, 1)).execute()
        encounter = encounter_with_charges(records)
        with pytest.raises(ClaimError, match="no primary coverage in force"):
            claims.create_claim(encounter)


def test_state_machine_records_who_when_and_why(app):
    with database(app):
        records = practice()
        claim = claims.create_claim(encounter_with_charges(records))
        with pytest.raises(ClaimError, match="cannot become paid"):
            claims.transition(claim, "paid")
        claim = claims.mark_ready(claim)
        claim = claims.transition(claim, "submitted")
        assert claim.submitted_at is not None
        with pytest.raises(ClaimError, match="Say why"):
            claims.transition(claim, "denied")
        claim = claims.transition(claim, "denied", "CO-197 no authorization", payer_claim_number="PCN-77")
        claim = claims.transition(claim, "appealed", "Sent the authorization letter")
        claim = claims.transition(claim, "paid", "")
        claim = claims.transition(claim, "closed", "Paid in full")
        with pytest.raises(ClaimError, match="cannot become"):
            claims.transition(claim, "draft", "reopen")
        trail = [(e.from_status, e.to_status, e.reason, e.username) for e in claims.history(claim)
                 if e.action == "status"]
        assert trail == [("draft", "ready", "", "system"), ("ready", "submitted", "", "system"),
                         ("submitted", "denied", "CO-197 no authorization", "system"),
                         ("denied", "appealed", "Sent the authorization letter", "system"),
                         ("appealed", "paid", "", "system"), ("paid", "closed", "Paid in full", "system")]
        assert Claim.get_by_id(claim.id).payer_claim_number == "PCN-77"
        audited = AuditEvent.select().where((AuditEvent.action == "billing.claim.status")
                                            & (AuditEvent.patient_id == records["patient"].id)).count()
        assert audited == 6


def test_mark_ready_only_when_the_scrubber_passes_and_not_on_hold(app):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records)
        Encounter.update(rendering_provider_id=None).execute()
        claim = claims.create_claim(Encounter.get_by_id(encounter.id))
        assert claim.scrub_errors == 1
        with pytest.raises(ClaimError, match="scrubber found 1 problem"):
            claims.mark_ready(claim)
        encounters.update_encounter(Encounter.get_by_id(encounter.id), {"rendering_provider_id": records["provider"].id})
        assert Claim.get_by_id(claim.id).scrub_errors == 0
        claim = claims.hold(claim, "Waiting for the visit note")
        with pytest.raises(ClaimError, match="on hold"):
            claims.mark_ready(claim)
        claim = claims.mark_ready(claims.release(claim))
        assert claim.status == "ready"
        claim = claims.hold(claim, "Patient disputes the visit")
        assert (claim.status, claim.on_hold) == ("draft", True)
        actions = [e.action for e in claims.history(claim)]
        assert actions == ["created", "hold", "release", "status", "hold", "status"]


def test_a_ready_claim_falls_back_to_draft_when_charges_break_it(app):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records)
        claim = claims.mark_ready(claims.create_claim(encounter))
        line = encounters.lines(encounter)[0]
        encounters.update_line(line, {"code": "99213", "units": 1, "charge_cents": 9900, "pointers": [1]})
        claim = Claim.get_by_id(claim.id)
        assert claim.status == "ready" and claim.total_charge_cents == 9900  # a warning only
        ServiceLine.update(pointer1=4).execute()
        encounters.update_encounter(encounter, {"prior_authorization": "AUTH1"})
        claim = Claim.get_by_id(claim.id)
        assert claim.status == "draft" and claim.scrub_errors == 1
        assert "scrubber found problems" in claims.history(claim)[-1].reason


def test_submitted_claims_lock_the_charges_until_corrected(app):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records)
        claim = claims.transition(claims.mark_ready(claims.create_claim(encounter)), "submitted")
        with pytest.raises(ChargeError, match="is submitted"):
            encounters.add_line(encounter, {"code": "36415", "units": 1, "pointers": [1]})
        with pytest.raises(ClaimError, match="wait for the payer"):
            claims.correct(claim, "wrong level")
        claim = claims.transition(claim, "paid", "", payer_claim_number="PAYER-1")
        replacement = claims.correct(claim, "Add the blood draw")
        assert (replacement.frequency_code, replacement.original_claim_id, replacement.payer_claim_number) == (
            "7", claim.id, "PAYER-1")
        encounters.add_line(encounter, {"code": "36415", "units": 1, "pointers": [1]})
        replacement = Claim.get_by_id(replacement.id)
        assert replacement.total_charge_cents == 13500 and Claim.get_by_id(claim.id).total_charge_cents == 12000
        with pytest.raises(ClaimError, match="already corrects or voids"):
            claims.correct(claim, "again")
        replacement = claims.transition(claims.mark_ready(replacement), "submitted")
        original = Claim.get_by_id(claim.id)
        assert original.status == "closed"
        assert claims.history(original)[-1].reason == f"Replaced by claim {replacement.claim_number}."
        assert ledger_total(kind="charge") == 13500


def test_void_closes_unsent_claims_and_sends_a_void_for_paid_ones(app):
    with database(app):
        records = practice()
        draft = claims.create_claim(encounter_with_charges(records))
        closed = claims.void(draft, "Entered twice")
        assert closed.status == "closed" and "Entered twice" in claims.history(closed)[-1].reason
        paid_claim = claims.create_claim(encounter_with_charges(records, day=settings.today() - dt.timedelta(days=9)))
        paid_claim = claims.transition(claims.transition(claims.mark_ready(paid_claim), "submitted"), "paid")
        voiding = claims.void(paid_claim, "Billed the wrong payer")
        assert voiding.frequency_code == "8" and voiding.original_claim_id == paid_claim.id
        assert voiding.scrub_errors == 1  # the payer's claim number is needed first
        voiding = claims.set_payer_claim_number(voiding, "PAY-9")
        assert voiding.scrub_errors == 0
        assert [l.charge_cents for l in claims.claim_lines(voiding)] == [12000]
        claims.transition(claims.mark_ready(voiding), "submitted")
        assert Claim.get_by_id(paid_claim.id).status == "closed"


def test_secondary_claims_wait_for_the_primary_payer(app):
    with database(app):
        records = practice()
        second = Payer.create(name="Second Payer", payer_id="SEC01")
        Coverage.create(patient_id=records["patient"].id, payer=second, rank=2, member_id="S1",
                        effective_date=dt.date(2010, 1, 1))
        encounter = encounter_with_charges(records)
        primary = claims.create_claim(encounter)
        with pytest.raises(ClaimError, match="Bill the primary payer first"):
            claims.create_claim(encounter, rank=2)
        claims.transition(claims.transition(claims.mark_ready(primary), "submitted"), "paid")
        secondary = claims.create_claim(encounter, rank=2)
        assert (secondary.responsibility, secondary.payer_id) == ("S", second.id)


def test_the_ledger_follows_charge_changes(app):
    with database(app):
        records = practice()
        encounter = encounter_with_charges(records, codes=("99213", "36415"))
        claims.create_claim(encounter)
        first, second = encounters.lines(encounter)
        encounters.update_line(first, {"code": "99213", "units": 1, "charge_cents": 15000, "pointers": [1]})
        encounters.remove_line(ServiceLine.get_by_id(second.id))
        assert ledger_total(kind="charge") == 15000
        assert ledger_total(service_line=second.id) == 0
        assert ServiceLine.get_by_id(second.id).active is False
        memos = [t.memo for t in LineTransaction.select().where(LineTransaction.service_line == first.id)
                 .order_by(LineTransaction.id)]
        assert memos == ["charge", "charge changed"]


def test_self_pay_charges_move_to_insurance_when_billed(app, client_as):
    with database(app):
        records = practice()
        Coverage.delete().execute()
        encounter = encounter_with_charges(records)
    billing = client_as("billing")
    assert billing.post(f"/billing/encounters/{encounter.id}/post").status_code == 302
    with database(app):
        assert ledger_total(party="patient") == 12000
        Coverage.create(patient_id=records["patient"].id, payer=records["payer"], rank=1, member_id="M9",
                        effective_date=dt.date(2000, 1, 1))
    created = billing.post(f"/billing/encounters/{encounter.id}/claims", data={"rank": "1"})
    assert created.status_code == 302 and "/billing/claims/" in created.headers["Location"]
    with database(app):
        assert ledger_total(party="patient") == 0 and ledger_total(party="insurance") == 12000
        assert ledger_total(kind="charge") == 12000


# --- The claim page and the worklists ---------------------------------------------------------------

def test_claim_page_actions_and_today_queue(app, client_as):
    with database(app):
        records = practice()
        claim = claims.create_claim(encounter_with_charges(records))
        broken = claims.create_claim(encounter_with_charges(records, day=settings.today() - dt.timedelta(days=5),
                                                            codes=("36415",)))
        Encounter.update(place_of_service="00").where(Encounter.id == broken.encounter_id).execute()
        claims.refresh_open_claims(Encounter.get_by_id(broken.encounter_id))
    biller = client_as("billing")
    page = biller.get(f"/billing/claims/{claim.id}")
    assert page.status_code == 200 and "The scrubber found nothing to fix." in page.get_data(as_text=True)
    assert biller.post(f"/billing/claims/{claim.id}/ready").status_code == 302
    refused = biller.post(f"/billing/claims/{broken.id}/ready", follow_redirects=True)
    assert "The scrubber found 1 problem" in refused.get_data(as_text=True)

    today = biller.get("/today").get_data(as_text=True)
    assert "Claim ready to submit" in today and "Claim with scrubber errors" in today
    listing = biller.get("/billing/claims?status=ready&sort=service_date&desc=1").get_data(as_text=True)
    assert claim.claim_number in listing and broken.claim_number not in listing
    problems = biller.get("/billing/claims?status=problems&sort=service_date").get_data(as_text=True)
    assert broken.claim_number in problems and claim.claim_number not in problems

    desk = client_as("front_desk")  # sees charges, not the claims queue
    assert "Claim ready to submit" not in desk.get("/today").get_data(as_text=True)
    assert biller.post(f"/billing/claims/{claim.id}/status", data={"to_status": "submitted"}).status_code == 302
    with database(app):
        assert Claim.get_by_id(claim.id).status == "submitted"
        user_id = AuditEvent.select().where(AuditEvent.action == "billing.claim.status").order_by(
            AuditEvent.seq.desc()).get().user_id
    assert biller.post(f"/billing/claims/{claim.id}/assign", data={"user_id": str(user_id)}).status_code == 302
    mine = biller.get("/billing/claims?status=all&mine=1&sort=service_date").get_data(as_text=True)
    assert claim.claim_number in mine and broken.claim_number not in mine
    history = biller.get(f"/billing/claims/{claim.id}").get_data(as_text=True)
    assert "moved it from ready to submit to submitted" in history and "assigned" in history


def test_submitting_needs_the_submit_permission(app, client_as):
    with database(app):
        records = practice()
        claim = claims.mark_ready(claims.create_claim(encounter_with_charges(records)))
        from medoffice.models import Role, RolePermission

        billing_role = Role.get(Role.name == "billing")
        RolePermission.delete().where((RolePermission.role == billing_role)
                                      & (RolePermission.permission == "billing.claims.submit")).execute()
    biller = client_as("billing")
    assert biller.post(f"/billing/claims/{claim.id}/status", data={"to_status": "submitted"}).status_code == 403
    with database(app):
        assert Claim.get_by_id(claim.id).status == "ready"


# --- Events for other plugins ---------------------------------------------------------------------

def test_billing_publishes_its_event_types(make_app):
    received = []

    def billing_payment_posted(amount_cents, patient_id, reference):
        received.append((amount_cents, patient_id, reference))

    app = make_app(extra=[subscriber_module("books", {"billing.payment_posted": billing_payment_posted})])
    with database(app):
        with transaction():
            events.publish("billing.payment_posted", dict(
                transaction_id=1, patient_id=7, payer_id=2, claim_id=3, amount_cents=4500, party="insurance",
                method="eft", effective_date=dt.date(2026, 1, 5), posted_at=utcnow(), reference="EFT123",
                reverses_transaction_id=None, location_id=None))
        assert received == [(4500, 7, "EFT123")]
        types = event_types()
        for name in ("billing.payment_posted", "billing.adjustment_posted", "billing.refund_posted"):
            assert types.get(name).description
    assert event_types_module.REFUND_POSTED.description


# --- Demo data ---------------------------------------------------------------------------------------------

def _demo_people(count: int) -> None:
    settings.set_many({"core.practice_npi": "1234567893"})
    StaffMember.create(first_name="Ada", last_name="Quill", is_provider=True, npi="1245319599", taxonomy="207Q00000X")
    for n in range(count):
        Patient.create(account_number=f"D{n:06d}", first_name=f"Pat{n}", last_name="Demo",
                       date_of_birth=dt.date(1950 + n % 60, 1 + n % 12, 1 + n % 28), sex="FM"[n % 2],
                       address1=f"{n} Oak Street", city="Springfield", state="IL", zip="62701")


def test_small_demo_has_claims_in_every_state(app):
    with database(app):
        _demo_people(40)
        plugin = app.extensions["medoffice"].host
        plugin.call_for("billing", "medoffice_demo_data",
                        ctx=DemoContext("small", random.Random(7), settings.today()))
        assert Payer.select().count() == 6 and Payer.select().where(Payer.electronic == False).count() == 1  # noqa: E712
        states = {c.status for c in Claim.select(Claim.status)}
        assert states == set(claims.STATE_LABELS)
        assert Claim.select().where(Claim.frequency_code == "7").exists()
        assert Claim.select().where(Claim.frequency_code == "8").exists()
        assert Claim.select().where((Claim.status == "ready") & (Claim.scrub_errors == 0)).count() >= 3
        assert Claim.select().where((Claim.status == "draft") & (Claim.scrub_errors > 0)).count() >= 2
        assert Coverage.select(Coverage.patient_id).distinct().count() >= 25
        assert ledger_total(kind="payment") < 0 and ledger_total(party="patient") >= 0
        assert settings.get("core.zip") == "62701-1234"


def test_small_demo_without_patients_creates_reference_data_only(app):
    with database(app):
        app.extensions["medoffice"].host.call_for(
            "billing", "medoffice_demo_data", ctx=DemoContext("small", random.Random(1), settings.today()))
        assert Payer.select().count() == 6 and Encounter.select().count() == 0 and Coverage.select().count() == 0


def test_large_demo_bulk_path(app, monkeypatch):
    from medoffice_billing import demo

    monkeypatch.setattr(demo.LargeDemo, "TARGET_LINES", 900)
    monkeypatch.setattr(demo.LargeDemo, "PATIENTS_PER_SLICE", 40)
    with database(app):
        _demo_people(100)
        app.extensions["medoffice"].host.call_for(
            "billing", "medoffice_demo_data", ctx=DemoContext("large", random.Random(3), settings.today()))
        lines = ServiceLine.select().count()
        assert 900 <= lines <= 930
        years = {d.year for (d,) in ServiceLine.select(ServiceLine.service_date).tuples()}
        assert len(years) >= 5
        assert ledger_total(kind="charge") == sum(l.charge_cents for l in ServiceLine.select())
        assert ClaimLine.select().count() == ServiceLine.select().join(Encounter).join(
            Claim, on=(Claim.encounter == Encounter.id)).count()
        assert Diagnosis.select().count() > 0 and ClaimEvent.select().count() >= Claim.select().count()
        # Each claim bills its encounter's diagnoses and each line its pointers, so ready claims scrub clean.
        billed = {(d.claim_id, d.position, d.code) for d in ClaimDiagnosis.select()}
        coded = {(c.id, d.position, d.code) for c in Claim.select() for d in Diagnosis.select().where(
            Diagnosis.encounter == c.encounter_id)}
        assert billed == coded
        assert all(cl.pointers == cl.service_line.pointers for cl in ClaimLine.select())
        ready = Claim.select().where(Claim.status.in_(("draft", "ready")))
        coding = [p for c in ready for p in scrubber.scrub(c) if p.section in ("diagnoses", "lines")]
        assert ready.count() > 0 and coding == []
        controls = [c for (c,) in ServiceLine.select(ServiceLine.control_number).tuples()]
        assert len(set(controls)) == len(controls)
        # The id sequences continue after the bulk ids (PostgreSQL needs them reset).
        records = practice(account="P9999999")
        extra = encounter_with_charges(records)
        claim = claims.create_claim(extra)
        assert claim.id > max(c.id for c in Claim.select().where(Claim.id != claim.id))

"""A claim keeps what it billed: diagnoses and pointers edited on the encounter after a claim went out
do not change that claim's 837P or CMS-1500, while a corrected claim bills the encounter as it is now."""
from __future__ import annotations

import datetime as dt
import re

from billing_setup import database, practice
from medoffice import settings
from medoffice.migrate import runner_for
from remit_setup import pyx12_errors

from medoffice_billing import claims, cms1500, encounters, export837, scrubber, x12
from medoffice_billing.export837 import export
from medoffice_billing.models import Claim, ClaimDiagnosis, Encounter
from medoffice_billing.x12 import tokenize

CLEARINGHOUSE = {"billing.x12_sender_id": "PRACTICE01", "billing.x12_receiver_id": "CLEARHOUSE",
                 "billing.x12_receiver_name": "Test Clearinghouse", "billing.x12_submitter_id": "PRACTICE01",
                 "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100"}
SNAPSHOT_MIGRATION = "0005_claim_diagnosis_snapshot_and_msp_type"


def visit(records) -> Encounter:
    """Diabetes and hypertension: the visit points at both, the blood draw at the second."""
    encounter = encounters.create_encounter(records["patient"].id, {
        "service_date": settings.today() - dt.timedelta(days=3), "place_of_service": "11",
        "location_id": records["location"].id, "rendering_provider_id": records["provider"].id})
    for code in ("E11.9", "I10"):
        encounters.add_diagnosis(encounter, code)
    for code, pointers in (("99213", [1, 2]), ("36415", [2])):
        encounters.add_line(encounter, {"code": code, "modifiers": [], "units": 1, "charge_cents": None,
                                        "pointers": pointers})
    return Encounter.get_by_id(encounter.id)


def recode(encounter: Encounter) -> None:
    """After the fact: hypertension was wrong and a vaccine encounter code joins (E11.9, Z23); the visit
    points at both, the blood draw at the diabetes."""
    encounters.add_diagnosis(encounter, "Z23")
    visit_line, draw = encounters.lines(encounter)
    encounters.update_line(draw, {"code": "36415", "units": 1, "charge_cents": None, "pointers": [1]})
    encounters.update_line(visit_line, {"code": "99213", "units": 1, "charge_cents": None, "pointers": [1, 3]})
    encounters.remove_diagnosis(encounter, 2)  # Z23 moves up to 2, and the visit's pointer with it


def three_diagnoses(records) -> Encounter:
    """A cold with a cough and a vaccine: one visit line pointing at all three, out of order."""
    encounter = encounters.create_encounter(records["patient"].id, {
        "service_date": settings.today() - dt.timedelta(days=5), "place_of_service": "11",
        "location_id": records["location"].id, "rendering_provider_id": records["provider"].id})
    for code in ("J06.9", "R05.9", "Z23"):
        encounters.add_diagnosis(encounter, code)
    encounters.add_line(encounter, {"code": "99213", "modifiers": [], "units": 1, "charge_cents": None,
                                    "pointers": [3, 1, 2]})
    return Encounter.get_by_id(encounter.id)


def segments(text: str, tag: str) -> list[list[str]]:
    return [s for s in tokenize(text)[0] if s[0] == tag]


def claim_837(claim: Claim) -> str:
    """The 837P the app builds for ``claim`` now (as a re-sent or re-printed claim would be)."""
    facts = scrubber.gather(Claim.get_by_id(claim.id))
    form = export837.to_x12(facts, export837.PriorPayers([facts.claim]))
    interchange, submitter, receiver, usage = export837.envelope()
    return x12.build_837p(interchange, submitter, receiver, {export837.billing_provider(): [form]},
                          interchange_control_number=7, group_control_number=7, transaction_control_number=7,
                          usage_indicator=usage, created=dt.datetime(2026, 1, 5, 12, 0))


def cms1500_page(claim: Claim) -> cms1500.FormPage:
    facts = scrubber.gather(Claim.get_by_id(claim.id))
    form = export837.to_x12(facts, export837.PriorPayers([facts.claim]))
    return cms1500.form_pages(form, export837.billing_provider(), [], "")[0]


def billed(text: str) -> tuple[list[str], list[str]]:
    """(HI codes, SV107 of each line) of a one-claim 837P."""
    return segments(text, "HI")[0][1:], [s[7] for s in segments(text, "SV1")]


def test_the_claim_page_shows_the_pointers_the_claim_billed(app, client_as):
    with database(app):
        encounter = visit(practice())
        original = claims.transition(claims.mark_ready(claims.create_claim(encounter)), "submitted")
        claims.correct(claims.transition(original, "accepted"), "Recode.")
        recode(encounter)
    page = client_as("billing").get(f"/billing/claims/{original.id}").get_data(as_text=True)
    rows = [re.findall(r"<td[^>]*>([^<]*)", row) for row in page.split("<tr>") if "<td>99213" in row or "<td>36415" in row]
    assert [(cells[1].strip(), cells[6].strip()) for cells in rows] == [("99213", "1, 2"), ("36415", "2")]


def test_a_sent_claim_keeps_its_diagnoses_and_a_correction_bills_the_new_ones(app, tmp_path):
    with database(app):
        records = practice()
        settings.set_many(CLEARINGHOUSE)
        encounter = visit(records)
        original = claims.mark_ready(claims.create_claim(encounter))
        sent = export(out=tmp_path / "original.x12").batch
        original = claims.transition(original, "accepted", payer_claim_number="ICN-555")
        replacement = claims.correct(original, "Hypertension was coded in error; add the vaccine encounter.")
        recode(encounter)  # the correction unlocked the charges

        as_sent = (["ABK:E119", "ABF:I10"], ["1:2", "2"])
        text = claim_837(original)
        assert pyx12_errors(text) == []
        assert billed(text) == as_sent == billed(bytes(sent.content).decode("ascii"))
        page = cms1500_page(original)
        assert (page.items["21A"], page.items["21B"], "21C" in page.items) == ("E11.9", "I10", False)
        assert [line.pointers for line in page.lines] == ["AB", "B"]

        replacement = claims.mark_ready(Claim.get_by_id(replacement.id))
        corrected = (tmp_path / "corrected.x12")
        assert export(out=corrected).claim_count == 1
        text = corrected.read_text(encoding="ascii")
        assert pyx12_errors(text) == []
        assert billed(text) == (["ABK:E119", "ABF:Z23"], ["1:2", "1"])
        assert segments(text, "CLM")[0][5] == "11:B:7" and ["REF", "F8", "ICN-555"] in segments(text, "REF")
        page = cms1500_page(replacement)
        assert (page.items["21A"], page.items["21B"]) == ("E11.9", "Z23")
        assert [line.pointers for line in page.lines] == ["AB", "A"]
        # The original still reads as sent, now that it is closed by its replacement.
        assert Claim.get_by_id(original.id).status == "closed"
        assert billed(claim_837(original)) == as_sent


def test_a_void_bills_what_the_original_billed_not_the_edited_encounter(app):
    with database(app):
        records = practice()
        encounter = visit(records)
        original = claims.transition(claims.transition(claims.mark_ready(claims.create_claim(encounter)),
                                                       "submitted"), "paid", payer_claim_number="ICN-9")
        replacement = claims.correct(original, "Recode the visit.")
        recode(encounter)
        claims.transition(replacement, "closed", "Billed to the wrong payer after all: void instead.")
        voiding = claims.void(original, "Billed to the wrong payer.")
        assert [d.code for d in claims.claim_diagnoses(voiding)] == ["E119", "I10"]
        assert [l.pointers for l in claims.claim_lines(voiding)] == [[1, 2], [2]]


def test_an_open_claim_follows_the_encounter_and_a_rejected_one_does_on_reopening(app):
    with database(app):
        records = practice()
        encounter = visit(records)
        claim = claims.create_claim(encounter)
        encounters.add_diagnosis(encounter, "Z23")
        assert [d.code for d in claims.claim_diagnoses(claim)] == ["E119", "I10", "Z23"]
        claim = claims.transition(claims.transition(claims.mark_ready(claim), "submitted"), "rejected",
                                  "Clearinghouse: diagnosis I10 does not support the blood draw.")
        encounters.update_line(encounters.lines(encounter)[1], {"code": "36415", "units": 1, "charge_cents": None,
                                                                "pointers": [1]})
        assert [l.pointers for l in claims.claim_lines(claim)] == [[1, 2], [2]]  # rejected: as it was sent
        claim = claims.transition(claim, "draft", "Fixed the pointer; send it again.")
        assert [l.pointers for l in claims.claim_lines(claim)] == [[1, 2], [1]]
        assert claim.scrub_errors == 0


def test_the_migration_fills_existing_claims_from_their_encounters(app):
    """Undo and redo the migration on claims in every state: each one gets its encounter's data back."""
    with database(app):
        records = practice()
        draft = claims.create_claim(visit(records))
        sent = claims.transition(claims.mark_ready(claims.create_claim(three_diagnoses(records))), "submitted")
        expected = {c.id: ([d.code for d in claims.claim_diagnoses(c)], [l.pointers for l in claims.claim_lines(c)])
                    for c in (draft, sent)}
        runner = runner_for(app.extensions["medoffice"].host.plugins["billing"])
        assert SNAPSHOT_MIGRATION in runner.down(target=SNAPSHOT_MIGRATION)
        assert SNAPSHOT_MIGRATION in runner.up()
        for claim in (draft, sent):
            assert ([d.code for d in claims.claim_diagnoses(claim)],
                    [l.pointers for l in claims.claim_lines(claim)]) == expected[claim.id]
        assert ClaimDiagnosis.select().count() == 5

"""Creating claims costs the same on a long ledger as on a short one: the same statements for a primary and
a secondary claim after three times the history, none of them reading a large table whole or through an
index that does not narrow it to the patient (a five-year ledger made one such read take over a second per
claim); and the secondary claims an 835 calls for are created together, in statements that do not grow
with their number."""
from __future__ import annotations

from accounts_setup import adjudicate, days_ago, new_patient
from billing_setup import database, encounter_with_charges, practice
from medoffice.db import db, is_sqlite
from medoffice.testing import count_queries

from medoffice_billing import claims
from medoffice_billing.models import Claim, ClaimEvent, Coverage, Payer

LARGE_TABLES = ("billing_line_transaction", "billing_service_line", "billing_claim", "billing_claim_line",
                "billing_encounter", "billing_diagnosis", "billing_claim_diagnosis", "billing_claim_event",
                "core_patient", "core_audit_event")
# Indexes that do not narrow a read to a patient, an encounter or a claim: on a five-year ledger each
# leads to hundreds of thousands of rows.
UNSELECTIVE = ("linetransaction_kind_effective_date",)


def history(records: dict, second_payer: Payer, visits: int) -> None:
    """``visits`` more claims for the practice's patient and for as many other patients, each paid, with a
    secondary policy and its claim too."""
    for _ in range(visits):
        for patient in (records["patient"], new_patient()):
            local = dict(records, patient=patient)
            if patient.id != records["patient"].id:
                Coverage.create(patient_id=patient.id, payer=records["payer"], rank=1, member_id=f"M{patient.id}",
                                effective_date=days_ago(4000))
            if not Coverage.select().where((Coverage.patient_id == patient.id) & (Coverage.rank == 2)).exists():
                Coverage.create(patient_id=patient.id, payer=second_payer, rank=2, member_id=f"S{patient.id}",
                                effective_date=days_ago(4000))
            primary = claims.create_claim(encounter_with_charges(local, days_ago(30), ("99213", "36415")))
            adjudicate(primary, 8000, 2000, 2000, days_ago(10))
            claims.create_claim(primary.encounter, rank=2)


def bill_new_visit(records: dict) -> tuple[list, list]:
    """The statements of billing a new visit to the primary payer, then (once paid) to the secondary."""
    encounter = encounter_with_charges(records, days_ago(5), ("99213", "36415"))
    with count_queries() as primary_sql:
        primary = claims.create_claim(encounter)
    adjudicate(primary, 8000, 2000, 2000, days_ago(1))
    with count_queries() as secondary_sql:
        claims.create_claim(encounter, rank=2)
    return primary_sql, secondary_sql


def plans(statements) -> list[str]:
    """SQLite's plan of every read, one line per step, prefixed with the start of the statement."""
    found = []
    for sql in statements:
        if sql.lstrip().upper().startswith("SELECT"):
            for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, sql.params).fetchall():
                found.append(f"{row[-1]}  <-  {sql[:120]}")
    return found


def test_a_claim_costs_the_same_statements_on_a_longer_ledger(app):
    with database(app):
        records = practice()
        second = Payer.create(name="Second Mutual", payer_id="SEC01")
        Coverage.create(patient_id=records["patient"].id, payer=second, rank=2, member_id="S1",
                        effective_date=days_ago(4000))
        history(records, second, 2)
        short = bill_new_visit(records)
        history(records, second, 6)
        long = bill_new_visit(records)
        assert [len(s) for s in long] == [len(s) for s in short]
        if is_sqlite():  # its plans follow the schema alone (no statistics): a test database shows them
            bad = [step for step in plans(long[0] + long[1])
                   if any(f"SCAN {table}" in step.split("  <-  ")[0] for table in LARGE_TABLES)
                   or any(index in step.split("  <-  ")[0] for index in UNSELECTIVE)]
            assert bad == []


def test_an_835s_secondary_claims_are_made_together(app):
    """Twice the secondary claims in one go cost the same statements, and each is what create_claim makes."""
    with database(app):
        records = practice()
        second = Payer.create(name="Second Mutual", payer_id="SEC01")

        def paid_primaries(count: int) -> list[Claim]:
            made = []
            for _ in range(count):
                patient = new_patient()
                for rank, payer in ((1, records["payer"]), (2, second)):
                    Coverage.create(patient_id=patient.id, payer=payer, rank=rank, member_id=f"M{rank}{patient.id}",
                                    effective_date=days_ago(4000))
                primary = claims.create_claim(encounter_with_charges(dict(records, patient=patient), days_ago(20)))
                adjudicate(primary, 8000, 2000, 2000, days_ago(3))
                made.append(primary)
            return made

        costs = []
        for count in (2, 4):
            primaries = paid_primaries(count)
            wanted = [(p.encounter_id, 2) for p in primaries] + [(primaries[0].encounter_id, 2)]
            with count_queries() as seen:
                results = claims.create_claims(wanted)
            costs.append(len(seen))
            *made, repeat = results
            assert [c.responsibility for c in made] == ["S"] * count
            assert [c.payer_id for c in made] == [second.id] * count
            assert str(repeat) == f"Claim {made[0].claim_number} already bills this encounter to the secondary payer."
            for claim in made:
                assert claim.total_charge_cents == 12000 and claim.status == "draft" and claim.scrub_errors is not None
                assert [e.action for e in ClaimEvent.select().where(ClaimEvent.claim == claim.id)] == ["created"]
        assert costs[0] == costs[1]
        # A secondary before the primary payer decided is refused, saying why; the rest are still made.
        waiting = paid_primaries(1)[0]
        Claim.update(status="submitted").where(Claim.id == waiting.id).execute()
        refused, repeat = claims.create_claims([(waiting.encounter_id, 2), (primaries[1].encounter_id, 2)])
        assert isinstance(refused, claims.ClaimError) and "Bill the primary payer first" in str(refused)
        assert isinstance(repeat, claims.ClaimError) and "already bills" in str(repeat)

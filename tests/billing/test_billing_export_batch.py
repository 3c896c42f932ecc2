"""837P export of a batch: each claim is scrubbed exactly as it would be alone, every claim sent gets its history
and audit entry (a replacement closes its original), and a bigger batch costs no more queries than a small one."""
from __future__ import annotations

import datetime as dt
import json

from billing_setup import BAD_NPI, database, encounter_with_charges, practice
from medoffice import settings
from medoffice.db import db
from medoffice.models import AuditEvent, StaffMember
from remit_setup import pyx12_errors

from medoffice_billing import claims, scrubber
from medoffice_billing.export837 import export
from medoffice_billing.models import Claim, ClaimEvent
from medoffice_billing.reference import import_codes

CLEARINGHOUSE = {"billing.x12_sender_id": "PRACTICE01", "billing.x12_receiver_id": "CLEARHOUSE",
                 "billing.x12_receiver_name": "Test Clearinghouse", "billing.x12_submitter_id": "PRACTICE01",
                 "billing.x12_contact_name": "Billing Office", "billing.x12_contact_phone": "2175550100"}


def ready_claim(records, codes=("99213",), day=None) -> Claim:
    return claims.mark_ready(claims.create_claim(encounter_with_charges(records, day, codes)))


def test_a_batch_finds_for_each_claim_exactly_what_scrubbing_it_alone_finds(app):
    with database(app):
        first, second, third = (practice(account=f"P000000{n}") for n in (1, 2, 3))
        settings.set_many(CLEARINGHOUSE)
        day = settings.today() - dt.timedelta(days=4)
        clean = claims.create_claim(encounter_with_charges(first, day, ("99213", "36415")))
        twice = claims.create_claim(encounter_with_charges(first, day, ("99213",)))  # bills the visit again
        other_day = claims.create_claim(encounter_with_charges(first, day - dt.timedelta(days=1)))
        bad_npi = claims.create_claim(encounter_with_charges(second, day))
        StaffMember.update(npi=BAD_NPI).where(StaffMember.id == second["provider"].id).execute()
        paid = claims.transition(claims.transition(claims.mark_ready(
            claims.create_claim(encounter_with_charges(third, day))), "submitted"), "paid",
            payer_claim_number="PAY-7")
        replacement = claims.correct(paid, "Add a modifier")
        import_codes("cpt", [("99213", "Visit")])  # 36415 is now unknown: a warning on its claim only
        batch = [clean, twice, other_day, bad_npi, replacement, paid]
        gathered = scrubber.gather_many([c.id for c in batch])
        for claim in batch:
            assert scrubber.check(gathered[claim.id]) == scrubber.scrub(Claim.get_by_id(claim.id)), claim.claim_number
        found = {c.claim_number: {p.field: p.message for p in scrubber.check(gathered[c.id])} for c in batch}
        assert twice.claim_number in found[clean.claim_number]["claim.duplicate"]
        assert clean.claim_number in found[twice.claim_number]["claim.duplicate"]
        assert "claim.duplicate" not in found[other_day.claim_number]
        assert "claim.duplicate" not in found[replacement.claim_number]  # its original is not a duplicate
        assert "providers.rendering_npi" in found[bad_npi.claim_number]
        assert "providers.rendering_npi" not in found[clean.claim_number]
        assert found[clean.claim_number]["lines.2.code"] == "36415 is not in the imported procedure code list."
        assert not [f for f in found[twice.claim_number] if f.startswith("lines.")]


def test_every_claim_of_a_batch_is_sent_with_its_history_and_a_replacement_closes_its_original(app, tmp_path):
    with database(app):
        first, second = practice(account="P0000001"), practice(account="P0000002")
        settings.set_many(CLEARINGHOUSE)
        day = settings.today() - dt.timedelta(days=6)
        paid = claims.transition(claims.transition(ready_claim(first, day=day), "submitted"), "paid",
                                 payer_claim_number="PAY-1")
        replacement = claims.mark_ready(claims.correct(paid, "Add the blood draw"))
        resent = claims.transition(claims.transition(ready_claim(second, day=day), "submitted"), "rejected",
                                   "Wrong member id")
        first_sent_at = Claim.get_by_id(resent.id).submitted_at
        resent = claims.mark_ready(claims.transition(resent, "draft"))
        fresh = ready_claim(second, codes=("36415",), day=day - dt.timedelta(days=1))
        audit_before = AuditEvent.select().count()

        result = export(out=tmp_path / "batch.x12")

        assert pyx12_errors((tmp_path / "batch.x12").read_text(encoding="ascii")) == []
        assert result.claim_count == 3 and not result.skipped
        sent = {c.id: c for c in Claim.select().where(Claim.id.in_([replacement.id, resent.id, fresh.id]))}
        assert {c.status for c in sent.values()} == {"submitted"}
        assert sent[resent.id].submitted_at == first_sent_at  # first sent, not last sent
        assert sent[fresh.id].submitted_at is not None and sent[fresh.id].scrub_errors == 0
        original = Claim.get_by_id(paid.id)
        assert original.status == "closed"
        assert claims.history(original)[-1].reason == f"Replaced by claim {replacement.claim_number}."
        for claim_id in sent:
            last = claims.history(Claim.get_by_id(claim_id))[-1]
            assert (last.from_status, last.to_status) == ("ready", "submitted")
            assert result.batch.file_name in last.reason
        moves = [(e.object_id, json.loads(e.detail)["from"], json.loads(e.detail)["to"], e.patient_id)
                 for e in AuditEvent.select().where((AuditEvent.action == "billing.claim.status")
                                                    & (AuditEvent.seq > audit_before)).order_by(AuditEvent.seq)]
        assert moves == [(str(replacement.id), "ready", "submitted", first["patient"].id),
                         (str(paid.id), "paid", "closed", first["patient"].id),
                         (str(resent.id), "ready", "submitted", second["patient"].id),
                         (str(fresh.id), "ready", "submitted", second["patient"].id)]
        assert ClaimEvent.select().where(ClaimEvent.reason.contains(result.batch.file_name)).count() == 3


def test_a_bigger_batch_costs_no_more_queries(app, tmp_path, monkeypatch):
    with database(app):
        records = practice()
        settings.set_many(CLEARINGHOUSE)
        ready_claim(records, day=settings.today() - dt.timedelta(days=30))
        export(out=tmp_path / "warm-up.x12")  # first use of the counters and the settings

        def statements_to_export(count: int, first_day: int) -> int:
            for n in range(count):
                ready_claim(records, day=settings.today() - dt.timedelta(days=first_day + n))
            executed = []
            real = db.obj.execute_sql
            monkeypatch.setattr(db.obj, "execute_sql", lambda sql, *args, **kw: executed.append(sql) or real(sql, *args, **kw))
            result = export(out=tmp_path / f"{count}.x12")
            monkeypatch.undo()
            assert result.claim_count == count
            return len(executed)

        assert statements_to_export(2, 1) == statements_to_export(7, 10)


def test_the_send_page_is_kept_until_a_claim_a_batch_or_a_payer_changes(app, client_as, tmp_path):
    """Send claims keeps its ready totals (billing.claims) and its history of batches (billing.batches): an unchanged
    view reads neither, and a change by plain SQL, as another process would write it, shows on the next view."""
    from medoffice.testing import reads_of, write_sql

    with database(app):
        settings.set_many(CLEARINGHOUSE)
        records = practice()
        ready_claim(records)
        export(out=tmp_path / "first.x12")
        waiting = claims.create_claim(encounter_with_charges(records, codes=("36415",)))
    biller = client_as("billing")
    url = "/billing/claims/export?sort=created_at&desc=1"
    page = biller.get(url).get_data(as_text=True)
    assert "1 batch" in page
    assert not reads_of(biller, url, ("billing_claim", "billing_claim_batch", "billing_payer"))
    with database(app):
        write_sql("UPDATE billing_claim SET status = ? WHERE id = ?", "ready", waiting.id)
        write_sql("UPDATE billing_claim_batch SET file_name = ?", "renamed-by-hand.x12")
    page = biller.get(url).get_data(as_text=True)
    assert "renamed-by-hand.x12" in page and "$15.00" in page  # the draw waits to be sent now

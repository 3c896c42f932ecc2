"""Collections: dunning stages, the pre-collections list, placing an account with an agency and recalling
it from the page (openemr#5842), the agency's CSV (page and command line), bad-debt write-offs with
their events, and every action audited with the patient."""
from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest
from accounts_setup import days_ago, new_patient, self_pay_visit, subscriber
from billing_setup import database, practice
from medoffice import settings
from medoffice.models import AuditEvent
from medoffice.testing import login
from remit_setup import cli_app, run_cli

from medoffice_billing import aging, collections, ledger, plans, statements
from medoffice_billing.collections import CollectionsError
from medoffice_billing.models import CollectionPlacement, LineTransaction, PatientAging
from medoffice_billing.today import work_items


def old_debts():
    """Three patients owing $120.00 for 150 days, and one owing it for 40 days; aging stored."""
    records = practice()
    old = [records["patient"], new_patient(last="Okafor"), new_patient(last="Lindqvist")]
    for person in old:
        self_pay_visit(records, days_ago(150), patient=person)
    recent = new_patient(last="Recent")
    self_pay_visit(records, days_ago(40), patient=recent)
    aging.refresh_patient_aging(settings.today())
    return records, old, recent


def test_dunning_stages_default_then_edited_on_their_page(app):
    with database(app):
        assert collections.stages() == list(collections.DEFAULT_STAGES)
        assert [collections.stage_for(d) for d in (None, 10, 30, 75, 119, 400)] == [
            "", "", "Reminder", "Second notice", "Final notice", "Pre-collections"]
    biller = login(app.test_client(), "billing")
    assert "Pre-collections" in biller.get("/billing/collections/stages").get_data(as_text=True)
    bad = biller.post("/billing/collections/stages", data={"days": "0", "name": "Too soon"})
    assert bad.status_code == 422 and "Use 1 to 3650 days." in bad.get_data(as_text=True)
    assert biller.post("/billing/collections/stages", data={"days": "150", "name": "Agency review"}).status_code == 302
    assert biller.post("/billing/collections/stages", data={"days": "30", "name": "Friendly reminder"}).status_code == 302
    assert biller.post("/billing/collections/stages/60/delete").status_code == 302
    with database(app):
        assert collections.stages() == [(30, "Friendly reminder"), (90, "Final notice"), (120, "Pre-collections"),
                                        (150, "Agency review")]
        assert AuditEvent.select().where(AuditEvent.action.startswith("billing.dunning.")).count() == 3
    assert login(app.test_client(), "front_desk").post(
        "/billing/collections/stages", data={"days": "10", "name": "x"}).status_code == 403


def test_precollections_list_and_today_item(app):
    with database(app):
        records, old, recent = old_debts()
        today = settings.today()
        listed = {r.patient_id for r in collections.precollections_query(today)}
        assert listed == {p.id for p in old}
        plans.create_plan(old[1].id, 12000, 3000, "monthly", today)
        statements.set_hold(old[2].id, "Hardship review")
        assert {r.patient_id for r in collections.precollections_query(today)} == {old[0].id}
        past_due = {r.patient_id for r in collections.past_due_query(today, 30)}
        assert past_due == {old[0].id, old[2].id, recent.id}  # the plan deals with old[1]; a hold is still past due
        everyone = {r.patient_id for r in collections.past_due_query(today, 30, arranged=True)}
        assert everyone == {*(p.id for p in old), recent.id}
    biller = login(app.test_client(), "billing")
    page = biller.get("/billing/collections").get_data(as_text=True)
    assert old[0].account_number in page and old[1].account_number not in page and "Place with the agency" in page
    with database(app):
        shown = AuditEvent.select().where(AuditEvent.action == "billing.collections.list").order_by(AuditEvent.id.desc()).get()
        assert f'"patients":[{old[0].id}]' in shown.detail
    with app.test_request_context(), database(app):
        items = {i.title: i.count for i in work_items(settings.today())}
        desk = SimpleNamespace(has_permission=lambda permission: permission != "billing.collections.manage")
        desk_items = {i.title for i in work_items(settings.today(), desk)}
    assert items.get("Account ready for a collection agency") == 1
    assert "Account ready for a collection agency" not in desk_items  # not even counted for the desk


def test_place_and_recall_from_the_pages(app):
    with database(app):
        records, old, _recent = old_debts()
        pid = old[0].id
    biller = login(app.test_client(), "billing")
    form = biller.get(f"/billing/patients/{pid}/collections/place")
    assert form.status_code == 200 and "$120.00" in form.get_data(as_text=True)
    missing = biller.post(f"/billing/patients/{pid}/collections/place", data={"agency": "  "})
    assert missing.status_code == 422 and "Name the agency." in missing.get_data(as_text=True)
    placed = biller.post(f"/billing/patients/{pid}/collections/place", data={"agency": "Acme Recovery",
                                                                            "note": "Three notices sent"})
    assert placed.status_code == 302
    with database(app):
        placement = collections.current_placement(pid)
        assert (placement.agency, placement.balance_cents, placement.status) == ("Acme Recovery", 12000, "placed")
        assert statements.hold_reasons(pid, settings.today()) == ["With a collection agency"]
        with pytest.raises(CollectionsError, match="already with an agency"):
            collections.place(pid, "Other Agency")
        assert pid not in {r.patient_id for r in collections.precollections_query(settings.today())}
    listing = biller.get("/billing/collections?tab=placed").get_data(as_text=True)
    assert "Acme Recovery" in listing and f"/billing/placements/{placement.id}/recall" in listing
    # Recall from the page: the link, a reason, and the account is back with the practice.
    recall_form = biller.get(f"/billing/placements/{placement.id}/recall")
    assert recall_form.status_code == 200 and "Recall the account" in recall_form.get_data(as_text=True)
    no_reason = biller.post(f"/billing/placements/{placement.id}/recall", data={"reason": ""})
    assert no_reason.status_code == 422
    recalled = biller.post(f"/billing/placements/{placement.id}/recall", data={"reason": "Paid us directly"})
    assert recalled.status_code == 302
    with database(app):
        stored = CollectionPlacement.get_by_id(placement.id)
        assert (stored.status, stored.recall_reason) == ("recalled", "Paid us directly") and stored.recalled_by
        assert collections.current_placement(pid) is None
        assert statements.hold_reasons(pid, settings.today()) == []
        actions = [e.action for e in AuditEvent.select().where(AuditEvent.patient_id == pid)]
    assert "billing.collections.place" in actions and "billing.collections.recall" in actions
    assert "Paid us directly" in biller.get("/billing/collections?tab=recalled").get_data(as_text=True)
    with database(app):
        nothing = new_patient(last="Settled")
        with pytest.raises(CollectionsError, match="owes nothing"):
            collections.place(nothing.id, "Acme Recovery")


def test_agency_file_from_the_page_and_the_command_line(make_app, tmp_path):
    app = cli_app(make_app, tmp_path)
    with database(app):
        records, old, _recent = old_debts()
        collections.place(old[0].id, "Acme Recovery")
        collections.place(old[1].id, "Acme Recovery")
        since = days_ago(150).isoformat()
    biller = login(app.test_client(), "billing")
    first = biller.post("/billing/collections/export", data={})
    assert first.status_code == 200 and first.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(first.get_data(as_text=True))))
    assert sorted(r["account_number"] for r in rows) == sorted(p.account_number for p in old[:2])
    assert {r["balance"] for r in rows} == {"120.00"} and {r["agency"] for r in rows} == {"Acme Recovery"}
    assert {r["owed_since"] for r in rows} == {since} and rows[0]["last_name"] in ("Diaz", "Okafor")
    again = list(csv.DictReader(io.StringIO(biller.post("/billing/collections/export", data={}).get_data(as_text=True))))
    assert again == []  # each placement goes to the agency once
    out = tmp_path / "agency.csv"
    result = run_cli(app, "billing", "collections", "export-placements", "--out", str(out), "--all")
    assert result.exit_code == 0, result.output
    assert "Wrote 2 placements" in result.output
    assert len(list(csv.DictReader(out.open(encoding="utf-8")))) == 2
    bad = run_cli(app, "billing", "collections", "export-placements", "--out", str(tmp_path / "nope" / "x.csv"))
    assert bad.exit_code != 0 and "does not exist" in bad.output
    with database(app):
        assert AuditEvent.select().where(AuditEvent.action == "billing.collections.export").count() == 3


def test_bad_debt_write_off(make_app):
    finance = subscriber()
    app = make_app(extra=[finance])
    with database(app):
        records = practice()
        pid = records["patient"].id
        self_pay_visit(records, days_ago(200))
        self_pay_visit(records, days_ago(190), codes=("36415",))
    biller = login(app.test_client(), "billing")
    page = biller.get(f"/billing/patients/{pid}/write-off")
    assert page.status_code == 200 and "$135.00" in page.get_data(as_text=True)
    unknown = biller.post(f"/billing/patients/{pid}/write-off", data={"reason": "boredom"})
    assert unknown.status_code == 422
    done = biller.post(f"/billing/patients/{pid}/write-off", data={"reason": "uncollectible", "note": "Moved away"})
    assert done.status_code == 302
    with database(app):
        assert ledger.patient_balances(pid).patient_cents == 0
        entries = list(LineTransaction.select().where(LineTransaction.kind == "writeoff"))
        assert sorted(e.amount_cents for e in entries) == [-12000, -1500]
        assert all(e.party == "patient" and "Moved away" in e.memo for e in entries)
        audit_entry = AuditEvent.get(AuditEvent.action == "billing.collections.writeoff")
        assert audit_entry.patient_id == pid and '"amount_cents":13500' in audit_entry.detail
        with pytest.raises(CollectionsError, match="owes nothing"):
            collections.write_off(pid, "uncollectible")
    heard = [(e["kind"], e["party"], e["amount_cents"]) for e in finance.heard]
    assert sorted(heard) == [("writeoff", "patient", -12000), ("writeoff", "patient", -1500)]
    assert all(e["committed"] for e in finance.heard)
    assert login(app.test_client(), "front_desk").get(f"/billing/patients/{pid}/write-off").status_code == 403


def test_today_stops_counting_pre_collections_accounts_at_its_limit(app, monkeypatch):
    from medoffice_billing import today as billing_today

    monkeypatch.setattr(billing_today, "TODAY_COUNT_LIMIT", 2)
    with database(app):
        old_debts()  # three accounts at the last stage
    with app.test_request_context(), database(app):
        item = next(i for i in work_items(settings.today()) if "collection agency" in i.title)
    assert (item.count, item.count_is_floor) == (2, True)
    page = login(app.test_client(), "billing").get("/today").get_data(as_text=True)
    assert '<span class="count">2+</span>' in page


def test_the_stored_aging_follows_placements_and_plans_at_once(app):
    """Pre-collections reads whether an account is placed or on a plan from its stored aging: every
    placement, recall and plan start or end updates it, and the nightly refresh recomputes it."""
    with database(app):
        _records, old, _recent = old_debts()
        today = settings.today()

        def listed():
            return {r.patient_id for r in collections.precollections_query(today)}

        def stored(patient):
            return PatientAging.get(PatientAging.patient_id == patient.id).placed_or_planned

        placement = collections.place(old[0].id, "Acme Recovery")
        plan = plans.create_plan(old[1].id, 12000, 3000, "monthly", today)
        assert stored(old[0]) and stored(old[1]) and not stored(old[2])
        assert listed() == {old[2].id}
        aging.refresh_patient_aging(today)  # the nightly refresh keeps what is true
        assert stored(old[0]) and stored(old[1]) and listed() == {old[2].id}
        collections.recall(placement, "Paid us directly")
        plans.end_plan(plan, "cancelled", "Missed three payments")
        assert not stored(old[0]) and not stored(old[1])
        assert listed() == {p.id for p in old}

"""The collections page's lists (prepared once per tab, sort and join): every tab shows the same accounts,
links and stages however it is sorted or searched, and the header reads the placed totals and the last
nightly snapshot."""
from __future__ import annotations

from accounts_setup import days_ago, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.testing import login

from medoffice_billing import aging, collections, plans


def test_aging_tabs_sorted_and_searched_list_the_same_accounts(app):
    with database(app):
        records = practice()
        old = [records["patient"], new_patient(last="Okafor")]
        for person in old:
            self_pay_visit(records, days_ago(150), patient=person)
        planned, recent = new_patient(last="Planner"), new_patient(last="Recent")
        self_pay_visit(records, days_ago(150), patient=planned)
        self_pay_visit(records, days_ago(40), patient=recent)
        today = settings.today()
        aging.refresh_patient_aging(today)
        aging.take_snapshot(today)
        plans.create_plan(planned.id, 12000, 3000, "monthly", today)
    biller = login(app.test_client(), "billing")
    for query in ("", "&sort=patient", "&sort=account&desc=1", "&sort=owed", "&q=Okafor"):
        pre = biller.get(f"/billing/collections?tab=precollections{query}").get_data(as_text=True)
        shown = [p for p in old if p.account_number in pre]
        assert shown == (old[1:] if "Okafor" in query else old), query
        assert planned.account_number not in pre and recent.account_number not in pre
        assert f"/billing/patients/{old[1].id}/collections/place" in pre
        assert f"/billing/patients/{old[1].id}/ledger" in pre
        assert "Pre-collections" in pre and f"last nightly refresh: {today.isoformat()}" in pre
        past_due = biller.get(f"/billing/collections?tab=past_due{query}").get_data(as_text=True)
        expected = [old[1]] if "Okafor" in query else [*old, planned, recent]
        assert [p for p in [*old, planned, recent] if p.account_number in past_due] == expected, query
        assert "Place with the agency" not in past_due
    assert "Reminder" in biller.get("/billing/collections?tab=past_due&q=Recent").get_data(as_text=True)


def test_placement_tabs_sorted_and_searched(app):
    with database(app):
        records = practice()
        first, second = records["patient"], new_patient(last="Okafor")
        for person in (first, second):
            self_pay_visit(records, days_ago(150), patient=person)
        aging.refresh_patient_aging(settings.today())
        placed = collections.place(first.id, "Acme Recovery")
        collections.place(second.id, "Best Collect")
        collections.recall(collections.current_placement(second.id), "Paid us directly")
        assert collections.summary()["placed"] == 1 and collections.summary()["placed_cents"] == placed.balance_cents
    biller = login(app.test_client(), "billing")
    for query in ("", "&sort=patient", "&sort=balance&desc=1", "&q=Acme", "&q=" + first.last_name):
        page = biller.get(f"/billing/collections?tab=placed{query}").get_data(as_text=True)
        assert first.account_number in page and second.account_number not in page, query
        assert f"/billing/placements/{placed.id}/recall" in page and "not yet" in page and "$120.00" in page
        assert "Download the agency file" in page
    for query in ("", "&sort=recalled&desc=1", "&q=Best"):
        page = biller.get(f"/billing/collections?tab=recalled{query}").get_data(as_text=True)
        assert second.account_number in page and first.account_number not in page and "Paid us directly" in page
        assert "Download the agency file" not in page
    assert "No account here." in biller.get("/billing/collections?tab=recalled&q=Nobody").get_data(as_text=True)

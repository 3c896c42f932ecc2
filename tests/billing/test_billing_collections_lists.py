"""The collections page's lists (prepared once per tab, sort and join): every tab shows the same accounts,
links and stages however it is sorted or searched, and the header reads the placed totals and the last
nightly snapshot."""
from __future__ import annotations

import re

from accounts_setup import days_ago, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.testing import login

from medoffice_billing import aging, collections, plans


def header(page: str, label: str) -> bool:
    """Whether the page's table has a column headed ``label``."""
    return re.search(rf"<th[^>]*>\s*(<a[^>]*>)?{re.escape(label)}(</a>)?\s*</th>", page) is not None


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
        expected = [old[1]] if "Okafor" in query else [*old, recent]  # the plan deals with the planner
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


def test_past_due_leaves_out_plans_and_agencies_and_shows_them_with_plan_and_agency_on_request(app):
    """Issue 17 item 10: an account on a payment plan showed "Final notice" among the past-due accounts;
    one with the agency was listed too."""
    with database(app):
        records = practice()
        dunned, planned, placed = records["patient"], new_patient(last="Planner"), new_patient(last="Placed")
        for person in (dunned, planned, placed):
            self_pay_visit(records, days_ago(100), patient=person)
        today = settings.today()
        aging.refresh_patient_aging(today)
        plan = plans.create_plan(planned.id, 12000, 3000, "monthly", today)
        collections.place(placed.id, "Acme Recovery")
    biller = login(app.test_client(), "billing")
    page = biller.get("/billing/collections?tab=past_due").get_data(as_text=True)
    assert dunned.account_number in page and "<td>Final notice</td>" in page
    assert planned.account_number not in page and placed.account_number not in page
    assert "Show them too" in page and not header(page, "Payment plan")
    for query in ("", "&sort=owed&desc=1", "&q=Pla"):
        page = biller.get(f"/billing/collections?tab=past_due&arranged=1{query}").get_data(as_text=True)
        assert planned.account_number in page and placed.account_number in page, query
        assert header(page, "Payment plan") and header(page, "Agency")
        assert f'<a href="/billing/plans/{plan.id}">$30.00 monthly</a>' in page
        assert f"Acme Recovery since {today.isoformat()}" in page
        assert page.count("<td>Final notice</td>") == (0 if "Pla" in query else 1)  # only the account dunned
        assert "arranged=1" in page  # sorting and paging keep the choice
    panel = biller.get(f"/billing/patients/{planned.id}/account").get_data(as_text=True)
    assert "Final notice" not in panel and "$30.00 monthly" in panel
    assert "Final notice" in biller.get(f"/billing/patients/{dunned.id}/account").get_data(as_text=True)


def test_the_page_and_todays_count_are_kept_until_an_account_a_stage_a_plan_or_a_placement_changes(app):
    """The Collections page and Today's pre-collections count are kept per process (billing.collections with
    core.patients): an unchanged view reads no stored aging, and a change written by plain SQL, as the nightly
    job or another process would write it, shows on the next view."""
    from medoffice.db import db
    from medoffice.testing import page_queries

    with database(app):
        records = practice()
        debtor, other = records["patient"], new_patient(last="Okafor")
        for person in (debtor, other):
            self_pay_visit(records, days_ago(150), patient=person)
        aging.refresh_patient_aging(settings.today())
    biller = login(app.test_client(), "billing")
    url = "/billing/collections?tab=past_due&arranged=1"
    assert debtor.account_number in biller.get(url).get_data(as_text=True)
    assert "Accounts ready for a collection agency" in biller.get("/today").get_data(as_text=True)
    for page in (url, "/today"):
        assert not [sql for sql in page_queries(biller, page) if "billing_patient_aging" in sql], page

    def change(page: str, sql: str, *params) -> str:
        with database(app):
            db.execute_sql(sql.replace("?", db.param), params)
        return biller.get(page).get_data(as_text=True)

    assert "<td>Long overdue</td>" in change(url, "INSERT INTO billing_dunning_stage (days, name) VALUES (?, ?)",
                                             140, "Long overdue")  # the accounts are 150 days past due
    assert "Quince" in change(url, "UPDATE core_patient SET last_name = ? WHERE id = ?", "Quince", debtor.id)
    with database(app):
        plan = plans.create_plan(debtor.id, 12000, 3000, "monthly", settings.today())
    assert "$30.00 monthly" in biller.get(url).get_data(as_text=True)
    assert "$45.00 monthly" in change(url, "UPDATE billing_payment_plan SET installment_cents = ? WHERE id = ?",
                                      4500, plan.id)
    assert other.account_number not in change(url, "DELETE FROM billing_patient_aging WHERE patient_id = ?", other.id)
    assert "ready for a collection agency" not in change("/today", "DELETE FROM billing_patient_aging")

"""Billing list pages: what each row shows, searching and sorting (figures computed per page)."""
from __future__ import annotations

import datetime as dt
import json

from billing_setup import database, encounter_with_charges, practice
from medoffice import settings
from medoffice.db import db
from medoffice.models import AuditEvent, User

from medoffice_billing import encounters
from medoffice_billing.models import ServiceLine


def test_encounter_list_shows_each_visits_patient_and_active_charges(app, client_as):
    with database(app):
        first = practice(account="P0000001")
        second = practice(account="P0000002")
        day = settings.today() - dt.timedelta(days=2)
        older = encounter_with_charges(first, day - dt.timedelta(days=5), codes=("99213", "36415"))
        newer = encounter_with_charges(second, day, codes=("99213", "36415"))
        encounters.remove_line(ServiceLine.get((ServiceLine.encounter == newer.id) & (ServiceLine.code == "36415")))
    billing = client_as("billing")
    page = billing.get("/billing/encounters?sort=service_date&desc=1").get_data(as_text=True)
    assert "2 encounters" in page
    # Newest first; a removed line no longer counts toward the visit's charges.
    assert page.index(f"/billing/encounters/{newer.id}") < page.index(f"/billing/encounters/{older.id}")
    assert "Diaz, Rosa (P0000002)" in page and "Diaz, Rosa (P0000001)" in page
    assert "$120.00" in page and "$135.00" in page

    found = billing.get("/billing/encounters?sort=service_date&desc=1&q=P0000001").get_data(as_text=True)
    assert "1 encounter" in found and f"/billing/encounters/{older.id}" in found
    assert f"/billing/encounters/{newer.id}" not in found

    by_patient = billing.get("/billing/encounters?sort=patient").get_data(as_text=True)
    assert "2 encounters" in by_patient and "$135.00" in by_patient
    with database(app):  # each view records which patients it showed
        assert shown_patients("billing.encounters.list") == sorted([first["patient"].id, second["patient"].id])


def test_claim_list_names_patient_and_payer_and_sorts_and_searches_by_them(app, client_as):
    from medoffice_billing import claims

    with database(app):
        first = practice(account="P0000001")
        second = practice(account="P0000002")
        second["patient"].last_name = "Abbott"
        second["patient"].save()
        for records in (first, second):
            claims.create_claim(encounter_with_charges(records))
    billing = client_as("billing")
    page = billing.get("/billing/claims?status=all&sort=service_date").get_data(as_text=True)
    assert "2 claims" in page and "Diaz, Rosa" in page and "Abbott, Rosa" in page
    assert "Acme Health P0000001" in page and "Acme Health P0000002" in page

    by_patient = billing.get("/billing/claims?status=all&sort=patient").get_data(as_text=True)
    assert by_patient.index("Abbott, Rosa") < by_patient.index("Diaz, Rosa")
    by_payer = billing.get("/billing/claims?status=all&sort=payer&desc=1").get_data(as_text=True)
    assert by_payer.index("Acme Health P0000002") < by_payer.index("Acme Health P0000001")

    found = billing.get("/billing/claims?status=all&sort=service_date&q=Abbott").get_data(as_text=True)
    assert "1 claim" in found and "Abbott, Rosa" in found and "Diaz, Rosa" not in found
    with database(app):  # the last view showed only the patient found
        assert shown_patients("billing.claims.list") == [second["patient"].id]


def shown_patients(action: str) -> list[int]:
    """The patient ids the latest audit entry of ``action`` records as shown."""
    entry = AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.seq.desc()).get()
    return json.loads(entry.detail)["patients"]


def test_desk_payments_and_plans_name_each_patient_and_search_by_them(app, client_as):
    from accounts_setup import new_patient, self_pay_visit

    from medoffice_billing import payments, plans

    with database(app):
        records = practice()
        zed, amy = new_patient("Zed", "Ann"), new_patient("Amato", "Bea")
        for patient in (zed, amy):
            self_pay_visit(records, settings.today() - dt.timedelta(days=3), patient=patient)
            payments.record_payment(patient.id, 1000, "cash")
            plans.create_plan(patient.id, 10000, 2500, "monthly", settings.today())
    manager = client_as("office_manager")
    for url in ("/billing/payments?sort=patient", "/billing/plans?sort=patient"):
        page = manager.get(url).get_data(as_text=True)
        assert page.index("Amato, Bea") < page.index("Zed, Ann"), url
        found = manager.get(f"{url}&q={zed.account_number}").get_data(as_text=True)
        assert "Zed, Ann" in found and "Amato, Bea" not in found, url
    receipts = manager.get("/billing/payments").get_data(as_text=True)
    assert "2 receipts" in receipts and "Zed, Ann" in receipts and "Amato, Bea" in receipts


def test_worklist_totals_each_payer_and_filters_by_one(app, client_as):
    from accounts_setup import days_ago, insured_visit

    from medoffice_billing import denials
    from medoffice_billing.models import Claim

    with database(app):
        zeta, acme = practice(account="P0000001"), practice(account="P0000002")
        zeta["payer"].name = "Zeta Mutual"
        zeta["payer"].save()
        denied = [insured_visit(zeta, days_ago(40)), insured_visit(zeta, days_ago(41), codes=("36415",)),
                  insured_visit(acme, days_ago(42))]
        Claim.update(status="denied").where(Claim.id.in_([c.id for c in denied])).execute()
        denials.refresh_claims(c.id for c in denied)  # kept as moving them through the state machine would
    biller = client_as("billing")
    page = biller.get("/billing/worklists?tab=denied").get_data(as_text=True)
    # by date of service (read from the kept rows, one per claim: the second visit's claim has one line here)
    numbers = [c.claim_number for c in sorted(denied, key=lambda c: c.service_date)]
    assert [page.index(n) for n in numbers] == sorted(page.index(n) for n in numbers)
    latest_first = biller.get("/billing/worklists?tab=denied&sort=service_date&desc=1").get_data(as_text=True)
    assert [latest_first.index(n) for n in reversed(numbers)] == sorted(latest_first.index(n) for n in numbers)
    # The totals are fetched when "By payer" is opened, for the tab shown.
    assert 'hx-get="/billing/worklists/by-payer?tab=denied"' in page and "Zeta Mutual" in page  # the payer filter
    totals = biller.get("/billing/worklists/by-payer?tab=denied").get_data(as_text=True)
    assert totals.index("Acme Health P0000002") < totals.index("Zeta Mutual")  # by name
    assert '<td class="num">1</td><td class="num">$120.00</td>' in totals
    assert '<td class="num">2</td><td class="num">$135.00</td>' in totals
    zeta_id = zeta["payer"].id
    assert f'href="/billing/worklists?tab=denied&amp;payer={zeta_id}"' in totals
    only_zeta = biller.get(f"/billing/worklists?tab=denied&payer={zeta_id}").get_data(as_text=True)
    assert denied[0].claim_number in only_zeta and denied[2].claim_number not in only_zeta
    assert "No claims in this worklist." in biller.get("/billing/worklists/by-payer?tab=rejected").get_data(as_text=True)
    assert biller.get("/billing/worklists/by-payer?tab=exceptions").status_code == 404
    unpaid = biller.get("/billing/worklists?tab=unpaid&days=10").get_data(as_text=True)
    assert 'hx-get="/billing/worklists/by-payer?tab=unpaid&amp;days=10"' in unpaid


def test_the_claim_list_is_kept_until_a_claim_a_payer_or_a_patient_changes_by_any_writer(app, client_as):
    """The claims list's page is kept per process (data version billing.claims, with core.patients): an
    unchanged view reads no claim, and a change written by plain SQL, as another process would, shows at once.
    Every view is still audited."""
    from medoffice.testing import page_queries

    from medoffice_billing import claims

    with database(app):
        records = practice(account="P0000001")
        claim = claims.create_claim(encounter_with_charges(records))
    billing = client_as("billing")
    url = "/billing/claims?status=all&sort=service_date"
    assert "Diaz, Rosa" in billing.get(url).get_data(as_text=True)
    assert not [sql for sql in page_queries(billing, url) if "billing_claim" in sql or "core_patient" in sql]
    with database(app):
        views = AuditEvent.select().where(AuditEvent.action == "billing.claims.list").count()

    def change(sql: str, *params) -> str:
        with database(app):
            db.execute_sql(sql.replace("?", db.param), params)
        return billing.get(url).get_data(as_text=True)

    assert "(on hold)" in change("UPDATE billing_claim SET on_hold = ? WHERE id = ?", True, claim.id)
    assert "Zephyr Mutual" in change("UPDATE billing_payer SET name = ?", "Zephyr Mutual")
    assert "Okafor, Rosa" in change("UPDATE core_patient SET last_name = ? WHERE id = ?", "Okafor", records["patient"].id)
    assert ">Closed<" in change("UPDATE billing_claim SET status = ? WHERE id = ?", "closed", claim.id)
    with database(app):  # every view wrote its read audit, kept or not
        assert AuditEvent.select().where(AuditEvent.action == "billing.claims.list").count() == views + 4


def test_the_desk_payments_page_is_kept_until_a_payment_a_patient_or_a_user_changes(app, client_as):
    """The day's receipts and end-of-day totals are kept per process (billing.payments, core.patients,
    access): an unchanged view reads no payment, and a change by plain SQL shows on the next view."""
    from accounts_setup import new_patient, self_pay_visit
    from medoffice.testing import page_queries

    from medoffice_billing import payments

    with database(app):
        records = practice()
        patient = new_patient("Zed", "Ann")
        self_pay_visit(records, settings.today() - dt.timedelta(days=3), patient=patient)
        receipt, _events = payments.record_payment(patient.id, 1000, "cash")
    manager = client_as("office_manager")
    url = "/billing/payments"
    first = manager.get(url).get_data(as_text=True)
    assert "Zed, Ann" in first and "$10.00" in first
    assert not [sql for sql in page_queries(manager, url) if "billing_patient_payment" in sql or "core_patient" in sql]

    def change(sql: str, *params) -> str:
        with database(app):
            db.execute_sql(sql.replace("?", db.param), params)
        return manager.get(url).get_data(as_text=True)

    paid_more = change("UPDATE billing_patient_payment SET amount_cents = ? WHERE id = ?", 4200, receipt.id)
    assert paid_more.count("$42.00") >= 2  # the receipt's row and the day's totals
    assert "Zedd, Ann" in change("UPDATE core_patient SET last_name = ? WHERE id = ?", "Zedd", patient.id)
    with database(app):
        desk = User.select().order_by(User.id).first()
    taken = change("UPDATE billing_patient_payment SET user_id = ?, username = ? WHERE id = ?", desk.id,
                   desk.username, receipt.id)
    assert taken.count(desk.full_name or desk.username) >= 2  # taken by, in the row and in the totals
    renamed = change("UPDATE core_user SET full_name = ? WHERE id = ?", "Desk Person", desk.id)
    assert renamed.count("Desk Person") >= 2


def test_the_plans_list_is_kept_until_a_plan_an_installment_a_payment_or_a_patient_changes(app, client_as):
    """The payment plans list is kept per process (billing.plans with core.patients): an unchanged view reads no
    plan, and a change by plain SQL shows on the next view."""
    from accounts_setup import new_patient, self_pay_visit
    from medoffice.testing import page_queries

    from medoffice_billing import plans

    with database(app):
        records = practice()
        patient = new_patient("Zed", "Ann")
        self_pay_visit(records, settings.today() - dt.timedelta(days=3), patient=patient)
        plan = plans.create_plan(patient.id, 10000, 2500, "monthly", settings.today())
    manager = client_as("office_manager")
    url = "/billing/plans"
    assert "$25.00 monthly" in manager.get(url).get_data(as_text=True)
    assert not [sql for sql in page_queries(manager, url) if "billing_payment_plan" in sql or "core_patient" in sql]
    with database(app):
        db.execute_sql(f"UPDATE billing_payment_plan SET installment_cents = {db.param} WHERE id = {db.param}",
                       (3000, plan.id))
    assert "$30.00 monthly" in manager.get(url).get_data(as_text=True)
    with database(app):
        db.execute_sql(f"UPDATE core_patient SET last_name = {db.param} WHERE id = {db.param}", ("Zedd", patient.id))
    assert "Zedd, Ann" in manager.get(url).get_data(as_text=True)


def test_the_encounter_list_is_kept_until_an_encounter_a_line_or_a_patient_changes(app, client_as):
    """The encounters list is kept per process (billing.encounters with core.patients): an unchanged view reads
    no encounter and no line, and a charge or a status changed by plain SQL shows on the next view."""
    from medoffice.testing import page_queries

    with database(app):
        records = practice(account="P0000001")
        visit = encounter_with_charges(records, settings.today() - dt.timedelta(days=2), codes=("99213",))
    billing = client_as("billing")
    url = "/billing/encounters?sort=service_date&desc=1"
    assert "$120.00" in billing.get(url).get_data(as_text=True)
    read = page_queries(billing, url)
    assert not [sql for sql in read if "billing_encounter" in sql or "billing_service_line" in sql]
    with database(app):
        db.execute_sql(f"UPDATE billing_service_line SET charge_cents = {db.param} WHERE encounter_id = {db.param}",
                       (9900, visit.id))
    assert "$99.00" in billing.get(url).get_data(as_text=True)
    with database(app):
        db.execute_sql(f"UPDATE core_patient SET last_name = {db.param} WHERE id = {db.param}",
                       ("Quince", records["patient"].id))
    assert "Quince, Rosa (P0000001)" in billing.get(url).get_data(as_text=True)

"""Billing's out-of-range input answers 4xx or a refusal with a message, never 500 (issue 9, item 12):
a fee whose charge is only spaces, claims assigned to a twenty-digit user id, report and list
arguments beyond the database's integers or the calendar."""
from __future__ import annotations

from accounts_setup import days_ago, insured_visit
from billing_setup import database, practice
from medoffice.testing import login

from medoffice_billing.models import Claim, Fee

HUGE = "99999999999999999999"


def test_a_charge_of_spaces_is_refused_by_the_fee_form(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    manager = login(app.test_client(), "office_manager")
    response = manager.post("/billing/fees/new", data={"code": "99214", "charge": " ", "description": "Visit"})
    assert response.status_code == 422 and "Enter the charge, such as 125.00." in response.get_data(as_text=True)
    with database(app):
        assert not Fee.select().where(Fee.code == "99214").exists()


def test_assigning_to_a_huge_user_id_is_refused_and_changes_nothing(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with database(app):
        claim = insured_visit(practice(), days_ago(60))
    biller = login(app.test_client(), "billing")
    for data in ({"claim_id": [str(claim.id)], "user_id": HUGE}, {"claim_id": [HUGE, "²"], "user_id": "1"}):
        response = biller.post("/billing/worklists/assign", data=data, follow_redirects=True)
        assert response.status_code == 200, data
        text = response.get_data(as_text=True)
        assert "Choose an active user" in text or "Select the claims to assign first." in text
    with database(app):
        assert Claim.get_by_id(claim.id).assigned_user_id is None


def test_report_and_list_arguments_out_of_range_are_4xx_with_a_message(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with database(app):
        practice()
    manager = login(app.test_client(), "office_manager")
    cases = [
        (f"/reports/billing.ar_aging_patient?run=1&min_balance={HUGE}", 422, "Use a whole number from"),
        ("/reports/billing.ar_aging_patient?run=1&min_balance=1e20", 422, "Enter a whole number."),
        ("/reports/billing.ar_aging_patient?run=1&as_of=0001-01-01", 422, "Use a date from 1900-01-01"),
        ("/reports/billing.ar_aging_patient.csv?run=1&as_of=9999-12-31", 422, "Use a date from 1900-01-01"),
        ("/reports/billing.end_of_day?run=1&start=0001-01-01&end=9999-12-31", 422, "Use a date from 1900-01-01"),
        (f"/billing/worklists?payer={HUGE}", 400, "payer: use a whole number from 1 to 2,147,483,647."),
        ("/billing/worklists?days=%C2%B2", 400, "days: enter a whole number."),
        (f"/billing/claims?sort=service_date&desc=1&page={HUGE}", 400, "page: use a whole number"),
        (f"/billing/remittances?sort=imported_at&desc=1&task={HUGE}", 400, "task: use a whole number"),
        (f"/billing/encounters/new?patient_id={HUGE}", 400, "patient_id: use a whole number"),
        ("/billing/payments?day=9999-12-31", 400, "Use a date from 1900-01-01 to 2199-12-31."),
        (f"/billing/claims/{HUGE}", 404, "Page not found"),
    ]
    for url, status, message in cases:
        response = manager.get(url)
        assert (response.status_code, message in response.get_data(as_text=True)) == (status, True), url

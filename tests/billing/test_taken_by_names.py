"""Payments say who took them by the person's name, not the login (issue 17 item 7)."""
from accounts_setup import days_ago, self_pay_visit
from billing_setup import database, practice

from medoffice import settings
from medoffice.models import User
from medoffice.people import person_name
from medoffice.testing import login
from medoffice_billing.models import PatientPayment


def test_desk_payments_and_receipt_show_the_full_name(app):
    with database(app):
        records = practice()
        self_pay_visit(records, days_ago(10))
        pid = records["patient"].id
        today = settings.today().isoformat()
    desk = login(app.test_client(), "front_desk", username="deskthree")
    with database(app):
        User.update(full_name="Dana Whitfield").where(User.username == "deskthree").execute()
    assert desk.post(f"/billing/patients/{pid}/payments/new", data={
        "amount": "10.00", "method": "cash", "reference": "", "received_on": today}).status_code == 302
    with database(app):
        payment_id = PatientPayment.select().order_by(PatientPayment.id.desc()).first().id
    manager = login(app.test_client(), "office_manager")
    listed = manager.get("/billing/payments").get_data(as_text=True)
    assert "<td>Dana Whitfield</td>" in listed and "<td>deskthree</td>" not in listed
    receipt = manager.get(f"/billing/receipts/{payment_id}").get_data(as_text=True)
    assert "Dana Whitfield" in receipt


def test_person_name_falls_back_to_the_user_name_or_the_default(app):
    with database(app):
        assert person_name("nobody-by-that-name") == "nobody-by-that-name"
        assert person_name("", "the office") == "the office"

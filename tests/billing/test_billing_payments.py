"""Desk payments: applied to the oldest patient charges, credit kept, receipts (page and PDF), voids,
refunds of credit, events after commit, card numbers refused, end-of-day totals by method and user."""
from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from accounts_setup import adjudicate, days_ago, insured_visit, self_pay_visit, subscriber
from billing_setup import database, practice
from hypothesis import given
from hypothesis import strategies as st
from medoffice import settings
from medoffice.events.models import EventRecord
from medoffice.models import AuditEvent, Location, StaffMember, User
from medoffice.testing import login, practice_today

from medoffice_billing import ledger, payments
from medoffice_billing.models import LineTransaction, PatientPayment
from medoffice_billing.payments import PaymentError


def owing_patient(app):
    """A patient owing $120.00 (self-pay, 60 days ago) and a $20.00 copay moved over 5 days ago."""
    with database(app):
        records = practice()
        self_pay_visit(records, days_ago(60))
        claim = insured_visit(records, days_ago(30))
        adjudicate(claim, paid=7000, contractual=3000, patient=2000, day=days_ago(5))
        return records["patient"].id


def test_a_payment_goes_to_the_oldest_charges_and_the_rest_is_credit(make_app):
    finance = subscriber()
    app = make_app(extra=[finance])
    pid = owing_patient(app)
    with database(app):
        first = payments.post_payment(pid, 13000, "cash")
        entries = list(LineTransaction.select().where(LineTransaction.reference == first.receipt_number)
                       .order_by(LineTransaction.id))
        assert [e.amount_cents for e in entries] == [-12000, -1000]
        assert {(e.kind, e.party, e.source, e.method) for e in entries} == {("patient_payment", "patient", "desk", "cash")}
        assert (first.applied_cents, ledger.patient_balances(pid).patient_cents) == (13000, 1000)

        second = payments.post_payment(pid, 5000, "check", "1042")
        assert second.receipt_number > first.receipt_number and second.receipt_number.startswith("R")
        credit = LineTransaction.get((LineTransaction.reference == second.receipt_number)
                                     & LineTransaction.service_line.is_null())
        assert (credit.amount_cents, second.applied_cents) == (-4000, 1000)
        assert ledger.patient_balances(pid) == ledger.Balances(insurance_cents=0, patient_cents=-4000)
        assert ledger.patient_balances(pid).credit_cents == 4000
        actions = [e.action for e in AuditEvent.select().where(AuditEvent.patient_id == pid)]
        assert actions.count("billing.payment.post") == 2
    heard = finance.heard
    assert [e["amount_cents"] for e in heard] == [12000, 1000, 1000, 4000]
    assert all(e["committed"] and e["party"] == "patient" and e["payer_id"] is None for e in heard)
    assert {e["reference"] for e in heard} == {first.receipt_number, second.receipt_number}


def test_bad_payments_are_refused_and_card_numbers_never_stored(app):
    pid = owing_patient(app)
    with database(app):
        with pytest.raises(PaymentError, match="whole card number"):
            payments.post_payment(pid, 1000, "card", "4111 1111 1111 1111")
        with pytest.raises(PaymentError, match="check number"):
            payments.post_payment(pid, 1000, "check", "")
        with pytest.raises(PaymentError, match="more than \\$0.00"):
            payments.post_payment(pid, 0, "cash")
        with pytest.raises(PaymentError, match="future"):
            payments.post_payment(pid, 1000, "cash", received_on=settings.today() + dt.timedelta(days=1))
        with pytest.raises(PaymentError, match="cash, check or card"):
            payments.post_payment(pid, 1000, "bitcoin")
        assert PatientPayment.select().count() == 0
        assert payments.post_payment(pid, 1000, "card", "auth 7H2K9").reference == "auth 7H2K9"


def test_taking_a_payment_through_the_page_prints_a_receipt(app, client_as):
    pid = owing_patient(app)
    desk = client_as("front_desk")
    form = desk.get(f"/billing/patients/{pid}/payments/new")
    assert form.status_code == 200 and "$140.00" in form.get_data(as_text=True)
    bad = desk.post(f"/billing/patients/{pid}/payments/new", data={
        "amount": "12.345", "method": "card", "reference": "4111111111111111", "received_on": "2020-13-01"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "at most two decimal places" in text
    assert "Not a valid date value" in text or "Enter the date" in text
    card = desk.post(f"/billing/patients/{pid}/payments/new", data={
        "amount": "25.00", "method": "card", "reference": "4111111111111111",
        "received_on": practice_today().isoformat()})
    assert card.status_code == 422 and "Never type a whole card number" in card.get_data(as_text=True)
    with database(app):
        today = settings.today().isoformat()
    done = desk.post(f"/billing/patients/{pid}/payments/new", data={
        "amount": "25.00", "method": "card", "reference": "1234", "received_on": today, "memo": "copay"})
    assert done.status_code == 302 and "/billing/receipts/" in done.headers["Location"]
    receipt = desk.get(done.headers["Location"])
    text = receipt.get_data(as_text=True)
    assert receipt.status_code == 200 and "data-print" in text and "$25.00" in text and "$115.00" in text
    assert "Visit of" in text  # what the payment was applied to
    pdf = desk.get(done.headers["Location"] + ".pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    with database(app):
        actions = {e.action for e in AuditEvent.select().where(AuditEvent.patient_id == pid)}
    assert {"billing.payment.post", "billing.receipt.view", "billing.receipt.pdf"} <= actions
    # The desk takes payments but cannot void them.
    payment_id = done.headers["Location"].rsplit("/", 1)[1]
    assert desk.post(f"/billing/receipts/{payment_id}/void", data={"reason": "oops"}).status_code == 403


def test_void_reverses_a_payment_once(make_app):
    finance = subscriber()
    app = make_app(extra=[finance])
    pid = owing_patient(app)
    with database(app):
        payment = payments.post_payment(pid, 15000, "cash")
        assert ledger.patient_balances(pid).patient_cents == -1000
    finance.heard.clear()
    biller = login(app.test_client(), "billing")
    missing = biller.post(f"/billing/receipts/{payment.id}/void", data={"reason": ""})
    assert missing.status_code == 422 and "Say why" in missing.get_data(as_text=True)
    done = biller.post(f"/billing/receipts/{payment.id}/void", data={"reason": "Charged the wrong patient"})
    assert done.status_code == 302
    with database(app):
        assert ledger.patient_balances(pid).patient_cents == 14000
        stored = PatientPayment.get_by_id(payment.id)
        assert stored.voided_at is not None and stored.void_reason == "Charged the wrong patient"
        reversals = LineTransaction.select().where(LineTransaction.reverses.is_null(False))
        assert sorted(r.amount_cents for r in reversals) == [1000, 2000, 12000]
        with pytest.raises(PaymentError, match="voided already"):
            payments.void_payment(stored, "again")
    assert sorted(e["amount_cents"] for e in finance.heard) == [-12000, -2000, -1000]
    assert all(e["committed"] for e in finance.heard)


def test_refunds_pay_back_credit_only(make_app):
    finance = subscriber()
    app = make_app(extra=[finance])
    pid = owing_patient(app)
    with database(app):
        payments.post_payment(pid, 16000, "check", "2201")
        with pytest.raises(PaymentError, match="\\$20.00 of credit"):
            payments.refund(pid, 2500, "check", "9001", "Overpaid")
        with pytest.raises(PaymentError, match="Say why"):
            payments.refund(pid, 2000, "check", "9001", "")
        refund = payments.refund(pid, 2000, "check", "9001", "Overpaid at the desk")
        assert refund.kind == "refund" and ledger.patient_balances(pid).patient_cents == 0
        entry = LineTransaction.get(LineTransaction.kind == "refund")
        assert (entry.amount_cents, entry.party, entry.service_line_id) == (2000, "patient", None)
    refunds = [e for e in finance.heard if e["event"] == "refund"]
    assert [(e["amount_cents"], e["method"], e["reference"]) for e in refunds] == [(2000, "check", refund.receipt_number)]
    assert refunds[0]["committed"]


def test_credit_can_be_applied_to_later_charges(app):
    with database(app):
        records = practice()
        pid = records["patient"].id
        payments.post_payment(pid, 5000, "cash")  # nothing owed yet: all credit
        assert ledger.patient_balances(pid).patient_cents == -5000
        self_pay_visit(records, days_ago(1))
        assert payments.apply_credit(pid) == 5000
        assert ledger.patient_balances(pid).patient_cents == 7000
        assert [amount for _line, amount in ledger.open_patient_lines(pid)] == [7000]
        assert payments.apply_credit(pid) == 0


def test_end_of_day_totals_by_method_and_user(app):
    pid = owing_patient(app)
    desk = login(app.test_client(), "front_desk", username="deskone")
    manager = login(app.test_client(), "office_manager", username="managerone")
    with database(app):
        today = settings.today().isoformat()
    for client, amount, method, reference in ((desk, "10.00", "cash", ""), (desk, "15.00", "card", "4321"),
                                              (manager, "20.00", "cash", ""), (desk, "5.00", "cash", "")):
        assert client.post(f"/billing/patients/{pid}/payments/new", data={
            "amount": amount, "method": method, "reference": reference, "received_on": today}).status_code == 302
    with database(app):
        last = PatientPayment.select().order_by(PatientPayment.id.desc()).first()
        payments.void_payment(last, "Rang it up twice")
        rows = {(r["user"], r["method"]): (r["payments"], r["net_cents"])
                for r in payments.end_of_day(settings.today())}
        desk_name = User.get(User.username == "deskone").full_name
        manager_name = User.get(User.username == "managerone").full_name
    assert rows == {(desk_name, "cash"): (1, 1000), (desk_name, "card"): (1, 1500), (manager_name, "cash"): (1, 2000)}
    page = manager.get("/billing/payments")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "$45.00" in text and desk_name in text and "(void)" in text
    report = manager.get(f"/reports/billing.end_of_day.csv?start={today}&end={today}")
    assert report.status_code == 200
    csv_text = report.get_data(as_text=True)
    assert "Cash" in csv_text and "45.00" in csv_text


@given(st.integers(min_value=1, max_value=10**7),
       st.lists(st.integers(min_value=1, max_value=10**6), max_size=20))
def test_allocation_never_overpays_a_line_and_loses_nothing(amount, owed):
    lines = list(enumerate(owed, start=1))
    parts, credit = payments.allocate(amount, lines)
    assert sum(cents for _line, cents in parts) + credit == amount
    assert all(0 < cents <= dict(lines)[line] for line, cents in parts)
    # Oldest first: every line before the last one paid is paid in full.
    assert all(cents == dict(lines)[line] for line, cents in parts[:-1])
    assert credit == 0 or sum(owed) < amount


def test_two_desks_refunding_at_once_never_refund_the_credit_twice(app):
    with database(app):
        records = practice()
        pid = records["patient"].id
        payments.post_payment(pid, 8000, "cash")  # nothing owed: $80.00 of credit
    barrier = threading.Barrier(2)
    outcomes = []

    def desk():
        with database(app):
            barrier.wait(timeout=10)
            try:
                payments.refund(pid, 8000, "check", "5001", "Overpaid")
                outcomes.append("refunded")
            except PaymentError as exc:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=desk) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["The patient has $0.00 of credit: refund at most that.", "refunded"]
    with database(app):
        assert ledger.patient_balances(pid).patient_cents == 0
        assert PatientPayment.select().where(PatientPayment.kind == "refund").count() == 1


def test_a_refused_undo_shows_why_beside_the_reason_and_changes_nothing(app):
    with database(app):
        records = practice()
        payment, _events = payments.record_payment(records["patient"].id, 2500, "cash")
    manager = login(app.test_client(), "office_manager")
    url = f"/billing/receipts/{payment.id}/void"
    assert manager.post(url, data={"reason": "Rang it up twice"}).status_code == 302
    again = manager.post(url, data={"reason": "Once more"})
    page = again.get_data(as_text=True)
    assert again.status_code == 422 and 'id="reason-error"' in page and "was voided already." in page
    settled = manager.post(f"/billing/patients/{records['patient'].id}/write-off",
                           data={"reason": "uncollectible", "note": ""})
    assert settled.status_code == 422 and 'id="reason-error"' in settled.get_data(as_text=True)
    with database(app):
        voids = AuditEvent.select().where(AuditEvent.action == "billing.payment.void").count()
        assert voids == 1 and ledger.patient_balances(records["patient"].id).patient_cents == 0
        # The void form loads the payment for display on every request: one audited read per POST.
        assert AuditEvent.select().where(AuditEvent.action == "billing.receipt.void.view").count() == 2


def test_with_two_offices_the_desk_says_which_took_the_payment_and_its_event_carries_it(app):
    pid = owing_patient(app)
    with database(app):
        main = Location.select().order_by(Location.id).first()
        north = Location.create(name="North Clinic")
        today = settings.today().isoformat()
    desk = login(app.test_client(), "front_desk", username="dee")
    with database(app):
        User.update(staff=StaffMember.create(first_name="Dee", last_name="Desk", location=north.id)).where(
            User.username == "dee").execute()
    form = desk.get(f"/billing/patients/{pid}/payments/new").get_data(as_text=True)
    assert "Office" in form and f'<option selected value="{north.id}">North Clinic' in form  # the desk's own office
    done = desk.post(f"/billing/patients/{pid}/payments/new", data={
        "amount": "10.00", "method": "cash", "received_on": today, "location": str(main.id)})
    assert done.status_code == 302
    unknown = desk.post(f"/billing/patients/{pid}/payments/new", data={
        "amount": "10.00", "method": "cash", "received_on": today, "location": "999"})
    assert unknown.status_code == 422 and "one of the practice&#39;s offices" in unknown.get_data(as_text=True)
    with database(app):
        taken = PatientPayment.select().order_by(PatientPayment.id.desc()).get()
        assert taken.location_id == main.id and PatientPayment.select().count() == 1
        event = EventRecord.select().where(EventRecord.name == "billing.payment_posted").order_by(
            EventRecord.id.desc()).get()
        assert event.version == 2 and json.loads(event.payload)["location_id"] == main.id

"""A day finance closed locks its desk payments in billing: no payment dated that day, no void of one, until
finance reopens it. Billing learns it from finance's durable events (it never imports finance)."""
from __future__ import annotations

import pytest
from accounts_setup import days_ago
from billing_setup import database, practice
from medoffice.models import Location

from medoffice_billing import payments
from medoffice_billing.payments import PaymentError


def test_a_closed_days_desk_payments_are_locked_until_it_is_reopened(make_app):
    from medoffice_finance.dayclose import close_day, reopen_day

    app = make_app(plugins=["billing", "finance"])
    with database(app):
        patient = practice()["patient"].id
        day = days_ago(1)
        taken = payments.post_payment(patient, 2_500, "cash", received_on=day)
        with app.test_request_context():  # the close lists its differences with links
            close_day(day, "Counted; the deposit goes tomorrow")

        with pytest.raises(PaymentError, match="Finance closed .* Date the payment today"):
            payments.post_payment(patient, 1_000, "cash", received_on=day)
        with pytest.raises(PaymentError, match="Refund the patient instead"):
            payments.void_payment(taken, "Entered twice")
        assert payments.post_payment(patient, 1_000, "cash").amount_cents == 1_000  # today is open

        reopen_day(day, "The deposit was short by a check")
        assert payments.void_payment(taken, "Entered twice").voided_at is not None
        assert payments.post_payment(patient, 1_000, "check", reference="1043", received_on=day).received_on == day


def test_without_finance_no_day_is_ever_closed(app):
    with database(app):
        patient = practice()["patient"].id
        taken = payments.post_payment(patient, 2_500, "cash", received_on=days_ago(1))
        assert payments.void_payment(taken, "Entered twice").voided_at is not None


def test_an_office_close_locks_that_desk_only_and_the_whole_practice_close_locks_every_desk(make_app):
    from medoffice_finance.dayclose import close_day, reopen_day

    app = make_app(plugins=["billing", "finance"])
    with database(app):
        patient = practice()["patient"].id
        north, south = Location.create(name="North Clinic"), Location.create(name="South Clinic")
        day = days_ago(1)
        at_north = payments.post_payment(patient, 2_500, "cash", received_on=day, location_id=north.id)
        with app.test_request_context():
            close_day(day, "North counted", north.id)
        with pytest.raises(PaymentError, match="Finance closed"):
            payments.post_payment(patient, 1_000, "cash", received_on=day, location_id=north.id)
        with pytest.raises(PaymentError, match="Finance closed"):
            payments.void_payment(at_north, "Entered twice")
        at_south = payments.post_payment(patient, 1_000, "cash", received_on=day, location_id=south.id)
        assert at_south.location_id == south.id
        with app.test_request_context():
            close_day(day, "Everything counted")
        with pytest.raises(PaymentError, match="Finance closed"):
            payments.post_payment(patient, 1_000, "cash", received_on=day, location_id=south.id)
        with pytest.raises(PaymentError, match="Finance closed"):
            payments.post_payment(patient, 1_000, "cash", received_on=day)
        reopen_day(day, "A check was missed")
        reopen_day(day, "A check was missed", north.id)
        assert payments.void_payment(at_north, "Entered twice").voided_at is not None
        with pytest.raises(PaymentError, match="offices"):
            payments.post_payment(patient, 1_000, "cash", location_id=999)

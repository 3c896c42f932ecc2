"""Money from and back to patients at the desk: payments with receipts, voids, refunds, credit, end of day.

A payment is applied to the patient's open charges, oldest responsibility first; what is left
stays on the account as credit (an entry without a service line). Each posting is one database
transaction (the receipt, its ledger entries, the audit entry and the account's refreshed
aging); its events are published in that transaction (``medoffice.events``), so they exist
exactly when the posting does.
"""
from __future__ import annotations

import datetime as dt
import re

from medoffice import audit, prepared, settings
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import kept
from medoffice.db import db, transaction, utcnow
from medoffice.events import publish_all
from medoffice.models import Location, Patient, User
from medoffice.money import format_cents
from medoffice.prepared import slot
from peewee import JOIN, Case, fn

from . import aging, closed_days, ledger, numbering, plans
from .actor import acting_user
from .models import PAYMENTS, LineTransaction, PatientPayment, ServiceLine

METHODS = {"cash": "Cash", "check": "Check", "card": "Card"}
RECEIPT_COUNTER = "billing.receipt_number"
MAX_CENTS = 10_000_000  # $100,000: more than any desk payment; a typo guard
_CARD_NUMBER = re.compile(r"\d{12,19}")
_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9 #/.-]{0,39}")


class PaymentError(ValueError):
    """A payment, refund or void was refused; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def receipt_number(value: int) -> str:
    """The printed receipt number for counter value ``value``."""
    return f"R{value:07d}"


def check_reference(method: str, reference: str) -> str:
    """The cleaned reference for a method: a check number, or a card's authorization code or last four.

    :raises PaymentError: a check or card without one, or what looks like a whole card number
        (card numbers are never stored).
    """
    reference = (reference or "").strip()
    if method not in METHODS:
        raise PaymentError("method", "Choose cash, check or card.")
    if method == "cash":
        return reference[:60]
    digits = re.sub(r"[\s-]", "", reference)
    if method == "card" and _CARD_NUMBER.fullmatch(digits):
        raise PaymentError("reference", "Never type a whole card number: enter the last four digits or the "
                                        "authorization code from the card slip.")
    if not reference:
        what = "the check number" if method == "check" else "the last four digits or the authorization code"
        raise PaymentError("reference", f"Enter {what}.")
    if not _REFERENCE.fullmatch(reference):
        raise PaymentError("reference", "Use letters, digits, spaces and # / . - only (at most 40).")
    return reference


def _check_amount(amount_cents: int | None) -> int:
    if amount_cents is None or amount_cents <= 0:
        raise PaymentError("amount", "Enter an amount more than $0.00.")
    if amount_cents > MAX_CENTS:
        raise PaymentError("amount", f"The amount is more than {format_cents(MAX_CENTS)}: check it.")
    return amount_cents


def _check_date(day: dt.date | None) -> dt.date:
    today = settings.today()
    day = day or today
    if day > today:
        raise PaymentError("received_on", "The date cannot be in the future.")
    if day < today - dt.timedelta(days=365):
        raise PaymentError("received_on", "The date is more than a year ago: check it.")
    return day


def check_location(location_id: int | None) -> int | None:
    """The office that took the payment: an active core location, or None (the practice as a whole).

    :raises PaymentError: no such active location.
    """
    if location_id is None:
        return None
    if not Location.select().where((Location.id == location_id) & (Location.active == True)).exists():  # noqa: E712
        raise PaymentError("location", "Choose one of the practice's offices.")
    return location_id


def _patient(patient_id: int) -> Patient:
    patient = Patient.get_or_none(Patient.id == patient_id)
    if patient is None:
        raise PaymentError("patient", "There is no such patient.")
    return patient


def allocate(amount_cents: int, open_lines: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], int]:
    """Split a payment over open lines in order: ([(line id, cents)], cents left over as credit)."""
    parts, left = [], amount_cents
    for line_id, owed in open_lines:
        if left <= 0:
            break
        share = min(owed, left)
        parts.append((line_id, share))
        left -= share
    return parts, left


_EVENT_COLUMNS = (LineTransaction.id, LineTransaction.amount_cents, LineTransaction.patient_id,
                  LineTransaction.reverses)


def _insert(rows: list[dict], events: list, name: str, method: str, day: dt.date, now: dt.datetime,
            reference: str, sign: int, location_id: int | None = None) -> None:
    """Write ledger entries and queue one event per entry; ``sign`` turns the entry into the event's amount and
    ``location_id`` is the office whose desk it was (payments' events carry it)."""
    stored = LineTransaction.insert_many(rows).returning(*_EVENT_COLUMNS).tuples().execute()
    for tx_id, amount, patient_id, reverses in stored:
        payload = {"transaction_id": tx_id, "patient_id": patient_id, "payer_id": None, "amount_cents": sign * amount,
                   "party": "patient", "method": method, "effective_date": day, "posted_at": now,
                   "reference": reference}
        if name == "billing.payment_posted":
            payload.update(claim_id=None, reverses_transaction_id=reverses, location_id=location_id)
        events.append((name, payload))


def post_payment(patient_id: int, amount_cents: int, method: str, reference: str = "",
                 received_on: dt.date | None = None, memo: str = "", toward_plan: bool = True,
                 location_id: int | None = None) -> PatientPayment:
    """Take a patient's payment: apply it to the oldest open charges, keep the rest as credit.

    One transaction, its events published in it.
    :param toward_plan: count it toward the patient's active payment plan (when there is one).
    :param location_id: the office whose desk took it (None: the practice as a whole).
    :raises PaymentError: a bad amount, method, reference, office or date (or a day finance closed), or no such
        patient.
    """
    if db.in_transaction():
        raise RuntimeError("post_payment commits its own transaction; call it outside one")
    with transaction():
        payment, events = record_payment(patient_id, amount_cents, method, reference, received_on, memo, toward_plan,
                                         location_id)
        publish_all(events)
    return PatientPayment.get_by_id(payment.id)


def record_payment(patient_id: int, amount_cents: int, method: str, reference: str = "",
                   received_on: dt.date | None = None, memo: str = "", toward_plan: bool = True,
                   location_id: int | None = None) -> tuple[PatientPayment, list[tuple[str, dict]]]:
    """``post_payment`` inside the caller's transaction: returns the receipt and the events, which the
    caller publishes in that transaction (``medoffice.events.publish_all``)."""
    _patient(patient_id)
    amount_cents = _check_amount(amount_cents)
    reference = check_reference(method, reference)
    day = _check_date(received_on)
    location_id = check_location(location_id)
    if closed_days.is_closed(day, location_id):
        raise PaymentError("received_on", f"Finance closed {day.isoformat()}: its desk payments were counted and "
                                          "deposited. Date the payment today, or ask for the day to be reopened.")
    memo = (memo or "").strip()[:200]
    user_id, username = acting_user()
    events: list[tuple[str, dict]] = []
    with transaction():
        ledger.lock_account(patient_id)
        number = receipt_number(numbering.allocate(RECEIPT_COUNTER))
        now = utcnow()
        parts, credit = allocate(amount_cents, ledger.open_patient_lines(patient_id))
        plan = plans.active_plan(patient_id) if toward_plan else None
        payment = PatientPayment.create(
            receipt_number=number, kind="payment", patient_id=patient_id, amount_cents=amount_cents,
            applied_cents=amount_cents - credit, method=method, reference=reference, received_on=day,
            location_id=location_id, memo=memo, plan=plan, user_id=user_id, username=username, posted_at=now)
        base = {"kind": "patient_payment", "party": "patient", "patient_id": patient_id, "method": method,
                "source": "desk", "reference": number, "effective_date": day, "posted_at": now,
                "posted_by_user_id": user_id}
        rows = [{**base, "service_line": line_id, "amount_cents": -share, "memo": "patient payment"}
                for line_id, share in parts]
        if credit:
            rows.append({**base, "service_line": None, "amount_cents": -credit, "memo": "credit on account"})
        _insert(rows, events, "billing.payment_posted", method, day, now, number, -1, location_id)
        audit.record("billing.payment.post", "billing_patient_payment", payment.id, patient_id=patient_id,
                     detail={"receipt": number, "amount_cents": amount_cents, "method": method,
                             "applied_cents": amount_cents - credit, "credit_cents": credit,
                             "plan_id": plan.id if plan else None})
        aging.refresh_patient(patient_id, settings.today())
        if plan is not None:
            plans.complete_if_paid(plan.id)
    return payment, events


def void_payment(payment: PatientPayment, reason: str) -> PatientPayment:
    """Undo a payment taken by mistake: its ledger entries are reversed and the receipt marked void.

    :raises PaymentError: no reason, a refund, a receipt voided already, or one of a day finance closed.
    """
    if db.in_transaction():
        raise RuntimeError("void_payment commits its own transaction; call it outside one")
    reason = (reason or "").strip()
    payment = PatientPayment.get_by_id(payment.id)
    if payment.kind != "payment":
        raise PaymentError("reason", "A refund cannot be voided: the money went out. Take a payment instead.")
    if payment.voided_at is not None:
        raise PaymentError("reason", f"Receipt {payment.receipt_number} was voided already.")
    if not reason:
        raise PaymentError("reason", "Say why the payment is voided.")
    if closed_days.is_closed(payment.received_on, payment.location_id):
        raise PaymentError("reason", f"Finance closed {payment.received_on.isoformat()}: this payment was counted and "
                                     "deposited. Refund the patient instead, or ask for the day to be reopened.")
    user_id, username = acting_user()
    events: list[tuple[str, dict]] = []
    with transaction():
        ledger.lock_account(payment.patient_id)
        # The conditional update makes a double submit void once.
        if not PatientPayment.update(voided_at=utcnow(), voided_by=username, void_reason=reason[:200]).where(
                (PatientPayment.id == payment.id) & PatientPayment.voided_at.is_null()).execute():
            raise PaymentError("reason", f"Receipt {payment.receipt_number} was voided already.")
        now, day = utcnow(), settings.today()
        originals = list(LineTransaction.select().where(
            (LineTransaction.patient_id == payment.patient_id) & (LineTransaction.reference == payment.receipt_number)
            & (LineTransaction.source == "desk") & LineTransaction.reverses.is_null()))
        rows = [{"kind": row.kind, "party": row.party, "patient_id": row.patient_id, "service_line": row.service_line_id,
                 "amount_cents": -row.amount_cents, "method": row.method, "source": "desk",
                 "reference": payment.receipt_number, "effective_date": day, "posted_at": now,
                 "posted_by_user_id": user_id, "reverses": row.id, "memo": f"void: {reason}"[:200]}
                for row in originals]
        if rows:
            _insert(rows, events, "billing.payment_posted", payment.method, day, now, payment.receipt_number, -1,
                    payment.location_id)
        audit.record("billing.payment.void", "billing_patient_payment", payment.id, patient_id=payment.patient_id,
                     detail={"receipt": payment.receipt_number, "amount_cents": payment.amount_cents,
                             "reason": reason[:200]})
        aging.refresh_patient(payment.patient_id, day)
        publish_all(events)
    return PatientPayment.get_by_id(payment.id)


def refund(patient_id: int, amount_cents: int, method: str, reference: str, reason: str) -> PatientPayment:
    """Pay a patient's credit back (a receipt of kind refund and a refund entry on the account).

    :raises PaymentError: more than the credit, no reason, or a bad method or reference.
    """
    if db.in_transaction():
        raise RuntimeError("refund commits its own transaction; call it outside one")
    _patient(patient_id)
    amount_cents = _check_amount(amount_cents)
    reference = check_reference(method, reference)
    reason = (reason or "").strip()
    if not reason:
        raise PaymentError("reason", "Say why the money goes back (overpayment, insurance paid later...).")
    user_id, username = acting_user()
    events: list[tuple[str, dict]] = []
    with transaction():
        ledger.lock_account(patient_id)
        credit = ledger.patient_balances(patient_id).credit_cents
        if amount_cents > credit:
            raise PaymentError("amount", f"The patient has {format_cents(credit)} of credit: refund at most that.")
        number = receipt_number(numbering.allocate(RECEIPT_COUNTER))
        now, day = utcnow(), settings.today()
        payment = PatientPayment.create(
            receipt_number=number, kind="refund", patient_id=patient_id, amount_cents=amount_cents, method=method,
            reference=reference, received_on=day, memo=reason[:200], user_id=user_id, username=username,
            posted_at=now)
        _insert([{"kind": "refund", "party": "patient", "patient_id": patient_id, "service_line": None,
                  "amount_cents": amount_cents, "method": method, "source": "desk", "reference": number,
                  "effective_date": day, "posted_at": now, "posted_by_user_id": user_id,
                  "memo": f"refund: {reason}"[:200]}],
                events, "billing.refund_posted", method, day, now, number, 1)
        audit.record("billing.refund.post", "billing_patient_payment", payment.id, patient_id=patient_id,
                     detail={"receipt": number, "amount_cents": amount_cents, "method": method, "reason": reason[:200]})
        aging.refresh_patient(patient_id, day)
        publish_all(events)
    return PatientPayment.get_by_id(payment.id)


def apply_credit(patient_id: int) -> int:
    """Apply the account's unapplied credit to its open charges, oldest first; returns the cents applied.

    No money moves, so no event is published; the move is two entries per line (credit used, charge paid).
    """
    user_id, _ = acting_user()
    now, day = utcnow(), settings.today()
    with transaction():
        ledger.lock_account(patient_id)
        unapplied = -int(LineTransaction.select(fn.COALESCE(fn.SUM(LineTransaction.amount_cents), 0)).where(
            (LineTransaction.patient_id == patient_id) & (LineTransaction.party == "patient")
            & LineTransaction.service_line.is_null()).scalar() or 0)
        parts, _left = allocate(unapplied, ledger.open_patient_lines(patient_id)) if unapplied > 0 else ([], 0)
        applied = sum(share for _line, share in parts)
        if not applied:
            return 0
        base = {"kind": "patient_payment", "party": "patient", "patient_id": patient_id, "source": "desk",
                "reference": "credit", "effective_date": day, "posted_at": now, "posted_by_user_id": user_id}
        rows = [{**base, "service_line": None, "amount_cents": applied, "memo": "credit applied to charges"}]
        rows += [{**base, "service_line": line_id, "amount_cents": -share, "memo": "paid from credit on account"}
                 for line_id, share in parts]
        LineTransaction.insert_many(rows).execute()
        audit.record("billing.credit.apply", "patient", patient_id, patient_id=patient_id,
                     detail={"applied_cents": applied, "lines": len(parts)})
        aging.refresh_patient(patient_id, day)
    return applied


# --- Reading --------------------------------------------------------------------------------------------

def allocations(payment: PatientPayment) -> list[tuple[LineTransaction, ServiceLine | None]]:
    """The ledger entries a receipt made, with the service lines they paid (credit has none)."""
    rows = (LineTransaction.select(LineTransaction, ServiceLine)
            .join(ServiceLine, JOIN.LEFT_OUTER)
            .where((LineTransaction.patient_id == payment.patient_id)
                   & (LineTransaction.reference == payment.receipt_number)
                   & (LineTransaction.source == "desk") & LineTransaction.reverses.is_null())
            .order_by(LineTransaction.id))
    return [(row, row.service_line if row.service_line_id else None) for row in rows]


def _end_of_day_query():
    is_payment = PatientPayment.kind == "payment"
    is_refund = PatientPayment.kind == "refund"
    cents = PatientPayment.amount_cents
    user = fn.COALESCE(User.full_name, PatientPayment.username)
    return (PatientPayment.select(
        user.alias("user"), PatientPayment.method,
        fn.SUM(Case(None, [(is_payment, 1)], 0)).alias("payments"),
        fn.SUM(Case(None, [(is_payment, cents)], 0)).alias("payment_cents"),
        fn.SUM(Case(None, [(is_refund, 1)], 0)).alias("refunds"),
        fn.SUM(Case(None, [(is_refund, cents)], 0)).alias("refund_cents"),
        fn.SUM(Case(None, [(is_refund, 0 - cents)], cents)).alias("net_cents"))
        .join(User, JOIN.LEFT_OUTER, on=(User.id == PatientPayment.user_id))
        .where(PatientPayment.received_on.between(slot("start"), slot("end")) & PatientPayment.voided_at.is_null())
        .group_by(user, PatientPayment.method)
        .order_by(user, PatientPayment.method)
        .dicts())


_END_OF_DAY = _end_of_day_query()  # the desk page and its widget run it on every view: compiled once


def end_of_day(start: dt.date, end: dt.date | None = None) -> list[dict]:
    """Desk payments and refunds per user and method between two dates (voided receipts left out).

    Dicts of user (name), method, payments (count), payment_cents, refunds (count), refund_cents, net_cents.
    Kept per process until a payment or a user changes (the desk page and its widget show it on every view).
    """
    end = end or start
    return kept((PAYMENTS.key, ACCESS_KEY), ("end of day", start, end),
                lambda: list(prepared.run(_END_OF_DAY, "billing.end_of_day", start=start, end=end)))

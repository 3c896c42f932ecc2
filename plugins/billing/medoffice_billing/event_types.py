"""The events billing publishes for other plugins (finance, marketing, reports...).

Each is published inside the transaction that writes the ledger entry it reports, one event
per entry, so it exists if and only if the entry committed (``medoffice.events``). Values are
plain: amounts in integer cents, dates, aware UTC timestamps, ids as integers (plugins never
import each other's models). Another plugin consumes them with a ``Subscription``.

Fields shared by the ledger events:

- ``transaction_id``: the ``billing_line_transaction`` id of the entry.
- ``patient_id``: the core patient id.
- ``payer_id``: the billing payer id, or None (a patient's own money, a desk entry).
- ``claim_id``: the billing claim id the entry belongs to, or None.
- ``effective_date``: the business date: the payment (check, EFT or desk) date, the remittance
  or posting date, the date of service for charges.
- ``posted_at``: when it was posted (aware UTC timestamp).
- ``reference``: the check or EFT trace number, the receipt number, or a note reference.
- ``party``: ``"insurance"`` or ``"patient"``: whose balance the entry changed.
- ``reverses_transaction_id``: the entry this one undoes (an 835 reversal, a voided desk payment),
  or None.
"""
from __future__ import annotations

from medoffice.events import EventType

_LEDGER = {"transaction_id": "int", "patient_id": "int", "payer_id": "int?", "claim_id": "int?",
           "effective_date": "date", "posted_at": "timestamp", "reference": "str", "party": "str",
           "reverses_transaction_id": "int?"}

_PAYMENT = {**_LEDGER, "amount_cents": "cents", "method": "str"}
_RECEIVED = ("Money was received: a payer's payment (835) or a patient's payment at the desk was posted. "
             "amount_cents is the amount received, negative when a payment is taken back (an 835 reversal, "
             "a voided receipt); method is cash, check, card or eft ('' when unknown).")
PAYMENT_POSTED_V1 = EventType("billing.payment_posted", 1, _PAYMENT, _RECEIVED)
PAYMENT_POSTED = EventType("billing.payment_posted", 2, {**_PAYMENT, "location_id": "int?"}, _RECEIVED + (
    " location_id is the core location (office) whose desk took a patient's payment, or None (a payer's "
    "payment; version 1, before desks kept their office, had no location_id)."))

ADJUSTMENT_POSTED = EventType("billing.adjustment_posted", 1, {
    **_LEDGER, "amount_cents": "cents", "kind": "str", "group_code": "str", "carc": "str"}, (
    "A balance was reduced or moved without money: a contractual adjustment, a write-off (835 OA, or "
    "bad debt at the desk) or a transfer. amount_cents is the signed effect on the balance (negative "
    "reduces it; an entry that undoes an earlier one has the opposite sign); kind is adjustment, "
    "writeoff or transfer; group_code the CAS group (CO, PR, OA, PI, CR) or ''; carc the claim "
    "adjustment reason code or ''. A transfer posts one entry for each side: insurance to patient, "
    "or insurance to insurance when it moves on to the next payer."))

REFUND_POSTED = EventType("billing.refund_posted", 1, {
    "transaction_id": "int", "patient_id": "int", "payer_id": "int?", "amount_cents": "cents", "party": "str",
    "method": "str", "effective_date": "date", "posted_at": "timestamp", "reference": "str"}, (
    "Money went back out: an overpayment was refunded to a patient (payer_id None) or a payer. "
    "amount_cents is positive; party says whose credit it used; reference is the refund check number "
    "or card reversal reference."))

PROVIDER_ADJUSTMENT_POSTED = EventType("billing.provider_adjustment_posted", 1, {
    "adjustment_id": "int", "payer_id": "int", "amount_cents": "cents", "reason_code": "str", "reference": "str",
    "provider_identifier": "str", "effective_date": "date", "posted_at": "timestamp"}, (
    "A payer adjusted its payment at the provider level (835 PLB), not for any one patient; a payer's "
    "deposit is its claim payments minus these amounts. adjustment_id is the billing_provider_adjustment "
    "id; amount_cents is positive when it reduced the payment (an overpayment recovered), negative when "
    "it added to it (interest); reason_code the PLB reason (WO, L6, FB...); reference the payer's "
    "reference or ''; provider_identifier the provider adjusted (PLB01, usually the NPI)."))

_CHARGE = {"transaction_id": "int", "patient_id": "int", "encounter_id": "int", "service_line_id": "int",
           "amount_cents": "cents", "party": "str", "effective_date": "date", "posted_at": "timestamp",
           "location_id": "int?", "rendering_provider_id": "int?"}

CHARGE_POSTED = EventType("billing.charge_posted", 1, _CHARGE, (
    "A charge reached the ledger (the encounter was posted) or a posted line's charge changed: "
    "amount_cents is the entry (positive for a new charge, the signed difference for a change); "
    "effective_date is the date of service; party is whom it is billed to; location_id and "
    "rendering_provider_id are core ids (or None) for revenue by site and provider."))

CHARGE_VOIDED = EventType("billing.charge_voided", 1, _CHARGE, (
    "A posted service line was removed: its charge came off the ledger. amount_cents is the negative "
    "entry that cancels what was charged; the other fields as for billing.charge_posted."))

EVENT_TYPES = [PAYMENT_POSTED_V1, PAYMENT_POSTED, ADJUSTMENT_POSTED, REFUND_POSTED, PROVIDER_ADJUSTMENT_POSTED,
               CHARGE_POSTED, CHARGE_VOIDED]

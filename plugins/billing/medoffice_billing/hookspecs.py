"""Events the billing plugin publishes for other plugins (finance, marketing, reports...).

Billing registers these through ``medoffice_add_hookspecs``; another plugin subscribes by
writing a ``@hookimpl`` with the same name (taking any subset of the arguments). Every call
happens after the ledger entries were committed, once per posted entry, with plain values:
amounts in integer cents, dates as ``datetime.date``, ids as integers (plugins never import
each other's models).
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("medoffice")


@hookspec
def billing_payment_posted(transaction_id, patient_id, payer_id, claim_id, amount_cents, party,
                           method, effective_date, posted_at, reference):
    """Money was received: a payer's payment or a patient's payment was posted.

    :param transaction_id: the ``billing_line_transaction`` id of the entry.
    :param patient_id: the core patient id.
    :param payer_id: the billing payer id, or None for a patient's own payment.
    :param claim_id: the billing claim id the payment applies to, or None.
    :param amount_cents: the amount received in cents; negative when a payment is taken back
        (the entry reverses an earlier one, e.g. an 835 reversal).
    :param party: ``"insurance"`` or ``"patient"`` (whose balance it reduced).
    :param method: ``cash``, ``check``, ``card`` or ``eft`` (``""`` when unknown).
    :param effective_date: the payment (check, EFT or desk) date.
    :param posted_at: when it was posted (aware UTC timestamp).
    :param reference: the check or EFT trace number, or the receipt number.
    """


@hookspec
def billing_adjustment_posted(transaction_id, patient_id, payer_id, claim_id, amount_cents, kind,
                              group_code, carc, effective_date, posted_at, reference, party):
    """A balance was reduced or moved without money: a contractual adjustment, write-off or transfer.

    :param transaction_id: the ``billing_line_transaction`` id of the entry.
    :param patient_id: the core patient id.
    :param payer_id: the payer whose remittance caused it, or None.
    :param claim_id: the billing claim id, or None.
    :param amount_cents: the signed effect on the balance in cents (negative reduces it); an entry
        that undoes an earlier one (an 835 reversal) has the opposite sign of the original.
    :param kind: ``adjustment``, ``writeoff`` or ``transfer``.
    :param group_code: the CAS group code (CO, PR, OA, PI, CR) or ``""``.
    :param carc: the claim adjustment reason code or ``""``.
    :param effective_date: the remittance or posting date.
    :param posted_at: when it was posted (aware UTC timestamp).
    :param reference: the remittance trace number or a note reference.
    :param party: ``"insurance"`` or ``"patient"``: whose balance changed (a transfer posts one
        entry for each side, or insurance to insurance when it moves on to the next payer).
    """


@hookspec
def billing_refund_posted(transaction_id, patient_id, payer_id, amount_cents, party, method,
                          effective_date, posted_at, reference):
    """Money went back out: an overpayment was refunded to a patient or a payer.

    :param transaction_id: the ``billing_line_transaction`` id of the entry.
    :param patient_id: the core patient id.
    :param payer_id: the payer refunded, or None when the patient was refunded.
    :param amount_cents: the amount refunded, a positive number of cents.
    :param party: ``"insurance"`` or ``"patient"`` (whose credit it used).
    :param method: ``cash``, ``check``, ``card`` or ``eft``.
    :param effective_date: the date the refund was issued.
    :param posted_at: when it was posted (aware UTC timestamp).
    :param reference: the refund check number or card reversal reference.
    """


@hookspec
def billing_provider_adjustment_posted(adjustment_id, payer_id, amount_cents, reason_code, reference,
                                       provider_identifier, effective_date, posted_at):
    """A payer adjusted its payment at the provider level (835 PLB), not for any one patient.

    A payer's deposit is its claim payments minus these amounts.
    :param adjustment_id: the ``billing_provider_adjustment`` id.
    :param payer_id: the billing payer id.
    :param amount_cents: positive when it reduced the payment (an overpayment recovered, say),
        negative when it added to it (interest).
    :param reason_code: the PLB reason (WO overpayment recovery, L6 interest, FB forwarding balance...).
    :param reference: the payer's reference for the adjustment (often a claim number), or ``""``.
    :param provider_identifier: the provider the payer adjusted (PLB01, usually the NPI).
    :param effective_date: the remittance's payment date.
    :param posted_at: when it was posted (aware UTC timestamp).
    """

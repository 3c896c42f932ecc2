"""Shared set-up for the finance tests: publishing billing-like events and small journal helpers.

Imported by the finance test modules (pytest puts this folder on ``sys.path``). The events are
published under billing's declared event types (billing installed), exactly as billing writes them,
so finance is tested through the durable event log without importing billing.
"""
from __future__ import annotations

import datetime as dt
import itertools

from medoffice.db import transaction, utcnow
from medoffice.events import publish

from medoffice_finance.journal import LineInput
from medoffice_finance.models import Account

_ids = itertools.count(1)
DAY = dt.date(2026, 3, 10)


def account(number: str) -> int:
    """The id of the account with that number."""
    return Account.get(Account.number == number).id


def lines(*pairs) -> list[LineInput]:
    """Lines from (account number, signed cents): positive debits, negative credits."""
    return [LineInput(account(n), debit_cents=max(c, 0), credit_cents=max(-c, 0)) for n, c in pairs]


def _ledger(party: str, day: dt.date, reverses: int | None = None) -> dict:
    return {"transaction_id": next(_ids), "patient_id": 1, "payer_id": 7 if party == "insurance" else None,
            "claim_id": None, "effective_date": day, "posted_at": utcnow(), "reference": "R0001", "party": party,
            "reverses_transaction_id": reverses}


def payment(amount: int, party: str = "patient", method: str = "cash", day: dt.date = DAY,
            location_id: int | None = None) -> tuple[str, dict]:
    """A billing.payment_posted event (``location_id``: the office whose desk took it)."""
    return "billing.payment_posted", {**_ledger(party, day), "amount_cents": amount, "method": method,
                                      "location_id": location_id}


def adjustment(amount: int, kind: str = "adjustment", party: str = "insurance", group: str = "CO",
               day: dt.date = DAY) -> tuple[str, dict]:
    """A billing.adjustment_posted event (negative amounts reduce the balance)."""
    return "billing.adjustment_posted", {**_ledger(party, day), "amount_cents": amount, "kind": kind,
                                         "group_code": group, "carc": "45" if group == "CO" else ""}


def charge(amount: int, party: str = "insurance", day: dt.date = DAY, voided: bool = False) -> tuple[str, dict]:
    """A billing.charge_posted (or charge_voided) event."""
    return ("billing.charge_voided" if voided else "billing.charge_posted",
            {"transaction_id": next(_ids), "patient_id": 1, "encounter_id": 1, "service_line_id": next(_ids),
             "amount_cents": amount, "party": party, "effective_date": day, "posted_at": utcnow(),
             "location_id": None, "rendering_provider_id": None})


def refund(amount: int, party: str = "patient", day: dt.date = DAY) -> tuple[str, dict]:
    """A billing.refund_posted event."""
    return "billing.refund_posted", {"transaction_id": next(_ids), "patient_id": 1,
                                     "payer_id": 7 if party == "insurance" else None, "amount_cents": amount,
                                     "party": party, "method": "check", "effective_date": day,
                                     "posted_at": utcnow(), "reference": "1001"}


def plb(amount: int, day: dt.date = DAY) -> tuple[str, dict]:
    """A billing.provider_adjustment_posted event (positive reduced the payer's payment)."""
    return "billing.provider_adjustment_posted", {"adjustment_id": next(_ids), "payer_id": 7, "amount_cents": amount,
                                                  "reason_code": "WO", "reference": "", "provider_identifier": "1",
                                                  "effective_date": day, "posted_at": utcnow()}


def publish_events(*events) -> None:
    """Publish events in one transaction (delivered to finance right after it commits)."""
    with transaction():
        for name, data in events:
            publish(name, data)

"""Posting rules: which accounts one billing event is booked to (pure logic; the rules are data).

A rule names an event type and conditions on its fields (basis of the books, party, method, kind,
CAS group code), each blank for "any". The matching rule with the most conditions set wins (ties: the
lowest id), so a general rule and its exceptions live side by side on the settings page.

Each event type has a *normal* sign: the rule's debit and credit take the amount in that direction
(a payment received, a charge billed, a balance reduced by an adjustment); an amount of the other
sign (a payment taken back, a voided charge, an adjustment undone) swaps them.
"""
from __future__ import annotations

from dataclasses import dataclass

# The sign that makes an event's amount_cents the rule's normal direction.
NORMAL_SIGN = {
    "billing.payment_posted": 1,
    "billing.adjustment_posted": -1,  # negative reduces the balance: that is the normal adjustment
    "billing.refund_posted": 1,
    "billing.provider_adjustment_posted": 1,  # positive reduced the payer's payment
    "billing.charge_posted": 1,
    "billing.charge_voided": 1,  # its amount is negative: it swaps the charge's accounts
}
BOOKED_EVENTS = tuple(NORMAL_SIGN)
CONDITIONS = ("party", "method", "kind", "group_code")
EVENT_TITLES = {
    "billing.payment_posted": "Payment received",
    "billing.adjustment_posted": "Adjustment, write-off or transfer",
    "billing.refund_posted": "Refund",
    "billing.provider_adjustment_posted": "Provider-level adjustment (PLB)",
    "billing.charge_posted": "Charge",
    "billing.charge_voided": "Charge removed",
}


@dataclass(frozen=True)
class RuleView:
    """What matching needs of a rule (the model row, or a plain value in tests)."""

    id: int
    event_name: str
    basis: str
    party: str = ""
    method: str = ""
    kind: str = ""
    group_code: str = ""
    books: bool = True
    debit_account_id: int | None = None
    credit_account_id: int | None = None


@dataclass(frozen=True)
class Posting:
    """Book ``amount_cents`` (positive) debiting one account and crediting another."""

    debit_account_id: int
    credit_account_id: int
    amount_cents: int


def specificity(rule) -> int:
    """How many conditions the rule sets (the basis counts as one when it is not "any")."""
    return (rule.basis != "any") + sum(1 for name in CONDITIONS if getattr(rule, name))


def matches(rule, event_name: str, fields: dict, basis: str) -> bool:
    """True when the rule applies to an event of ``event_name`` with ``fields`` under ``basis``."""
    if rule.event_name != event_name or rule.basis not in ("any", basis):
        return False
    return all(not getattr(rule, name) or str(fields.get(name) or "") == getattr(rule, name) for name in CONDITIONS)


def choose(rules, event_name: str, fields: dict, basis: str):
    """The rule that books this event: the most specific match, or None when no rule matches."""
    candidates = [r for r in rules if matches(r, event_name, fields, basis)]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (-specificity(r), r.id))


def posting(rule, event_name: str, amount_cents: int) -> Posting | None:
    """The debit, credit and positive amount a rule makes of an event's amount; None when nothing is booked
    (a rule that does not book, or an amount of zero)."""
    normal = amount_cents * NORMAL_SIGN[event_name]
    if not rule.books or normal == 0:
        return None
    if normal > 0:
        return Posting(rule.debit_account_id, rule.credit_account_id, normal)
    return Posting(rule.credit_account_id, rule.debit_account_id, -normal)

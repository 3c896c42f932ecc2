"""Posting rules: which accounts one billing or payroll event is booked to (pure logic; the rules are data).

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
    "hr.payroll_journal_line": 1,  # a correcting run's negative lines swap the accounts
}
BOOKED_EVENTS = tuple(NORMAL_SIGN)
BILLING_EVENTS = tuple(name for name in BOOKED_EVENTS if name.startswith("billing."))
PAYROLL_EVENTS = ("hr.payroll_journal_line",)
CONDITIONS = ("party", "method", "kind", "group_code")
EVENT_TITLES = {
    "billing.payment_posted": "Payment received",
    "billing.adjustment_posted": "Adjustment, write-off or transfer",
    "billing.refund_posted": "Refund",
    "billing.provider_adjustment_posted": "Provider-level adjustment (PLB)",
    "billing.charge_posted": "Charge",
    "billing.charge_voided": "Charge removed",
    "hr.payroll_journal_line": "Payroll",
}
# What a rule's "kind" condition can name: billing's adjustment kinds and the payroll journal's lines.
KIND_TITLES = {
    "adjustment": "Adjustment", "writeoff": "Write-off", "transfer": "Transfer",
    "net_pay": "Payroll: net pay", "employee_federal_income_tax": "Payroll: federal income tax withheld",
    "employee_social_security": "Payroll: social security withheld",
    "employee_medicare": "Payroll: Medicare withheld", "employee_additional_medicare": "Payroll: additional Medicare withheld",
    "employee_state_income_tax": "Payroll: state income tax withheld", "employee_401k": "Payroll: 401(k) deferral",
    "employee_section_125": "Payroll: section 125 deduction", "employee_post_tax": "Payroll: after-tax deduction",
    "employer_social_security": "Payroll: employer social security", "employer_medicare": "Payroll: employer Medicare",
    "employer_futa": "Payroll: federal unemployment (FUTA)", "employer_suta": "Payroll: state unemployment (SUTA)",
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

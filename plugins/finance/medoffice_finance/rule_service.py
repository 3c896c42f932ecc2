"""Editing posting rules (the settings page's service): checked, unique by their conditions, audited."""
from __future__ import annotations

from medoffice import audit
from medoffice.db import transaction, utcnow

from .models import Account, PostingRule
from .rules import BOOKED_EVENTS


class RuleError(ValueError):
    """A rule that cannot be saved; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


FIELDS = ("event_name", "basis", "party", "method", "kind", "group_code", "books", "debit_account",
          "credit_account", "description")


def _check(values: dict, rule: PostingRule | None) -> None:
    if values["event_name"] not in BOOKED_EVENTS:
        raise RuleError("Choose one of the events finance books.", "event_name")
    if values["books"]:
        for side in ("debit_account", "credit_account"):
            account = Account.get_or_none(Account.id == values[side]) if values[side] else None
            if account is None or not account.active:
                raise RuleError("Choose an active account.", side)
        if values["debit_account"] == values["credit_account"]:
            raise RuleError("Debit and credit must be different accounts.", "credit_account")
    else:
        values["debit_account"] = values["credit_account"] = None
    same = PostingRule.select().where(*[getattr(PostingRule, k) == values[k] for k in
                                        ("event_name", "basis", "party", "method", "kind", "group_code")])
    clash = same.first()
    if clash is not None and (rule is None or clash.id != rule.id):
        raise RuleError(f"Rule {clash.id} has these very conditions: edit that one.", "event_name")


def save_rule(values: dict, rule: PostingRule | None = None) -> PostingRule:
    """Create or update a rule from form values; it applies to events booked from now on (audited)."""
    values = {k: values[k] for k in FIELDS}
    _check(values, rule)
    with transaction():
        if rule is None:
            rule = PostingRule.create(**values)
            audit.record("finance.rule.create", "finance_posting_rule", rule.id, detail={"event": rule.event_name})
            return rule
        changes = {k: {"before": _plain(getattr(rule, k + "_id" if k.endswith("account") else k)),
                       "after": _plain(v)} for k, v in values.items()
                   if _plain(getattr(rule, k + "_id" if k.endswith("account") else k)) != _plain(v)}
        if changes:
            PostingRule.update(**values, updated_at=utcnow()).where(PostingRule.id == rule.id).execute()
            audit.record("finance.rule.update", "finance_posting_rule", rule.id, detail={"changes": changes})
    return PostingRule.get_by_id(rule.id)


def _plain(value):
    return value.id if isinstance(value, Account) else value


def delete_rule(rule: PostingRule) -> None:
    """Delete a rule (events already booked keep their entries)."""
    with transaction():
        rule.delete_instance()
        audit.record("finance.rule.delete", "finance_posting_rule", rule.id, detail={"event": rule.event_name})

"""The chart of accounts: adding, editing, deactivating and (while unused) deleting accounts."""
from __future__ import annotations

import re

from medoffice import audit
from medoffice.db import transaction

from .models import ACCOUNT_TYPES, Account, JournalLine, PostingRule

NUMBER = re.compile(r"^[0-9]{3,6}(-[0-9]{1,3})?$")


class ChartError(ValueError):
    """A change to the chart that is refused; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def is_used(account: Account) -> bool:
    """True once a journal line or a posting rule names the account (it can then only be deactivated)."""
    return (JournalLine.select().where(JournalLine.account == account.id).exists()
            or PostingRule.select().where((PostingRule.debit_account == account.id)
                                          | (PostingRule.credit_account == account.id)).exists())


def _check(values: dict, account: Account | None) -> None:
    if not NUMBER.match(values["number"]):
        raise ChartError("Use 3 to 6 digits, optionally followed by a dash and up to 3 digits (6400-1).", "number")
    clash = Account.get_or_none(Account.number == values["number"])
    if clash is not None and (account is None or clash.id != account.id):
        raise ChartError(f"Account {clash.label} already has that number.", "number")
    if values["type"] not in ACCOUNT_TYPES:
        raise ChartError("Choose the account's type.", "type")
    if account is not None and account.active and not values["active"] and PostingRule.select().where(
            (PostingRule.debit_account == account.id) | (PostingRule.credit_account == account.id)).exists():
        raise ChartError("A posting rule books billing's events to this account: change the rule first.", "active")
    if account is not None and values["type"] != account.type and JournalLine.select().where(
            JournalLine.account == account.id).exists():
        raise ChartError("The account has postings: its type cannot change (open a new account instead).", "type")


def save_account(values: dict, account: Account | None = None) -> Account:
    """Create an account or update one from form values (number, name, type, description, active); audited."""
    _check(values, account)
    with transaction():
        if account is None:
            account = Account.create(**values)
            audit.record("finance.account.create", "finance_account", account.id,
                         detail={"number": account.number, "name": account.name})
            return account
        changes = {k: {"before": getattr(account, k), "after": v} for k, v in values.items() if getattr(account, k) != v}
        if changes:
            Account.update(**values).where(Account.id == account.id).execute()
            audit.record("finance.account.update", "finance_account", account.id, detail={"changes": changes})
    return Account.get_by_id(account.id)


def delete_account(account: Account) -> None:
    """Delete an account nothing uses yet; a used one is deactivated instead."""
    if account.role:
        raise ChartError("The plugin's own bookings need this account: rename it or renumber it instead.")
    if is_used(account):
        raise ChartError("The account has been used: deactivate it instead of deleting it.")
    with transaction():
        account.delete_instance()
        audit.record("finance.account.delete", "finance_account", account.id,
                     detail={"number": account.number, "name": account.name})

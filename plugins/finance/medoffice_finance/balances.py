"""Account balances from posted lines, aggregated in SQL (one GROUP BY)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice import prepared
from peewee import fn

from .models import DEBIT_NORMAL, Account, AccountTotal, JournalEntry, JournalLine

CASH_BELOW = "1200"  # asset accounts numbered below are cash: bank, petty cash, money on its way to the bank


@dataclass(frozen=True)
class AccountBalance:
    """One account's posted debits and credits over a range, and its balance on its normal side."""

    account_id: int
    number: str
    name: str
    type: str
    debit_cents: int
    credit_cents: int

    @property
    def balance_cents(self) -> int:
        """Debits less credits for assets and expenses, credits less debits for the others."""
        net = self.debit_cents - self.credit_cents
        return net if self.type in DEBIT_NORMAL else -net


def account_balances(*, start: dt.date | None = None, end: dt.date | None = None, types=None,
                     exclude_kinds=(), account_ids=None, location_id: int | None = None) -> list[AccountBalance]:
    """Posted totals per account with any activity, in account-number order.

    :param start: first entry date counted (None: from the beginning); ``end`` the last (included).
    :param types: only accounts of these types; ``exclude_kinds`` leaves out entries of these kinds.
    :param location_id: only lines carrying this location.
    """
    debit = fn.COALESCE(fn.SUM(JournalLine.debit_cents), 0)
    credit = fn.COALESCE(fn.SUM(JournalLine.credit_cents), 0)
    query = (JournalLine.select(Account.id, Account.number, Account.name, Account.type,
                                debit.alias("debit_cents"), credit.alias("credit_cents"))
             .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
             .switch(JournalLine).join(Account, on=(JournalLine.account == Account.id))
             .where(JournalEntry.status == "posted")
             .group_by(Account.id, Account.number, Account.name, Account.type).order_by(Account.number))
    if start is not None:
        query = query.where(JournalEntry.entry_date >= start)
    if end is not None:
        query = query.where(JournalEntry.entry_date <= end)
    if types:
        query = query.where(Account.type.in_(list(types)))
    if exclude_kinds:
        query = query.where(JournalEntry.kind.not_in(list(exclude_kinds)))
    if account_ids is not None:
        query = query.where(Account.id.in_(list(account_ids)))
    if location_id is not None:
        query = query.where(JournalLine.location == location_id)
    return [AccountBalance(r["id"], r["number"], r["name"], r["type"], int(r["debit_cents"]),
                           int(r["credit_cents"])) for r in query.dicts()]


_TOTALS = (JournalLine.select(fn.COALESCE(fn.SUM(JournalLine.debit_cents), 0),
                              fn.COALESCE(fn.SUM(JournalLine.credit_cents), 0))
           .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
           .where(JournalEntry.status == "posted").tuples())


def journal_totals() -> tuple[int, int]:
    """All posted debits and all posted credits (equal in books that balance)."""
    debits, credits = next(iter(prepared.run(_TOTALS, "finance.journal_totals")))
    return int(debits), int(credits)


_KEPT_NET = AccountTotal.select(AccountTotal.account, AccountTotal.debit_cents - AccountTotal.credit_cents).tuples()


def posted_balances() -> dict[int, int]:
    """Every account's posted debits less credits, by account id (accounts without postings left out), from the
    totals ``post_entry`` keeps."""
    return {account: int(net) for account, net in prepared.run(_KEPT_NET, "finance.kept_net").cursor}

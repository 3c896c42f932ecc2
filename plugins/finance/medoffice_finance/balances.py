"""Account balances from posted lines, aggregated in SQL (one GROUP BY)."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from medoffice import prepared
from medoffice.prepared import slot
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


@functools.lru_cache(maxsize=32)
def _balances_query(since: bool, until: bool, types: tuple, exclude_kinds: tuple, by_location: bool):
    """The per-account totals query of one shape, the dates and location as slots (built once per shape)."""
    debit = fn.COALESCE(fn.SUM(JournalLine.debit_cents), 0)
    credit = fn.COALESCE(fn.SUM(JournalLine.credit_cents), 0)
    query = (JournalLine.select(Account.id, Account.number, Account.name, Account.type, debit, credit)
             .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
             .switch(JournalLine).join(Account, on=(JournalLine.account == Account.id))
             .where(JournalEntry.status == "posted")
             .group_by(Account.id, Account.number, Account.name, Account.type).order_by(Account.number).tuples())
    if since:
        query = query.where(JournalEntry.entry_date >= slot("start"))
    if until:
        query = query.where(JournalEntry.entry_date <= slot("end"))
    if types:
        query = query.where(Account.type.in_(list(types)))
    if exclude_kinds:
        query = query.where(JournalEntry.kind.not_in(list(exclude_kinds)))
    if by_location:
        query = query.where(JournalLine.location == slot("location"))
    return query


def account_balances(*, start: dt.date | None = None, end: dt.date | None = None, types=None,
                     exclude_kinds=(), account_ids=None, location_id: int | None = None) -> list[AccountBalance]:
    """Posted totals per account with any activity, in account-number order (one GROUP BY, compiled once per
    shape).

    :param start: first entry date counted (None: from the beginning); ``end`` the last (included).
    :param types: only accounts of these types; ``exclude_kinds`` leaves out entries of these kinds.
    :param location_id: only lines carrying this location.
    """
    shape = (start is not None, end is not None, tuple(types or ()), tuple(exclude_kinds), location_id is not None)
    query, key = _balances_query(*shape), ("finance.account_balances", *shape)
    if account_ids is not None:
        query, key = query.where(Account.id.in_(list(account_ids))), None
    rows = prepared.run(query, key, start=start, end=end, location=location_id).cursor  # plain values: read raw
    return [AccountBalance(account, number, name, type_, int(debit), int(credit))
            for account, number, name, type_, debit, credit in rows]


_TOTALS = (JournalLine.select(fn.COALESCE(fn.SUM(JournalLine.debit_cents), 0),
                              fn.COALESCE(fn.SUM(JournalLine.credit_cents), 0))
           .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
           .where(JournalEntry.status == "posted").tuples())


def journal_totals() -> tuple[int, int]:
    """All posted debits and all posted credits (equal in books that balance)."""
    debits, credits = next(iter(prepared.run(_TOTALS, "finance.journal_totals")))
    return int(debits), int(credits)


_KEPT_TOTALS = AccountTotal.select(fn.COALESCE(fn.SUM(AccountTotal.debit_cents), 0),
                                   fn.COALESCE(fn.SUM(AccountTotal.credit_cents), 0)).tuples()


def kept_totals() -> tuple[int, int]:
    """All posted debits and all posted credits, from the totals ``post_entry`` keeps per account (26 rows, not
    every posted line): the same figures as ``journal_totals`` while the kept totals are right."""
    debits, credits = next(iter(prepared.run(_KEPT_TOTALS, "finance.kept_totals")))
    return int(debits), int(credits)


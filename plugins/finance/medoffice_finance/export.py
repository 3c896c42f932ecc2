"""Exports for the accountant: the general journal as CSV, and as a beancount ledger.

Both stream posted entries in date order from one query over the lines (entries and accounts joined).
The beancount file opens every account it uses, writes each entry as a transaction (debits positive,
credits negative, in USD) and is accepted by ``bean-check``; its balances are the trial balance's.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import TextIO

from medoffice.csvexport import Cents, CsvWriter
from medoffice.money import cents_to_decimal

from .models import Account, JournalEntry, JournalLine

BEANCOUNT_ROOTS = {"asset": "Assets", "liability": "Liabilities", "equity": "Equity", "revenue": "Income",
                   "expense": "Expenses"}
CSV_HEADER = ["entry", "date", "kind", "memo", "account", "account_name", "debit", "credit", "line_memo"]


def _lines(start: dt.date | None, end: dt.date | None):
    query = (JournalLine.select(JournalLine, JournalEntry, Account)
             .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
             .switch(JournalLine).join(Account, on=(JournalLine.account == Account.id))
             .where(JournalEntry.status == "posted")
             .order_by(JournalEntry.entry_date, JournalEntry.id, JournalLine.id))
    if start is not None:
        query = query.where(JournalEntry.entry_date >= start)
    if end is not None:
        query = query.where(JournalEntry.entry_date <= end)
    return query.iterator()


def write_csv(out: TextIO, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """The general journal, one row per line (money as numbers); returns the number of lines written."""
    writer = CsvWriter(out)
    writer.writerow(CSV_HEADER)
    count = 0
    for line in _lines(start, end):
        entry, account = line.entry, line.account
        writer.writerow([entry.id, entry.entry_date, entry.kind, entry.memo, account.number, account.name,
                         Cents(line.debit_cents), Cents(line.credit_cents), line.memo])
        count += 1
    return count


def beancount_account(account: Account) -> str:
    """``Assets:A1100-Undeposited-funds``: the type's root, then the number and name as one component."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", account.name).strip("-") or "Account"
    return f"{BEANCOUNT_ROOTS[account.type]}:A{account.number.replace('-', '')}-{slug}"


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def write_beancount(out: TextIO, start: dt.date | None = None, end: dt.date | None = None) -> int:
    """The journal as a beancount ledger; returns the number of transactions written."""
    entries, opened = [], {}
    current, postings = None, []
    for line in _lines(start, end):
        if current is None or line.entry.id != current.id:
            if current is not None:
                entries.append((current, postings))
            current, postings = line.entry, []
        name = beancount_account(line.account)
        opened.setdefault(name, current.entry_date)
        postings.append((name, line.debit_cents - line.credit_cents))
    if current is not None:
        entries.append((current, postings))
    out.write('option "operating_currency" "USD"\n\n')
    for name, day in sorted(opened.items()):
        out.write(f"{day.isoformat()} open {name} USD\n")
    for entry, lines in entries:
        out.write(f"\n{entry.entry_date.isoformat()} * {_quoted(f'Entry {entry.id}')} {_quoted(entry.memo)}\n")
        out.write(f'  finance_entry: "{entry.id}"\n  finance_kind: "{entry.kind}"\n')
        for name, cents in lines:
            out.write(f"  {name}  {cents_to_decimal(cents)} USD\n")
    return len(entries)

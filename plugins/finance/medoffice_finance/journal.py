"""The double-entry journal: posting balanced entries and reversing them.

Every posting goes through ``post_entry``: the lines are checked here first (a clear message naming
what is wrong), then written as a draft and posted in one transaction, where the database's own
triggers check again that the entry balances, that its month is open, and afterwards that nothing
changes it. Both layers on purpose: the code gives the user a sentence; the triggers hold for any
other writer (a script, a later bug) on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw
from medoffice import audit
from medoffice.bulk import insert_rows, reserve_ids
from medoffice.db import transaction, utcnow
from medoffice.limits import EARLIEST_DATE, LATEST_DATE
from medoffice.money import format_cents

from .actor import acting_user
from .models import Account, AccountTotal, JournalEntry, JournalLine, Period
from .periods import ensure_periods

KINDS = {"manual": "Manual", "opening": "Opening balances", "billing": "Billing", "reversal": "Reversal",
         "closing": "Year-end close", "deposit": "Deposit", "bank": "Bank line", "bill": "Bill",
         "bill_payment": "Bill payment", "hr": "Payroll"}


class JournalError(ValueError):
    """An entry that cannot be posted, with a message for the user (``line``: the 0-based line at fault)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class LineInput:
    """One line to post: a debit or a credit (cents) on an account."""

    account_id: int
    debit_cents: int = 0
    credit_cents: int = 0
    memo: str = ""
    location_id: int | None = None
    budget_line_id: int | None = None


@dataclass(frozen=True)
class EntryInput:
    """One entry to post with ``post_entries``: its date, memo, lines, kind and the audit entry's extra facts."""

    entry_date: dt.date
    memo: str
    lines: list[LineInput]
    kind: str = "manual"
    audit_detail: dict | None = None


def check_lines(lines: list[LineInput]) -> int:
    """Check that lines make a balanced entry; returns the total debited.

    :raises JournalError: fewer than two lines, a line that is not exactly one positive debit or
        credit, or debits that differ from credits.
    """
    for number, line in enumerate(lines):
        if line.debit_cents < 0 or line.credit_cents < 0:
            raise JournalError(f"Line {number + 1}: amounts cannot be negative; use the other column.", number)
        if (line.debit_cents > 0) == (line.credit_cents > 0):
            raise JournalError(f"Line {number + 1}: enter either a debit or a credit, not both or neither.", number)
    if len(lines) < 2:
        raise JournalError("An entry needs at least two lines: what is debited and what is credited.")
    debits = sum(line.debit_cents for line in lines)
    credits = sum(line.credit_cents for line in lines)
    if debits != credits:
        raise JournalError(f"The entry does not balance: debits {format_cents(debits)}, credits "
                           f"{format_cents(credits)} (a difference of {format_cents(abs(debits - credits))}).")
    return debits


def _check_accounts(entries: list[EntryInput]) -> None:
    wanted = {line.account_id for entry in entries for line in entry.lines}
    found = {a.id: a for a in Account.select().where(Account.id.in_(list(wanted)))}
    for entry in entries:
        prefix = f"Entry {entry.memo[:60]!r}: " if len(entries) > 1 else ""
        for number, line in enumerate(entry.lines):
            account = found.get(line.account_id)
            if account is None:
                raise JournalError(f"{prefix}Line {number + 1}: there is no such account.", number)
            if not account.active:
                raise JournalError(f"{prefix}Line {number + 1}: account {account.label} is inactive.", number)


def guard_message(exc: pw.IntegrityError) -> str:
    """The sentence of one of the database's finance guards (or a generic one for another constraint)."""
    text = str(exc)
    if "finance: " in text:
        return text.split("finance: ", 1)[1].split("\n", 1)[0].rstrip(".") + "."
    return "The database refused the entry: " + text.split("\n", 1)[0]


def _keep_totals(lines: list[LineInput]) -> None:
    """Add a posted entry's lines to its accounts' kept totals (finance_account_total), in the posting's
    transaction; concurrent postings on one account wait for each other on its row."""
    sums: dict[int, list[int]] = {}
    for line in lines:
        found = sums.setdefault(line.account_id, [0, 0])
        found[0] += line.debit_cents
        found[1] += line.credit_cents
    (AccountTotal.insert_many([{"account": account, "debit_cents": debit, "credit_cents": credit}
                               for account, (debit, credit) in sorted(sums.items())])
     .on_conflict(conflict_target=[AccountTotal.account],
                  update={AccountTotal.debit_cents: AccountTotal.debit_cents + pw.EXCLUDED.debit_cents,
                          AccountTotal.credit_cents: AccountTotal.credit_cents + pw.EXCLUDED.credit_cents})
     .execute())


def post_entry(entry_date: dt.date, memo: str, lines: list[LineInput], *, kind: str = "manual",
               reverses: JournalEntry | None = None, audit_detail: dict | None = None) -> JournalEntry:
    """Post a balanced entry dated ``entry_date``; returns it (audited as ``finance.entry.post``).

    :raises JournalError: unbalanced lines, an unknown or inactive account, a date out of range or in
        a closed month (also when the database's guards refuse it).
    """
    return _post([EntryInput(entry_date, memo, lines, kind, audit_detail)], reverses)[0]


def post_entries(entries: list[EntryInput]) -> list[JournalEntry]:
    """Post many balanced entries at once, checked and guarded as ``post_entry`` checks one, in a few
    statements whatever their number (booking a batch of events); returns them in order.

    :raises JournalError: any entry that ``post_entry`` would refuse (nothing of the others is written).
    """
    return _post(entries, None)


def _check_entry(entry: EntryInput) -> int:
    """The entry's total debited, once its kind, date and lines are checked."""
    if entry.kind not in KINDS:
        raise ValueError(f"unknown entry kind {entry.kind!r}")
    if not EARLIEST_DATE <= entry.entry_date <= LATEST_DATE:
        raise JournalError(f"The date must be between {EARLIEST_DATE} and {LATEST_DATE}.")
    return check_lines(entry.lines)


def _refuse_closed(days: set[dt.date]) -> None:
    """Refuse a posting dated in a closed month (the database's guard would too, without the month's name)."""
    closed = {(p.year, p.month): p for p in Period.select().where(
        (Period.status == "closed") & Period.year.in_(sorted({d.year for d in days})))}
    for day in sorted(days):
        period = closed.get((day.year, day.month))
        if period is not None:
            raise JournalError(f"{period.label} is closed: nothing can be posted dated {day.isoformat()}.")


def _post(entries: list[EntryInput], reverses: JournalEntry | None) -> list[JournalEntry]:
    if not entries:
        return []
    totals = [_check_entry(entry) for entry in entries]
    user_id, _name = acting_user()
    lines = [line for entry in entries for line in entry.lines]
    days = {entry.entry_date for entry in entries}
    try:
        with transaction():
            _check_accounts(entries)
            ensure_periods(days)
            _refuse_closed(days)
            ids = reserve_ids(JournalEntry, len(entries))
            now = utcnow()
            posted = [JournalEntry(id=entry_id, entry_date=entry.entry_date, memo=entry.memo[:300], kind=entry.kind,
                                   reverses=reverses, status="draft", created_at=now)
                      for entry_id, entry in zip(ids, entries)]
            insert_rows(JournalEntry, [{"id": e.id, "entry_date": e.entry_date, "memo": e.memo, "kind": e.kind,
                                        "reverses": reverses.id if reverses else None, "created_at": now}
                                       for e in posted])
            insert_rows(JournalLine, [
                {"entry": entry_id, "account": line.account_id, "debit_cents": line.debit_cents,
                 "credit_cents": line.credit_cents, "memo": line.memo[:200], "location": line.location_id,
                 "budget_line": line.budget_line_id} for entry_id, entry in zip(ids, entries) for line in entry.lines])
            JournalEntry.update(status="posted", posted_at=now, posted_by_user_id=user_id).where(
                JournalEntry.id.in_(ids)).execute()
            _keep_totals(lines)
            audit.record_many([{"action": "finance.entry.post", "object_type": "finance_journal_entry",
                                "object_id": entry_id,
                                "detail": {"kind": entry.kind, "date": entry.entry_date.isoformat(),
                                           "total_cents": total, **(entry.audit_detail or {})}}
                               for entry_id, entry, total in zip(ids, entries, totals)])
    except pw.IntegrityError as exc:
        raise JournalError(guard_message(exc)) from None
    for entry in posted:
        entry.status, entry.posted_at, entry.posted_by_user_id = "posted", now, user_id
    return posted


# Entries another part of finance owns: reversed only through it, so what they stand for stays consistent.
OWNED_KINDS = {
    "billing": "This entry was booked from billing's event: correct it in billing (a void or reversal there "
               "books its reversal here), or the books would drift from billing's figures.",
    "hr": "This entry was booked from a posted pay run: correct it with a correcting run in HR (its lines book "
          "the reversal here).",
    "deposit": "This entry is a deposit slip's: void the slip on its page, so its payments wait for the bank again.",
    "closing": "This entry closed a year: reopen the year on the periods page instead.",
    "bill": "This entry booked a bill: void the bill on its page, so payables and the bill agree.",
    "bill_payment": "This entry paid a bill: the bill keeps what was paid on it, so it is not reversed here.",
}


def reverse_entry(entry: JournalEntry, entry_date: dt.date, reason: str, *, owner: str = "") -> JournalEntry:
    """Post the entry that undoes ``entry`` (each line's debit and credit swapped), linked to it.

    :param owner: the kind of entry the caller owns and may reverse (``deposit`` when voiding a slip,
        ``closing`` when reopening a year); others of ``OWNED_KINDS`` are refused.
    :raises JournalError: the entry is not posted, is already reversed, is owned elsewhere, or the date is refused.
    """
    if entry.status != "posted":
        raise JournalError("Only a posted entry can be reversed.")
    if entry.kind in OWNED_KINDS and entry.kind != owner:
        raise JournalError(OWNED_KINDS[entry.kind])
    if JournalEntry.select().where(JournalEntry.reverses == entry.id).exists():
        raise JournalError(f"Entry {entry.id} has already been reversed.")
    reason = reason.strip()
    if not reason:
        raise JournalError("Say why the entry is reversed.")
    lines = [LineInput(line.account_id, line.credit_cents, line.debit_cents, line.memo, line.location_id,
                       line.budget_line_id)
             for line in JournalLine.select().where(JournalLine.entry == entry.id).order_by(JournalLine.id)]
    return post_entry(entry_date, f"Reversal of entry {entry.id}: {reason}", lines, kind="reversal",
                      reverses=entry, audit_detail={"reverses": entry.id, "reason": reason})

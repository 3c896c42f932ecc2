"""Year-end close: the year's revenue and expense balances move to retained earnings, then its months close."""
from __future__ import annotations

import datetime as dt

from medoffice import audit
from medoffice.db import transaction

from .actor import acting_user
from .balances import account_balances
from .journal import JournalError, LineInput, post_entry, reverse_entry
from .models import Account, JournalEntry, Period, YearClose
from .periods import PeriodError, record_status, ensure_periods, month_bounds


def closing_lines(balances, retained_earnings_id: int) -> list[LineInput]:
    """The lines that bring each revenue and expense account to zero, the net to retained earnings."""
    lines = []
    for row in balances:
        net = row.debit_cents - row.credit_cents  # debit-side balance
        if net > 0:
            lines.append(LineInput(row.account_id, credit_cents=net, memo="Year-end close"))
        elif net < 0:
            lines.append(LineInput(row.account_id, debit_cents=-net, memo="Year-end close"))
    result = sum(line.credit_cents - line.debit_cents for line in lines)  # >0: expenses exceeded revenue
    if result > 0:
        lines.append(LineInput(retained_earnings_id, debit_cents=result, memo="Loss for the year"))
    elif result < 0:
        lines.append(LineInput(retained_earnings_id, credit_cents=-result, memo="Profit for the year"))
    return lines


def _retained_earnings() -> Account:
    account = Account.get_or_none(Account.role == "retained_earnings")
    if account is None or not account.active:
        raise PeriodError("The chart has no active retained earnings account.")
    return account


def close_year(year: int) -> YearClose:
    """Post the closing entry dated December 31 and close every month of the year (audited).

    :raises PeriodError: the year is already closed, or the next-earlier year with postings is not.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    with transaction():
        if YearClose.select().where(YearClose.year == year).exists():
            raise PeriodError(f"The year {year} is already closed.")
        earlier = (JournalEntry.select(JournalEntry.entry_date).where(
            (JournalEntry.status == "posted") & (JournalEntry.entry_date < start))
            .order_by(JournalEntry.entry_date.desc()).first())
        if earlier is not None and not YearClose.select().where(YearClose.year == earlier.entry_date.year).exists():
            raise PeriodError(f"Close {earlier.entry_date.year} first: years close in order.")
        balances = account_balances(start=start, end=end, types=("revenue", "expense"))
        lines = closing_lines(balances, _retained_earnings().id)
        entry = None
        if lines:
            try:
                entry = post_entry(end, f"Year-end close {year}: result to retained earnings", lines, kind="closing")
            except JournalError as exc:
                raise PeriodError(str(exc)) from None
        user_id, _name = acting_user()
        closed = YearClose.create(year=year, entry=entry, closed_by_user_id=user_id)
        ensure_periods([month_bounds(year, m)[0] for m in range(1, 13)])
        for period in Period.select().where((Period.year == year) & (Period.status == "open")):
            record_status(period, "closed", "close", f"Year-end close {year}")
        audit.record("finance.year.close", "finance_year_close", closed.id,
                     detail={"year": year, "entry": entry.id if entry else None})
    return closed


def reopen_year(year: int, reason: str) -> None:
    """Undo a year's close: December reopens and the closing entry is reversed on December 31 (audited).

    Only the latest closed year can be reopened; its other months stay closed until reopened one by one.
    """
    reason = reason.strip()
    if not reason:
        raise PeriodError("Give the reason for reopening the year.")
    with transaction():
        closed = YearClose.get_or_none(YearClose.year == year)
        if closed is None:
            raise PeriodError(f"The year {year} is not closed.")
        if YearClose.select().where(YearClose.year > year).exists():
            raise PeriodError("Reopen the later years first.")
        december = Period.get((Period.year == year) & (Period.month == 12))
        if december.status == "closed":
            record_status(december, "open", "reopen", reason)
        if closed.entry_id is not None:
            try:
                reverse_entry(JournalEntry.get_by_id(closed.entry_id), dt.date(year, 12, 31),
                              f"year {year} reopened: {reason}", owner="closing")
            except JournalError as exc:
                raise PeriodError(str(exc)) from None
        closed.delete_instance()
        audit.record("finance.year.reopen", "finance_year_close", closed.id, detail={"year": year, "reason": reason})

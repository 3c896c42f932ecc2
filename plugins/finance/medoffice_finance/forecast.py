"""The 90-day cash forecast, week by week, from today's cash.

In: what billing expects to collect (its receivables by aging bucket times the practice's own
collection rates, asked through billing's hook ``billing_expected_collections``; nothing when billing
is off), spread evenly over the weeks because the rates say how much, not when. Out: the bills not yet
paid by their due dates (an overdue one in the first week), the recurring bills' coming dates (with the
vendor's terms), and payroll at the pace of the last 13 weeks' pay runs (wages and employer taxes as
booked from HR). Cash is the accounts numbered below 1200, as in the cash flow report.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice.app import medoffice_runtime
from medoffice.money import format_cents
from peewee import fn

from .balances import CASH_BELOW, account_balances
from .models import Account, Bill, JournalEntry, JournalLine, RecurringBill, Vendor
from .payables import schedule

WEEKS = 13
HORIZON_DAYS = 90


@dataclass(frozen=True)
class Week:
    """One week of the forecast: money in and out, and the cash at its end."""

    starts_on: dt.date
    collections_cents: int
    bills_cents: int
    payroll_cents: int
    closing_cents: int

    @property
    def net_cents(self) -> int:
        return self.collections_cents - self.bills_cents - self.payroll_cents


@dataclass(frozen=True)
class Forecast:
    """The weeks, with what they were drawn from."""

    as_of: dt.date
    opening_cents: int
    weeks: list[Week]
    receivables: list[dict]  # billing's answer, per party and bucket ([] when billing is off)
    billing_on: bool


def cash_on_hand(as_of: dt.date) -> int:
    """The balance of the cash accounts (asset accounts numbered below 1200) on ``as_of``."""
    return sum(r.balance_cents for r in account_balances(end=as_of, types=("asset",)) if r.number < CASH_BELOW)


def spread(total: int, parts: int) -> list[int]:
    """``total`` cents in ``parts`` nearly equal whole-cent parts (the first ones take the remainder)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _week_of(day: dt.date, as_of: dt.date) -> int:
    return min(max((day - as_of).days, 0) // 7, WEEKS - 1)


def _bills_by_week(as_of: dt.date, end: dt.date) -> list[int]:
    weeks = [0] * WEEKS
    open_cents = fn.SUM(Bill.total_cents - Bill.paid_cents)
    for due, cents in (Bill.select(Bill.due_date, open_cents)
                       .where(Bill.status.in_(("approved", "awaiting")) & (Bill.paid_cents < Bill.total_cents)
                              & (Bill.due_date <= end))
                       .group_by(Bill.due_date).tuples()):
        weeks[_week_of(due, as_of)] += int(cents)
    for recurring in (RecurringBill.select(RecurringBill, Vendor).join(Vendor)
                      .where(RecurringBill.active == True)):  # noqa: E712
        entered_through = recurring.created_through or as_of - dt.timedelta(days=1)
        after = dt.datetime.combine(max(entered_through, as_of - dt.timedelta(days=1)), dt.time())
        for when in schedule(recurring).between(after, dt.datetime.combine(end, dt.time()), inc=False):
            due = when.date() + dt.timedelta(days=recurring.vendor.terms_days)
            if due <= end:
                weeks[_week_of(due, as_of)] += recurring.amount_cents
    return weeks


def weekly_payroll(as_of: dt.date) -> int:
    """Wages and employer taxes booked from HR's pay runs over the last 13 weeks, per week."""
    expense = fn.COALESCE(fn.SUM(JournalLine.debit_cents - JournalLine.credit_cents), 0)
    total = (JournalLine.select(expense).join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
             .switch(JournalLine).join(Account, on=(JournalLine.account == Account.id))
             .where((JournalEntry.kind == "hr") & (JournalEntry.status == "posted") & (Account.type == "expense")
                    & (JournalEntry.entry_date > as_of - dt.timedelta(weeks=WEEKS))
                    & (JournalEntry.entry_date <= as_of))).scalar()
    return int(total) // WEEKS


def forecast(as_of: dt.date) -> Forecast:
    """The next 13 weeks from ``as_of``."""
    end = as_of + dt.timedelta(days=HORIZON_DAYS)
    runtime = medoffice_runtime()
    billing_on = runtime.host.is_enabled("billing")
    receivables = (runtime.host.call("billing_expected_collections", as_of=as_of, horizon_days=HORIZON_DAYS)
                   if billing_on else [])  # billing's hookspec exists only where billing is installed
    collections = spread(sum(r["expected_cents"] for r in receivables), WEEKS)
    bills = _bills_by_week(as_of, end)
    payroll = weekly_payroll(as_of)
    opening = cash = cash_on_hand(as_of)
    weeks = []
    for i in range(WEEKS):
        cash += collections[i] - bills[i] - payroll
        weeks.append(Week(as_of + dt.timedelta(weeks=i), collections[i], bills[i], payroll, cash))
    return Forecast(as_of, opening, weeks, receivables, billing_on)


def receivables_note(result: Forecast) -> str:
    """One sentence on where the collections figure comes from."""
    if not result.billing_on:
        return "Billing is off: no collections are forecast."
    owed = sum(r["balance_cents"] for r in result.receivables)
    expected = sum(r["expected_cents"] for r in result.receivables)
    if not owed:
        return "Billing shows nothing owed: no collections are forecast."
    if not expected:
        return (f"Receivables are {format_cents(owed)}, but there is no collection history over the last "
                f"{HORIZON_DAYS} days yet to say how much of it will come in: none is forecast.")
    parts = ", ".join(f"{r['party']} {r['bucket']} days {r['rate_bp'] / 100:.0f}%" for r in result.receivables
                      if r["balance_cents"])
    return (f"Expected from receivables: {format_cents(expected)} of {format_cents(owed)} owed, at the share "
            f"collected within {HORIZON_DAYS} days before ({parts}), spread evenly over the weeks.")

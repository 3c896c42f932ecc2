"""Budgets: a year's amounts by account and month, what was consumed (booked) and committed (bills entered
but not booked yet), each account's control, and budget against actual.

Amounts are on the account's normal side (expenses as debits, revenue as credits). Consumed comes from
posted journal lines (year-end closing entries left out), aggregated in SQL by account and month; a
location's budget counts only lines booked to that location. Committed is the part of open bills whose
expense is not booked yet: bills waiting for approval, and on cash basis approved bills not yet paid.

Control per account: ``warn`` or ``stop`` when a bill or a manual journal entry would take the account past
its budget for the month (the months so far when unused amounts carry forward) or for the year.
"""
from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict

import peewee as pw
from medoffice import audit, prepared
from medoffice.db import is_sqlite, transaction
from medoffice.money import format_cents
from medoffice.prepared import slot
from peewee import fn

from .books import basis
from .models import (DEBIT_NORMAL, Account, Bill, BillLine, Books, Budget, BudgetAmount, BudgetControl, JournalEntry,
                     JournalLine)
from .periods import month_bounds

CONTROLS = {"ignore": "Ignore", "warn": "Warn", "stop": "Stop"}
METHODS = {"blank": "Blank", "last_year": "From last year's actuals, changed by a percentage",
           "copy": "A copy of another budget"}


class BudgetError(ValueError):
    """A budget action refused, or spending a budget set to stop does not allow."""


def month_of(field) -> pw.Node:
    """The month (1-12) of a date column, on SQLite and PostgreSQL."""
    if is_sqlite():
        return pw.Cast(fn.strftime("%m", field), "INTEGER")
    return pw.Cast(fn.date_part(pw.SQL("'month'"), field), "INTEGER")  # a literal: GROUP BY must repeat it


def actuals(year: int, location_id: int | None = None, account_ids=None) -> dict[tuple[int, int], int]:
    """Posted amounts of the year on each revenue and expense account's normal side: {(account, month): cents}."""
    month = month_of(JournalEntry.entry_date)
    net = fn.SUM(JournalLine.debit_cents - JournalLine.credit_cents)
    query = (JournalLine.select(JournalLine.account, Account.type, month.alias("month"), net.alias("net"))
             .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
             .switch(JournalLine).join(Account, on=(JournalLine.account == Account.id))
             .where((JournalEntry.status == "posted") & (JournalEntry.kind != "closing")
                    & (JournalEntry.entry_date >= dt.date(year, 1, 1)) & (JournalEntry.entry_date <= dt.date(year, 12, 31))
                    & Account.type.in_(["revenue", "expense"]))
             .group_by(JournalLine.account, Account.type, month))
    if location_id is not None:
        query = query.where(JournalLine.location == location_id)
    if account_ids is not None:
        query = query.where(JournalLine.account.in_(list(account_ids)))
    return {(r["account"], int(r["month"])): int(r["net"]) * (1 if r["type"] in DEBIT_NORMAL else -1)
            for r in query.dicts()}


def committed(year: int, location_id: int | None = None, account_ids=None) -> dict[tuple[int, int], int]:
    """Open bills of the year whose expense is not booked yet: {(account, month): cents}."""
    waiting = Bill.status == "awaiting"
    if basis() == "cash":
        waiting |= (Bill.status == "approved") & (Bill.paid_cents < Bill.total_cents)
    query = (BillLine.select(BillLine.account, BillLine.amount_cents, Bill.bill_date, Bill.total_cents,
                             Bill.paid_cents, Bill.status)
             .join(Bill).where(waiting & (Bill.bill_date >= dt.date(year, 1, 1)) & (Bill.bill_date <= dt.date(year, 12, 31))))
    if location_id is not None:
        query = query.where(BillLine.location == location_id)
    if account_ids is not None:
        query = query.where(BillLine.account.in_(list(account_ids)))
    out: dict[tuple[int, int], int] = defaultdict(int)
    for r in query.dicts():
        share = r["amount_cents"] * (r["total_cents"] - r["paid_cents"]) // r["total_cents"]
        out[(r["account"], r["bill_date"].month)] += share
    return dict(out)


_AMOUNTS = (BudgetAmount.select(BudgetAmount.account, BudgetAmount.month, BudgetAmount.amount_cents)
            .where(BudgetAmount.budget == slot("budget")).tuples())


def amounts(budget_id: int) -> dict[tuple[int, int], int]:
    """A budget's cells: {(account, month): cents}."""
    rows = prepared.run(_AMOUNTS, "finance.budget_amounts", budget=budget_id).cursor  # integers: read raw
    return {(a, m): c for a, m, c in rows}


def amounts_by_account(budget_id: int) -> dict[int, list[int]]:
    """A budget's cells by account: {account: [cents of January, ..., of December]} (the grid's rows)."""
    by_account: dict[int, list[int]] = {}
    for account, month, cents in prepared.run(_AMOUNTS, "finance.budget_amounts", budget=budget_id).cursor:
        found = by_account.get(account)
        if found is None:
            found = by_account[account] = [0] * 12
        found[month - 1] = cents
    return by_account


def create_budget(year: int, name: str, *, location_id: int | None = None, method: str = "blank", percent: int = 0,
                  source_id: int | None = None, carry_forward: bool = False) -> Budget:
    """Create a year's budget: blank, from last year's actuals changed by ``percent``, or a copy (audited).

    :raises BudgetError: a budget for that year and location exists, or the method's source is missing.
    """
    if method not in METHODS:
        raise BudgetError("Choose how the budget starts.")
    if not 1900 <= year <= 2199 or not -100 <= percent <= 1000:
        raise BudgetError("Choose a year, and a change between -100 % and 1000 %.")
    with transaction():
        same = Budget.select().where((Budget.year == year) & (Budget.location.is_null() if location_id is None
                                                               else Budget.location == location_id))
        if same.exists():
            raise BudgetError(f"There is a budget for {year} for that location already: edit it.")
        if method == "copy":
            source = Budget.get_or_none(Budget.id == source_id)
            if source is None:
                raise BudgetError("Choose the budget to copy.")
            cells = amounts(source.id)
        elif method == "last_year":
            cells = {key: (cents * (100 + percent) + 50) // 100
                     for key, cents in actuals(year - 1, location_id).items()}
        else:
            cells = {}
        budget = Budget.create(year=year, name=(name.strip() or f"Budget {year}")[:120], location=location_id,
                               carry_forward=carry_forward)
        rows = [{"budget": budget.id, "account": a, "month": m, "amount_cents": c} for (a, m), c in cells.items() if c]
        for start in range(0, len(rows), 500):
            BudgetAmount.insert_many(rows[start:start + 500]).execute()
        controls = ([{"budget": budget.id, "account": c.account_id, "action": c.action}
                     for c in BudgetControl.select().where(BudgetControl.budget == source_id)]
                    if method == "copy" else [])
        if controls:
            BudgetControl.insert_many(controls).execute()
        audit.record("finance.budget.create", "finance_budget", budget.id,
                     detail={"year": year, "method": method, "percent": percent, "cells": len(rows)})
    return budget


def set_amount(budget_id: int, account_id: int, month: int, cents: int) -> None:
    """Set one cell of a budget (audited). :raises BudgetError: bad month, account or amount."""
    if not 1 <= month <= 12:
        raise BudgetError("There is no such month.")
    if cents < 0:
        raise BudgetError("Budget amounts cannot be negative.")
    account = Account.get_or_none(Account.id == account_id)
    if account is None or account.type not in ("revenue", "expense"):
        raise BudgetError("Budgets are for revenue and expense accounts.")
    with transaction():
        BudgetAmount.insert(budget=budget_id, account=account_id, month=month, amount_cents=cents).on_conflict(
            conflict_target=[BudgetAmount.budget, BudgetAmount.account, BudgetAmount.month],
            update={BudgetAmount.amount_cents: cents}).execute()
        audit.record("finance.budget.cell", "finance_budget", budget_id,
                     detail={"account": account_id, "month": month, "amount_cents": cents})


def set_control(budget_id: int, account_id: int, action: str) -> None:
    """Set what happens when spending would pass an account's budget (audited)."""
    if action not in CONTROLS:
        raise BudgetError("Choose ignore, warn or stop.")
    with transaction():
        BudgetControl.insert(budget=budget_id, account=account_id, action=action).on_conflict(
            conflict_target=[BudgetControl.budget, BudgetControl.account],
            update={BudgetControl.action: action}).execute()
        audit.record("finance.budget.control", "finance_budget", budget_id,
                     detail={"account": account_id, "action": action})


def check_spending(spending, day: dt.date) -> tuple[list[str], list[str]]:
    """What a budget says of new spending: ``spending`` is (account id, debit cents, location id or None)
    on ``day``. Returns the messages of budgets set to stop, then of those set to warn."""
    stops, warns = [], []
    for budget in Budget.select().where(Budget.year == day.year):
        mine = [(a, c) for a, c, loc in spending if budget.location_id is None or loc == budget.location_id]
        controls = {c.account_id: c.action for c in BudgetControl.select().where(
            (BudgetControl.budget == budget.id) & (BudgetControl.action != "ignore")
            & BudgetControl.account.in_([a for a, _c in mine] or [0]))}
        if not controls:
            continue
        totals: dict[int, int] = defaultdict(int)
        for account_id, cents in mine:
            if account_id in controls:
                totals[account_id] += cents
        ids = list(totals)
        plan = {k: v for k, v in amounts(budget.id).items() if k[0] in totals}
        used: dict[tuple[int, int], int] = defaultdict(int)
        for source in (actuals(day.year, budget.location_id, ids), committed(day.year, budget.location_id, ids)):
            for key, cents in source.items():
                used[key] += cents
        names = {a.id: a.label for a in Account.select().where(Account.id.in_(ids))}
        for account_id, cents in totals.items():
            months = range(1, day.month + 1) if budget.carry_forward else (day.month,)
            month_plan = sum(plan.get((account_id, m), 0) for m in months)
            month_used = sum(used.get((account_id, m), 0) for m in months)
            year_plan = sum(plan.get((account_id, m), 0) for m in range(1, 13))
            year_used = sum(used.get((account_id, m), 0) for m in range(1, 13))
            over = []
            if month_used + cents > month_plan:
                over.append(f"{'the months so far' if budget.carry_forward else 'the month'} "
                            f"({format_cents(month_used + cents)} of {format_cents(month_plan)})")
            if year_used + cents > year_plan:
                over.append(f"the year ({format_cents(year_used + cents)} of {format_cents(year_plan)})")
            if over:
                message = f"{names[account_id]} would pass {budget.name}'s budget for {' and '.join(over)}."
                (stops if controls[account_id] == "stop" else warns).append(message)
    return stops, warns


def enforce(spending, day: dt.date) -> list[str]:
    """Refuse spending a budget set to stop does not allow; returns the warnings of those set to warn.

    :raises BudgetError: with every budget's message that stops it.
    """
    stops, warns = check_spending(spending, day)
    if stops:
        raise BudgetError(" ".join(stops) + " The budget is set to stop it: change the budget, or ask for it to be "
                                            "raised.")
    return warns


@functools.lru_cache(maxsize=2)
def _against_actual_query(by_location: bool):
    """Budget against actual of one budget in one statement: per account, the budget over the period and the
    year, what was booked over the period and over the year so far, and what bills commit over the period;
    every value a slot (built and compiled once per shape)."""
    in_period = BudgetAmount.month.between(slot("first"), slot("through"))
    plan = (BudgetAmount.select(BudgetAmount.account.alias("account_id"),
                                fn.SUM(pw.Case(None, [(in_period, BudgetAmount.amount_cents)], 0)).alias("budget"),
                                fn.SUM(BudgetAmount.amount_cents).alias("year_budget"))
            .where(BudgetAmount.budget == slot("budget")).group_by(BudgetAmount.account).cte("plan"))
    net = JournalLine.debit_cents - JournalLine.credit_cents
    to_end = JournalEntry.entry_date <= slot("end")
    booked = (JournalLine.select(
        JournalLine.account.alias("account_id"),
        fn.SUM(pw.Case(None, [((JournalEntry.entry_date >= slot("start")) & to_end, net)], 0)).alias("used"),
        fn.SUM(pw.Case(None, [(to_end, net)], 0)).alias("so_far"))
        .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
        .switch(JournalLine).join(Account, on=(JournalLine.account == Account.id))
        .where((JournalEntry.status == "posted") & (JournalEntry.kind != "closing")
               & (JournalEntry.entry_date >= slot("jan")) & (JournalEntry.entry_date <= slot("dec"))
               & Account.type.in_(["revenue", "expense"]))
        .group_by(JournalLine.account))
    cash = Books.select(Books.basis).order_by(Books.id).limit(1)
    waiting = (Bill.status == "awaiting") | ((cash == "cash") & (Bill.status == "approved")
                                             & (Bill.paid_cents < Bill.total_cents))
    owed = (BillLine.select(BillLine.account.alias("account_id"),
                            fn.SUM(BillLine.amount_cents * (Bill.total_cents - Bill.paid_cents) / Bill.total_cents)
                            .alias("owed"))
            .join(Bill).where(waiting & (Bill.bill_date >= slot("start")) & (Bill.bill_date <= slot("end"))))
    if by_location:
        booked = booked.where(JournalLine.location == slot("location"))
        owed = owed.where(BillLine.location == slot("location"))
    booked, owed = booked.cte("booked"), owed.group_by(BillLine.account).cte("owed")
    return (Account.select(Account.number, Account.name, Account.type, plan.c.budget, plan.c.year_budget,
                           booked.c.used, booked.c.so_far, owed.c.owed)
            .join(plan, pw.JOIN.LEFT_OUTER, on=(plan.c.account_id == Account.id))
            .switch(Account).join(booked, pw.JOIN.LEFT_OUTER, on=(booked.c.account_id == Account.id))
            .switch(Account).join(owed, pw.JOIN.LEFT_OUTER, on=(owed.c.account_id == Account.id))
            .where(plan.c.account_id.is_null(False) | booked.c.account_id.is_null(False))
            .order_by(Account.number).with_cte(plan, booked, owed).tuples())


def budget_vs_actual(budget_id: int, year: int, location_id: int | None, through_month: int,
                     period: str = "ytd") -> list[dict]:
    """Each account budgeted or used in the year: budget, consumed (actual), committed, variance (budget less
    consumed), available (budget less consumed and committed) over the period (``month``, ``quarter`` to
    ``through_month``, or ``ytd``), and a year-end forecast from the run rate of the year so far. One query,
    aggregated in SQL; a location's budget counts only what was booked or billed to that location."""
    first = {"month": through_month, "quarter": (through_month - 1) // 3 * 3 + 1, "ytd": 1}[period]
    end = month_bounds(year, through_month)[1]
    rows = prepared.run(_against_actual_query(location_id is not None),
                        ("finance.budget_vs_actual", location_id is not None),
                        budget=budget_id, first=first, through=through_month, start=dt.date(year, first, 1), end=end,
                        jan=dt.date(year, 1, 1), dec=dt.date(year, 12, 31), location=location_id).cursor
    result = []
    for number, name, type_, budgeted, year_budget, used, so_far, owed in rows:
        sign = 1 if type_ in DEBIT_NORMAL else -1
        budgeted, used, owed = int(budgeted or 0), sign * int(used or 0), int(owed or 0)
        result.append({"number": number, "name": name, "type": "Revenue" if type_ == "revenue" else "Expense",
                       "budget_cents": budgeted, "actual_cents": used, "committed_cents": owed,
                       "variance_cents": budgeted - used, "available_cents": budgeted - used - owed,
                       "year_budget_cents": int(year_budget or 0),
                       "forecast_cents": sign * int(so_far or 0) * 12 // through_month})
    return result

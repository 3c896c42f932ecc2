"""The 90-day cash forecast: today's cash, bills by due date (overdue in the first week), recurring bills'
coming dates with the vendor's terms, payroll at the pace of the last 13 weeks' pay runs, and billing's
expected collections when billing is on (none without its history, and the report says why)."""
from __future__ import annotations

import datetime as dt

from finance_setup import account, lines
from medoffice.db import transaction, utcnow
from medoffice.events import publish
from medoffice.testing import connected, login, practice_today

from medoffice_finance.forecast import WEEKS, forecast, spread
from medoffice_finance.journal import post_entry
from medoffice_finance.payables import BillLineInput, create_bill, save_recurring, save_vendor


def test_spread_keeps_every_cent():
    assert spread(100, 3) == [34, 33, 33] and sum(spread(1_000_003, WEEKS)) == 1_000_003


def _months(n: int):
    from dateutil.relativedelta import relativedelta

    return relativedelta(months=n)


def _vendor(name: str, terms: int) -> int:
    return save_vendor({"name": name, "is_1099": False, "default_account": None, "terms_days": terms,
                        "address": "", "email": "", "active": True}).id


def test_cash_bills_recurring_bills_and_payroll_make_the_weeks(make_app):
    app = make_app(plugins=["hr", "finance"])
    with connected(app):
        today = practice_today()
        post_entry(today - dt.timedelta(days=3), "Owner's money in", lines(("1000", 1_000_000), ("3000", -1_000_000)))
        supply = _vendor("Forecast Supply", 30)
        create_bill(supply, "F-1", today - dt.timedelta(days=45), [BillLineInput(account("6400"), 20_000)])  # overdue
        create_bill(supply, "F-2", today, [BillLineInput(account("6400"), 30_000)],
                    due_date=today + dt.timedelta(days=20))
        create_bill(supply, "F-3", today, [BillLineInput(account("6400"), 99_000)],
                    due_date=today + dt.timedelta(days=120))  # beyond the horizon
        first_cleaning = today + dt.timedelta(days=7)
        first_cleaning = first_cleaning.replace(day=min(first_cleaning.day, 28))  # a day every month has
        save_recurring({"vendor": _vendor("Forecast Cleaning", 10), "memo": "Cleaning", "account": account("6990"),
                        "location": None, "amount_cents": 5_000, "frequency": "monthly", "interval": 1,
                        "starts_on": first_cleaning, "ends_on": None, "days_ahead": 7})
        with transaction():  # a pay run 4 weeks ago, as HR publishes it: 13,000.00 of wages and taxes
            for kind, debit, cents in (("net_pay", "wages", 1_000_000), ("employer_medicare", "employer_taxes",
                                                                          300_000)):
                publish("hr.payroll_journal_line", {"run_id": 1, "kind": kind, "debit": debit, "amount_cents": cents,
                                                    "effective_date": today - dt.timedelta(weeks=4),
                                                    "posted_at": utcnow(), "reference": "Pay run 1",
                                                    "corrects_run_id": None})
        result = forecast(today)
        assert result.opening_cents == 1_000_000 - 1_000_000  # the owner's money, less the net pay paid out
        weeks = result.weeks
        assert len(weeks) == WEEKS and weeks[0].starts_on == today
        # F-1 overdue: the first week; F-2 due on day 20 (week 2); the cleaning monthly, each due 10 days
        # later, while that is within the 90 days; F-3 is beyond them.
        due = {0: 20_000, 2: 30_000}
        for months in range(4):
            day = first_cleaning + _months(months) + dt.timedelta(days=10)
            if (day - today).days <= 90:
                due[(day - today).days // 7] = due.get((day - today).days // 7, 0) + 5_000
        assert {i: w.bills_cents for i, w in enumerate(weeks) if w.bills_cents} == due
        assert {w.payroll_cents for w in weeks} == {1_300_000 // WEEKS}
        assert sum(w.collections_cents for w in weeks) == 0 and not result.billing_on
        assert weeks[-1].closing_cents == result.opening_cents + sum(w.net_cents for w in weeks)

    manager = login(app.test_client(), "office_manager")
    page = manager.get(f"/reports/finance.cash_forecast?as_of={today.isoformat()}").get_data(as_text=True)
    assert "Billing is off: no collections are forecast." in page and "Cash at the week" in page


def test_with_billing_on_and_nothing_owed_the_report_says_none_is_forecast(make_app):
    app = make_app(plugins=["billing", "finance"])
    manager = login(app.test_client(), "office_manager")
    today = practice_today().isoformat()
    page = manager.get(f"/reports/finance.cash_forecast?as_of={today}").get_data(as_text=True)
    assert "Billing shows nothing owed: no collections are forecast." in page

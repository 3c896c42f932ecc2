"""Budgets: created blank, from last year's actuals or copied; controls that warn or stop bills and entries (with
carry-forward); committed apart from consumed; budget vs actual, P&L by month against last year and the
budget, and the cash flow; the grid edited cell by cell and whole."""
from __future__ import annotations

import datetime as dt

import pytest
from finance_setup import account, lines
from medoffice import settings
from medoffice.models import Location
from medoffice.testing import connected, count_queries, login

from medoffice_finance.books import set_up
from medoffice_finance.budget import BudgetError, check_spending, create_budget, set_amount, set_control
from medoffice_finance.journal import LineInput, post_entry
from medoffice_finance.models import BudgetAmount
from medoffice_finance.payables import BillLineInput, PayablesError, create_bill, pay_bill, save_vendor
from medoffice_finance.reports import budget_report, cash_flow, pnl_by_month


def _spend(day, number, cents):
    post_entry(day, "spend", lines((number, cents), ("1000", -cents)))


@pytest.fixture
def books(make_app):
    """Finance alone, with 2025 supplies and revenue booked."""
    app = make_app(plugins=["finance"], csrf=True)
    with connected(app):
        post_entry(dt.date(2025, 1, 2), "Opening", lines(("1000", 1_000_000), ("3900", -1_000_000)), kind="opening")
        for month in (1, 2, 3):
            _spend(dt.date(2025, month, 5), "6400", 10000 * month)
        post_entry(dt.date(2025, 2, 9), "Other income", lines(("1000", 50000), ("4900", -50000)))
    return app


def test_a_budget_from_last_year_and_a_copy(books):
    with connected(books):
        budget = create_budget(2026, "Plan", method="last_year", percent=10)
        cells = {(a, m): c for a, m, c in BudgetAmount.select(BudgetAmount.account, BudgetAmount.month,
                                                             BudgetAmount.amount_cents).tuples()}
        assert cells == {(account("6400"), 1): 11000, (account("6400"), 2): 22000, (account("6400"), 3): 33000,
                         (account("4900"), 2): 55000}
        with pytest.raises(BudgetError, match="already"):
            create_budget(2026, "Again")
        set_control(budget.id, account("6400"), "stop")
        copy = create_budget(2027, "Next", method="copy", source_id=budget.id)
        assert BudgetAmount.select().where(BudgetAmount.budget == copy.id).count() == 4
        assert check_spending([(account("6400"), 12000, None)], dt.date(2027, 1, 3))[0]  # copied control stops
        with pytest.raises(BudgetError, match="negative"):
            set_amount(budget.id, account("6400"), 1, -5)


def test_controls_warn_or_stop_bills_and_entries_and_carry_forward(books):
    manager = login(books.test_client(), "office_manager")
    with connected(books):
        budget = create_budget(2026, "Plan")
        set_amount(budget.id, account("6400"), 1, 10000)
        set_amount(budget.id, account("6400"), 2, 10000)
        set_control(budget.id, account("6400"), "stop")
        vendor = save_vendor({"name": "Supply", "is_1099": False, "default_account": None, "terms_days": 30,
                              "address": "", "email": "", "active": True})
        create_bill(vendor.id, "S1", dt.date(2026, 1, 10), [BillLineInput(account("6400"), 6000)])
        with pytest.raises(PayablesError, match="would pass Plan's budget for the month"):
            create_bill(vendor.id, "S2", dt.date(2026, 1, 11), [BillLineInput(account("6400"), 5000)])
        assert check_spending([(account("6400"), 14000, None)], dt.date(2026, 2, 1))[0]
        budget.carry_forward = True
        budget.save()
        assert check_spending([(account("6400"), 14000, None)], dt.date(2026, 2, 1)) == ([], [])
        set_control(budget.id, account("6400"), "warn")
        stops, warns = check_spending([(account("6400"), 20000, None)], dt.date(2026, 2, 1))
        assert not stops and "the year" in warns[0]
        set_control(budget.id, account("6400"), "stop")
        bank, supplies = account("1000"), account("6400")
    refused = manager.post("/finance/journal/new", data={
        "entry_date": "2026-02-02", "memo": "Gloves", "lines-0-account": str(supplies), "lines-0-debit": "200.00",
        "lines-1-account": str(bank), "lines-1-credit": "200.00"})
    assert refused.status_code == 422 and "set to stop" in refused.get_data(as_text=True)


def test_committed_is_shown_apart_from_consumed(books):
    with connected(books):
        budget = create_budget(2026, "Plan")
        for month in range(1, 13):
            set_amount(budget.id, account("6400"), month, 10000)
        _spend(dt.date(2026, 1, 5), "6400", 7000)
        _spend(dt.date(2026, 2, 5), "6400", 9000)
        vendor = save_vendor({"name": "Big", "is_1099": False, "default_account": None, "terms_days": 30,
                              "address": "", "email": "", "active": True})
        settings.set_many({"finance.bill_approval_cents": 100})
        create_bill(vendor.id, "B1", dt.date(2026, 2, 8), [BillLineInput(account("6400"), 500)])
        report = budget_report(2026, 2, "ytd")
        row = next(r for r in report.rows if r["number"] == "6400")
        assert (row["budget_cents"], row["actual_cents"], row["committed_cents"]) == (20000, 16000, 500)
        assert (row["variance_cents"], row["available_cents"], row["forecast_cents"]) == (4000, 3500, 96000)
        month = next(r for r in budget_report(2026, 2, "month").rows if r["number"] == "6400")
        assert month["budget_cents"] == 10000 and month["actual_cents"] == 9000
        assert report.chart is not None
        assert budget_report(2030, 1).rows == []


def test_pnl_by_month_against_last_year_and_the_budget_and_the_cash_flow(books):
    with connected(books):
        _spend(dt.date(2026, 1, 5), "6400", 25000)
        post_entry(dt.date(2026, 3, 1), "Loan", lines(("1000", 100000), ("2500", -100000)))
        post_entry(dt.date(2026, 3, 2), "Equipment", lines(("1500", 40000), ("1000", -40000)))
        report = pnl_by_month(2026, "last_year")
        supplies = next(r for r in report.rows if r["number"] == "6400")
        assert (supplies["m1"], supplies["total_cents"], supplies["compare_cents"], supplies["change_cents"]) == (
            25000, 25000, 60000, -35000)
        result = report.rows[-1]
        assert result["total_cents"] == -25000 and result["compare_cents"] == 50000 - 60000
        budget = create_budget(2026, "Plan")
        set_amount(budget.id, account("6400"), 1, 20000)
        against = next(r for r in pnl_by_month(2026, "budget").rows if r["number"] == "6400")
        assert against["compare_cents"] == 20000
        flow = cash_flow(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        by_name = {r["name"]: (r["section"], r["amount_cents"]) for r in flow.rows}
        assert by_name["Result for the period"] == ("Operating", -25000)
        assert by_name["1500 Medical equipment"] == ("Investing", -40000)
        assert by_name["2500 Loans payable"] == ("Financing", 100000)
        assert flow.totals["amount_cents"] == 100000 - 40000 - 25000


def test_the_budget_grid_is_edited_cell_by_cell_and_whole(books):
    manager = login(books.test_client(), "office_manager")
    made = manager.post("/finance/budgets", data={"year": "2026", "name": "Plan", "method": "last_year",
                                                   "percent": "0"})
    assert made.status_code == 303
    grid = manager.get(made.headers["Location"])
    assert grid.status_code == 200 and 'value="100.00"' in grid.get_data(as_text=True)
    budget_id = int(made.headers["Location"].rstrip("/").split("/")[-1])
    with connected(books):
        supplies, rent = account("6400"), account("6300")
    cell = manager.post(f"/finance/budgets/{budget_id}/cell", data={"account": str(supplies), "month": "4",
                                                                    f"cell-{supplies}-4": "1,250.50"},
                        headers={"HX-Request": "true"})
    assert cell.status_code == 200 and 'value="1,250.50"' in cell.get_data(as_text=True)
    bad = manager.post(f"/finance/budgets/{budget_id}/cell", data={"account": str(supplies), "month": "5",
                                                                   f"cell-{supplies}-5": "12x"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    whole = manager.post(f"/finance/budgets/{budget_id}/grid", data={f"cell-{rent}-1": "4800",
                                                                     f"cell-{rent}-2": "oops"})
    assert whole.status_code == 422
    with connected(books):
        assert not BudgetAmount.select().where(BudgetAmount.account == rent).exists()
        assert BudgetAmount.get((BudgetAmount.account == supplies) & (BudgetAmount.month == 4)).amount_cents == 125050
    assert manager.post(f"/finance/budgets/{budget_id}/grid", data={f"cell-{rent}-1": "4800"}).status_code == 303
    assert manager.post(f"/finance/budgets/{budget_id}/control", data={  # the grid's other selects come along
        "account": str(rent), f"control-{rent}": "warn", f"control-{supplies}": "ignore"}).status_code == 303
    assert login(books.test_client(), "front_desk").post(f"/finance/budgets/{budget_id}/cell", data={
        "account": str(rent), "month": "1", f"cell-{rent}-1": "1"}).status_code == 403


def test_a_locations_budget_on_cash_basis_counts_its_own_lines_and_the_unpaid_share_of_its_bills(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        set_up("cash", None)
        north, south = Location.create(name="North").id, Location.create(name="South").id
        bank, supplies, rent = account("1000"), account("6400"), account("6300")

        def spend(day, number, cents, location):
            post_entry(day, "spend", [LineInput(account(number), debit_cents=cents, location_id=location),
                                      LineInput(bank, credit_cents=cents)])

        spend(dt.date(2026, 1, 5), "6400", 5000, north)
        spend(dt.date(2026, 4, 5), "6400", 3000, north)
        spend(dt.date(2026, 2, 5), "6400", 7000, south)
        post_entry(dt.date(2026, 6, 1), "grant", [LineInput(bank, debit_cents=2000),
                                                  LineInput(account("4900"), credit_cents=2000, location_id=north)])
        budget = create_budget(2026, "North plan", location_id=north)
        for month in range(1, 13):
            set_amount(budget.id, supplies, month, 1000)
        set_amount(budget.id, rent, 4, 500)
        vendor = save_vendor({"name": "Supply", "is_1099": False, "default_account": None, "terms_days": 30,
                              "address": "", "email": "", "active": True})
        bill = create_bill(vendor.id, "S1", dt.date(2026, 4, 10), [BillLineInput(supplies, 200, location_id=north),
                                                                    BillLineInput(rent, 133, location_id=north)])
        pay_bill(bill.id, 100, dt.date(2026, 5, 2), bank, "ach")  # cash basis: books 60 to supplies, 40 to rent
        create_bill(vendor.id, "S2", dt.date(2026, 5, 3), [BillLineInput(supplies, 900, location_id=south)])
        with count_queries() as seen:
            report = budget_report(2026, 5, "quarter", north)
    assert len(seen) == 2  # the budget, then one aggregate
    rows = {r["number"]: (r["budget_cents"], r["actual_cents"], r["committed_cents"], r["available_cents"],
                          r["year_budget_cents"], r["forecast_cents"]) for r in report.rows}
    assert rows == {"4900": (0, 0, 0, 0, 0, 0),  # booked after May: listed, nothing used yet
                    "6300": (500, 40, 93, 367, 500, 96),  # unpaid share 133 * 233 // 333
                    "6400": (2000, 3060, 139, -1199, 12000, 19344)}  # April and May; forecast 8060 * 12 // 5
    assert report.totals["actual_cents"] == 3100 and report.notes.startswith("North plan, the quarter to May.")

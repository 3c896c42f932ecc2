"""What the busiest finance pages show, row by row, and that their queries do not grow with the rows: the budget
grid (cells, year totals, controls; inputs or plain amounts), the periods (close and reopen as the user may),
the overview's counts and checks, the chart's balances, the posting rules' conditions and the journal's totals."""
from __future__ import annotations

import datetime as dt
import importlib

import pytest
from finance_setup import account, lines
from medoffice.db import db
from medoffice.testing import connected, login, page_queries
from peewee import fn

from medoffice_finance.budget import create_budget, set_amount, set_control
from medoffice_finance.chart import save_account
from medoffice_finance.journal import post_entry, reverse_entry
from medoffice_finance.models import Account, AccountTotal, JournalEntry, JournalLine
from medoffice_finance.periods import close_month
from medoffice_finance.yearend import close_year


@pytest.fixture
def finance_app(make_app):
    """Finance alone (billing off), CSRF on."""
    return make_app(plugins=["finance"], csrf=True)


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_budget_grid_shows_each_cell_its_year_and_control_as_inputs_or_amounts(finance_app):
    with connected(finance_app):
        budget = create_budget(2026, "Plan")
        supplies, rent, fees = account("6400"), account("6300"), account("4000")
        set_amount(budget.id, supplies, 1, 125050)
        set_amount(budget.id, supplies, 12, 100)
        set_amount(budget.id, rent, 3, 480000)
        set_control(budget.id, rent, "stop")
        set_control(create_budget(2027, "Next").id, supplies, "warn")  # another budget's control: not this grid's
        Account.update(active=False).where(Account.id == rent).execute()  # still shown: it has cells
        Account.update(active=False).where(Account.id == fees).execute()  # not shown: no cell, inactive
    url = f"/finance/budgets/{budget.id}"
    page = _text(login(finance_app.test_client(), "office_manager").get(url))
    assert f'name="cell-{supplies}-1" value="1250.50"' in page and f'name="cell-{supplies}-12" value="1.00"' in page
    assert f'name="cell-{supplies}-2" value="0.00"' in page and f'name="cell-{rent}-3" value="4800.00"' in page
    assert f'hx-post="/finance/budgets/{budget.id}/cell"' in page and "$1,251.50" in page and "$4,800.00" in page
    assert f'hx-vals=\'{{"account": "{supplies}", "month": "7"}}\'' in page
    assert f'<select name="control-{rent}"' in page and '<option value="stop" selected>Stop</option>' in page
    assert f'name="cell-{fees}-1"' not in page
    read_only = _text(login(finance_app.test_client(), "auditor").get(url))
    assert "<input" not in read_only.split("<tbody>")[1] and "<td>$1,250.50</td>" in read_only
    assert "<td>Stop</td>" in read_only and "<td>Ignore</td>" in read_only and "<td>Warn</td>" not in read_only


def test_a_refused_grid_keeps_what_was_typed_marked_and_escaped(finance_app):
    with connected(finance_app):
        budget = create_budget(2026, "Plan")
        rent = account("6300")
    manager = login(finance_app.test_client(), "office_manager")
    refused = manager.post(f"/finance/budgets/{budget.id}/grid", data={f"cell-{rent}-1": "<b>12x"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f'name="cell-{rent}-1" value="&lt;b&gt;12x"' in page
    assert 'class="budget-cell invalid"' in page and 'aria-invalid="true" title="' in page and "<b>12x" not in page


def test_the_budget_grid_reads_the_same_queries_whatever_its_size(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    with connected(finance_app):
        budget = create_budget(2026, "Plan")
        set_amount(budget.id, account("6400"), 1, 100)
    few = len(page_queries(manager, f"/finance/budgets/{budget.id}"))
    with connected(finance_app):
        for number in ("6300", "6410", "4000"):
            for month in range(1, 13):
                set_amount(budget.id, account(number), month, 1000 + month)
            set_control(budget.id, account(number), "warn")
    assert len(page_queries(manager, f"/finance/budgets/{budget.id}")) == few


def test_the_periods_offer_close_and_reopen_as_the_user_may(finance_app):
    with connected(finance_app):
        post_entry(dt.date(2026, 1, 5), "rent", lines(("6300", 100), ("1000", -100)))
        close_month(2026, 1)
    manager = _text(login(finance_app.test_client(), "office_manager").get("/finance/periods"))
    assert '<span class="chip chip-closed">Closed</span>' in manager and "Close February 2026</button>" in manager
    assert "Reopen January 2026" not in manager  # reopening is the admin's
    admin = _text(login(finance_app.test_client(), "admin").get("/finance/periods"))
    assert ('<label for="reason-2026-1">Reason</label> <input id="reason-2026-1" name="reason" required '
            'maxlength="500">') in admin and "Reopen January 2026</button>" in admin
    assert 'name="year" value="2026"><input type="hidden" name="month" value="2">' in admin
    auditor = _text(login(finance_app.test_client(), "auditor").get("/finance/periods"))
    assert "January 2026" in auditor and "<form" not in auditor.split("<tbody>")[1].split("</tbody>")[0]


def test_the_periods_page_reads_the_same_queries_however_many_months_are_closed(finance_app):
    admin = login(finance_app.test_client(), "admin")
    with connected(finance_app):
        close_month(2025, 1)
    few = len(page_queries(admin, "/finance/periods"))
    with connected(finance_app):
        for month in range(2, 13):
            close_month(2025, month)
    assert len(page_queries(admin, "/finance/periods")) == few


def test_the_overview_counts_entries_and_checks_the_books_in_a_fixed_number_of_queries(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    with connected(finance_app):
        post_entry(dt.date(2026, 1, 5), "rent", lines(("6300", 100), ("1000", -100)))
    page = _text(manager.get("/finance/"))
    assert "1 posted entries; 0 billing events handled." in page and "No month closed yet." in page
    assert "Debits and credits are both $1.00." in page
    few = len(page_queries(manager, "/finance/"))
    with connected(finance_app):
        for day in range(6, 16):
            post_entry(dt.date(2026, 1, day), "supplies", lines(("6400", 250), ("1000", -250)))
        close_month(2026, 1)
    page = _text(manager.get("/finance/"))
    assert "11 posted entries" in page and "Latest closed month: January 2026." in page
    assert "Debits and credits are both $26.00." in page
    assert len(page_queries(manager, "/finance/")) == few


def test_the_chart_shows_balances_on_each_accounts_normal_side(finance_app):
    with connected(finance_app):
        post_entry(dt.date(2026, 1, 5), "fees", lines(("1000", 50000), ("4900", -50000)))
        post_entry(dt.date(2026, 1, 6), "rent", lines(("6300", 20000), ("1000", -20000)))
    page = _text(login(finance_app.test_client(), "office_manager").get("/finance/accounts"))
    rows = {row.split("</a>")[0].split(">")[-1]: row for row in page.split("<tr><td><a ")[1:]}
    assert "$300.00" in rows["1000"] and "$500.00" in rows["4900"] and "$200.00" in rows["6300"]
    assert "$0.00" in rows["6400"] and "-$" not in page


def test_the_chart_reads_one_query_however_many_accounts_and_searches_and_exports_the_same_balances(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    with connected(finance_app):
        post_entry(dt.date(2026, 1, 6), "rent", lines(("6300", 20000), ("1000", -20000)))
    few = len(page_queries(manager, "/finance/accounts"))
    with connected(finance_app):
        for number in range(10):
            save_account({"number": f"77{number}0", "name": f"Other {number}", "type": "expense",
                          "description": "", "active": True})
    assert len(page_queries(manager, "/finance/accounts")) == few
    found = _text(manager.get("/finance/accounts?q=630"))
    assert "Rent" in found and "$200.00" in found and "Other 1" not in found
    exported = _text(manager.get("/finance/accounts?format=csv")).splitlines()
    assert any(row.startswith("6300,") and ",200.00," in row and row.endswith(",active") for row in exported), exported
    assert any(row.startswith("7710,Other 1,Expense,0.00,") for row in exported), exported


def _summed() -> dict[int, tuple[int, int]]:
    return {a: (int(d), int(c)) for a, d, c in
            JournalLine.select(JournalLine.account, fn.SUM(JournalLine.debit_cents), fn.SUM(JournalLine.credit_cents))
            .join(JournalEntry).where(JournalEntry.status == "posted").group_by(JournalLine.account).tuples()}


def _kept() -> dict[int, tuple[int, int]]:
    return {a: (d, c) for a, d, c in AccountTotal.select(AccountTotal.account, AccountTotal.debit_cents,
                                                         AccountTotal.credit_cents).tuples()}


def test_the_kept_account_totals_follow_every_posting_and_the_migration_fills_them(finance_app):
    with connected(finance_app):
        post_entry(dt.date(2025, 1, 5), "fees", lines(("1000", 50000), ("4900", -50000)))
        rent = post_entry(dt.date(2025, 1, 6), "rent", lines(("6300", 20000), ("6300", 500), ("1000", -20500)))
        reverse_entry(rent, dt.date(2025, 1, 7), "entered twice")
        close_year(2025)  # the closing entry moves the year's result to retained earnings
        post_entry(dt.date(2026, 2, 1), "supplies", lines(("6400", 999), ("1000", -999)))
        assert _kept() == _summed() and _kept()[account("6300")] == (20500, 20500)
        db.execute_sql("DROP TABLE finance_account_total")
        migration = importlib.import_module("medoffice_finance.migrations.0012_kept_account_totals")
        migration.up(None, db.obj)
        assert _kept() == _summed()


def test_the_posting_rules_show_their_conditions(finance_app):
    page = _text(login(finance_app.test_client(), "office_manager").get("/finance/rules"))
    assert "<td>party insurance; method eft</td>" in page and "<td>party patient; method card</td>" in page
    assert '<a href="/finance/rules/' in page and '<td colspan="2">Not booked</td>' in page
    assert "<td>1110 Insurance EFTs in transit</td><td>1210 Insurance receivables</td>" in page
    assert "Payer&#39;s EFT" in page  # descriptions escaped
    read_only = _text(login(finance_app.test_client(), "auditor").get("/finance/rules"))
    assert '<a href="/finance/rules/' not in read_only and "<tr><td>Payment received</td>" in read_only


def test_the_journal_shows_each_entrys_total_in_a_fixed_number_of_queries(finance_app):
    manager = login(finance_app.test_client(), "office_manager")
    with connected(finance_app):
        post_entry(dt.date(2026, 1, 5), "rent", lines(("6300", 12345), ("1000", -12345)))
    page = _text(manager.get("/finance/journal?sort=id&desc=1"))
    assert "$123.45" in page and "rent" in page
    few = len(page_queries(manager, "/finance/journal?sort=id&desc=1"))
    with connected(finance_app):
        for day in range(6, 20):
            post_entry(dt.date(2026, 1, day), "supplies", lines(("6400", 250 + day), ("1000", -250 - day)))
    page = _text(manager.get("/finance/journal?sort=id&desc=1"))
    assert "$2.69" in page and "$123.45" in page
    assert len(page_queries(manager, "/finance/journal?sort=id&desc=1")) == few
    found = _text(manager.get("/finance/journal?sort=entry_date&q=rent"))
    assert "$123.45" in found and "supplies" not in found and ">Manual</td>" in found
    exported = _text(manager.get("/finance/journal?sort=id&format=csv")).splitlines()
    assert exported[1].endswith(",2026-01-05,Manual,rent,123.45") and exported[-1].endswith(",supplies,2.69")

"""Finance's pages keep what is the same for everyone who may see them (a blank form with its choices, a record's
details) per process until what they show changes: an unchanged view reads none of the kept tables, and a change
written by plain SQL to any table a kept part reads, as another process would, shows on the next view."""
from __future__ import annotations

import pytest
from medoffice.db import db
from medoffice.testing import connected, login, reads_of, write_sql


@pytest.fixture
def books(make_app):
    """Billing and finance on, an admin signed in (may see and do everything in finance)."""
    app = make_app(plugins=["billing", "finance"])
    return app, login(app.test_client(), "admin")


def sql(app, statement: str, *params) -> None:
    """``write_sql`` on a connection of its own."""
    with connected(app):
        write_sql(statement, *params)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.get_data(as_text=True)


def assert_reads_none(client, url: str, *tables: str) -> None:
    """A warm, unchanged view of ``url`` reads none of ``tables``."""
    assert not reads_of(client, url, tables)


def test_the_new_entry_form_is_kept_until_an_account_a_budget_line_or_a_location_changes(books):
    app, client = books
    url = "/finance/journal/new"
    assert "1100 Undeposited funds" in page(client, url)
    assert_reads_none(client, url, "finance_account", "finance_budget_line")
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Cash from the desk", "1100")
    assert "1100 Cash from the desk" in page(client, url)
    sql(app, "INSERT INTO finance_budget_line (name, description, active) VALUES (?, '', ?)", "Roof repair", True)
    assert "Roof repair" in page(client, url)
    sql(app, "INSERT INTO core_location (name, address1, address2, city, state, zip, phone, npi, place_of_service, "
             "active) VALUES (?, '', '', '', '', '', '', '', '11', ?)", "Riverside annex", True)
    assert "Riverside annex" in page(client, url)
    assert page(client, url + "?rows=12").count('name="lines-11-account"') == 1  # the rows asked for, kept apart


def test_the_new_entry_form_carries_the_sessions_own_csrf_token(make_app):
    app = make_app(plugins=["billing", "finance"], csrf=True)
    first, second = login(app.test_client(), "admin"), login(app.test_client(), "office_manager")
    tokens = []
    for client in (first, second):
        html = page(client, "/finance/journal/new")
        tokens.append(html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0])
        assert "\x00" not in html
    assert tokens[0] != tokens[1]


def add_vendor_by_sql(app, name: str) -> None:
    sql(app, "INSERT INTO finance_vendor (name, is_1099, terms_days, address, email, active, created_at) "
             "VALUES (?, ?, 30, '', '', ?, CURRENT_TIMESTAMP)", name, False, True)


def test_the_new_bill_form_is_kept_until_a_vendor_an_account_or_a_location_changes(books):
    app, client = books
    url = "/finance/bills/new"
    add_vendor_by_sql(app, "Acme Supply")
    assert "Acme Supply" in page(client, url)
    assert_reads_none(client, url, "finance_account", "finance_vendor")
    sql(app, "UPDATE finance_vendor SET name = ? WHERE name = ?", "Acme Medical Supply", "Acme Supply")
    assert "Acme Medical Supply" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Supplies bought", "6100")
    assert "6100 Supplies bought" in page(client, url)
    sql(app, "INSERT INTO core_location (name, address1, address2, city, state, zip, phone, npi, place_of_service, "
             "active) VALUES (?, '', '', '', '', '', '', '', '11', ?)", "Riverside annex", True)
    assert "Riverside annex" in page(client, url)


def post_entry_by_sql(app, day, debit_account: int, credit_account: int, cents: int) -> None:
    """A balanced entry written and posted by plain SQL (a draft, its two lines, then posted)."""
    sql(app, "INSERT INTO finance_journal_entry (entry_date, memo, kind, status, created_at) "
             "VALUES (?, 'by hand', 'manual', 'draft', CURRENT_TIMESTAMP)", day)
    sql(app, "INSERT INTO finance_journal_line (entry_id, account_id, debit_cents, credit_cents, memo) "
             "SELECT MAX(id), ?, ?, 0, '' FROM finance_journal_entry", debit_account, cents)
    sql(app, "INSERT INTO finance_journal_line (entry_id, account_id, debit_cents, credit_cents, memo) "
             "SELECT MAX(id), ?, 0, ?, '' FROM finance_journal_entry", credit_account, cents)
    sql(app, "UPDATE finance_journal_entry SET status = 'posted', posted_at = CURRENT_TIMESTAMP "
             "WHERE id = (SELECT MAX(id) FROM finance_journal_entry)")


def first_rule(app) -> tuple[int, int]:
    """The id and debit account of the first posting rule that books."""
    with connected(app):
        return db.execute_sql("SELECT MIN(id), MIN(debit_account_id) FROM finance_posting_rule "
                              "WHERE debit_account_id IS NOT NULL").fetchone()


def test_the_rules_page_is_kept_until_a_rule_an_account_or_the_books_change(books):
    import datetime as dt

    app, client = books
    url = "/finance/rules"
    rule, debit = first_rule(app)
    assert f"/finance/rules/{rule}" in page(client, url)
    assert_reads_none(client, url, "finance_posting_rule", "finance_account", "finance_books", "finance_journal_entry")
    sql(app, "UPDATE finance_posting_rule SET description = ? WHERE id = ?", "Booked by the console", rule)
    assert "Booked by the console" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE id = ?", "Renamed by the console", debit)
    assert "Renamed by the console" in page(client, url)
    basis = "cash" if "<strong>accrual</strong>" in page(client, url) else "accrual"
    sql(app, "UPDATE finance_books SET basis = ?", basis)
    assert f"<strong>{basis}</strong>" in page(client, url)
    assert "fixed now that entries are posted" not in page(client, url)
    with connected(app):
        cash, revenue = (db.execute_sql("SELECT id FROM finance_account WHERE number = ?".replace("?", db.param),
                                        (n,)).fetchone()[0] for n in ("1000", "3000"))
    post_entry_by_sql(app, dt.date.today(), cash, revenue, 500)
    assert "fixed now that entries are posted" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # may see the rules, not edit them
    html = page(auditor, url)
    assert "Booked by the console" in html and f"/finance/rules/{rule}" not in html and "Add a rule" not in html


def test_a_rules_form_is_kept_until_the_rule_or_an_account_changes(books):
    app, client = books
    rule, debit = first_rule(app)
    url = f"/finance/rules/{rule}"
    assert "Delete this rule" in page(client, url)
    assert_reads_none(client, url, "finance_posting_rule", "finance_account")
    sql(app, "UPDATE finance_posting_rule SET description = ? WHERE id = ?", "Booked by the console", rule)
    assert 'value="Booked by the console"' in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE id = ?", "Renamed by the console", debit)
    assert "Renamed by the console" in page(client, url)
    assert "Renamed by the console" in page(client, "/finance/rules/new")
    sql(app, "DELETE FROM finance_posting_rule WHERE id = ?", rule)
    assert client.get(url).status_code == 404


@pytest.fixture
def billed(books):
    """The books with a vendor and an approved bill on supplies, nothing paid."""
    import datetime as dt

    from finance_setup import account
    from medoffice_finance.payables import BillLineInput, create_bill, save_vendor

    app, client = books
    with connected(app):
        vendor = save_vendor({"name": "Acme Supply", "is_1099": False, "default_account": None, "terms_days": 30,
                              "address": "", "email": "", "active": True})
        bill = create_bill(vendor.id, "INV-7", dt.date(2026, 3, 10), [BillLineInput(account("6400"), 20000)])
    return app, client, vendor.id, bill.id


def test_the_pay_bills_page_is_kept_until_a_bill_a_vendor_or_an_account_changes(billed):
    app, client, vendor, bill = billed
    url = "/finance/bills/pay"
    assert "Acme Supply" in page(client, url) and 'value="200.00"' in page(client, url)
    assert_reads_none(client, url, "finance_bill", "finance_vendor", "finance_account")
    sql(app, "UPDATE finance_bill SET paid_cents = 5000 WHERE id = ?", bill)
    assert 'value="150.00"' in page(client, url)
    sql(app, "UPDATE finance_vendor SET name = ? WHERE id = ?", "Acme Medical Supply", vendor)
    assert "Acme Medical Supply" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Main checking by hand", "1000")
    assert "Main checking by hand" in page(client, url)
    sql(app, "UPDATE finance_bill SET status = 'void' WHERE id = ?", bill)
    assert "No approved bill is waiting to be paid." in page(client, url)


def test_a_bills_page_is_kept_until_the_bill_its_payments_its_vendor_or_an_account_changes(billed):
    app, client, vendor, bill = billed
    url = f"/finance/bills/{bill}"
    assert "Void the bill" in page(client, url)
    assert_reads_none(client, url, "finance_bill", "finance_bill_line", "finance_bill_payment", "finance_vendor",
                      "finance_account")
    sql(app, "UPDATE finance_bill SET memo = ? WHERE id = ?", "Gloves by the console", bill)
    assert "Gloves by the console" in page(client, url)
    sql(app, "UPDATE finance_bill_line SET memo = ? WHERE bill_id = ?", "Nitrile, large", bill)
    assert "Nitrile, large" in page(client, url)
    sql(app, "UPDATE finance_vendor SET name = ? WHERE id = ?", "Acme Medical Supply", vendor)
    assert "Acme Medical Supply" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Supplies by hand", "6400")
    assert "Supplies by hand" in page(client, url)
    sql(app, "INSERT INTO finance_bill_payment (bill_id, paid_on, amount_cents, method, check_number, "
             "bank_account_id, entry_id, created_at) SELECT id, paid_on, 1234, 'ach', '', "
             "(SELECT id FROM finance_account WHERE number = '1000'), entry_id, CURRENT_TIMESTAMP FROM "
             "(SELECT id, bill_date AS paid_on, entry_id FROM finance_bill WHERE id = ?) AS b", bill)
    assert "$12.34" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # sees the bill, may not void it
    html = page(auditor, url)
    assert "Supplies by hand" in html and "Void the bill" not in html
    assert client.get("/finance/bills/999999").status_code == 404


def test_a_vendors_page_is_kept_until_the_vendor_its_bills_or_an_account_changes(billed):
    app, client, vendor, bill = billed
    url = f"/finance/vendors/{vendor}"
    assert "INV-7" in page(client, url)
    assert_reads_none(client, url, "finance_vendor", "finance_bill", "finance_account")
    sql(app, "UPDATE finance_vendor SET email = ? WHERE id = ?", "orders@acme.example", vendor)
    assert "orders@acme.example" in page(client, url)
    sql(app, "UPDATE finance_bill SET number = ? WHERE id = ?", "INV-7B", bill)
    assert "INV-7B" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Supplies by hand", "6400")
    assert "Supplies by hand" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # sees the terms, not the form
    html = page(auditor, url)
    assert "Terms: 30 days." in html and "orders@acme.example" not in html
    assert "Supplies by hand" in page(client, "/finance/vendors/new")
    assert client.get("/finance/vendors/999999").status_code == 404


def test_a_budgets_grid_is_kept_until_the_budget_its_cells_its_controls_or_an_account_change(books):
    from finance_setup import account
    from medoffice_finance.budget import create_budget

    app, client = books
    with connected(app):
        budget = create_budget(2026, "Operating").id
        supplies = account("6400")
    url = f"/finance/budgets/{budget}"
    assert "Operating" in page(client, url)
    assert_reads_none(client, url, "finance_budget", "finance_budget_amount", "finance_budget_control",
                      "finance_account")
    sql(app, "INSERT INTO finance_budget_amount (budget_id, account_id, month, amount_cents) VALUES (?, ?, 3, 123456)",
        budget, supplies)
    assert 'name="cell-%d-3" value="1234.56"' % supplies in page(client, url)
    sql(app, "INSERT INTO finance_budget_control (budget_id, account_id, action) VALUES (?, ?, 'stop')",
        budget, supplies)
    assert '<option value="stop" selected>' in page(client, url)
    sql(app, "UPDATE finance_budget SET name = ? WHERE id = ?", "Lean year", budget)
    assert "Lean year" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE id = ?", "Supplies by hand", supplies)
    assert "6400 Supplies by hand" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # sees the grid, may not edit it
    html = page(auditor, url)
    assert "$1,234.56" in html and "Save every cell" not in html
    assert client.get("/finance/budgets/999999").status_code == 404


def test_the_periods_page_is_kept_until_a_month_its_history_a_years_close_or_a_user_changes(books):
    app, client = books
    url = "/finance/periods"
    assert "Close the year 2020" not in page(client, url)
    assert_reads_none(client, url, "finance_period", "finance_period_event", "finance_year_close")
    sql(app, "INSERT INTO finance_period (year, month, start_date, end_date, status, changed_at) "
             "VALUES (2020, 1, '2020-01-01', '2020-01-31', 'closed', CURRENT_TIMESTAMP)")
    html = page(client, url)
    assert "Close the year 2020" in html and "Reopen January 2020" in html
    with connected(app):
        admin = db.execute_sql("SELECT MIN(id) FROM core_user").fetchone()[0]
    sql(app, "INSERT INTO finance_period_event (period_id, action, reason, user_id, at) "
             "SELECT id, 'close', '', ?, CURRENT_TIMESTAMP FROM finance_period WHERE year = 2020", admin)
    assert "January 2020 closed by" in page(client, url)
    sql(app, "UPDATE core_user SET full_name = ? WHERE id = ?", "Ada Closer", admin)
    assert "Ada Closer" in page(client, url)
    sql(app, "INSERT INTO finance_year_close (year, closed_at) VALUES (2020, CURRENT_TIMESTAMP)")
    html = page(client, url)
    assert "Close the year 2020" not in html and "Reopen 2020" in html and "Reopen January 2020" not in html
    auditor = login(app.test_client(), "auditor")  # sees the months, may close or reopen none
    html = page(auditor, url)
    assert "Ada Closer" in html
    assert 'action="/finance/periods' not in html


def test_the_recurring_bills_page_is_kept_until_a_recurring_bill_a_vendor_or_an_account_changes(billed):
    app, client, vendor, _bill = billed
    url = "/finance/bills/recurring"
    assert "No recurring bills yet." in page(client, url)
    assert_reads_none(client, url, "finance_recurring_bill", "finance_vendor", "finance_account")
    sql(app, "INSERT INTO finance_recurring_bill (vendor_id, memo, account_id, amount_cents, frequency, \"interval\", "
             "starts_on, days_ahead, active, created_at) SELECT ?, 'Office cleaning', id, 45000, 'monthly', 1, "
             "'2026-01-01', 14, ?, CURRENT_TIMESTAMP FROM finance_account WHERE number = '6400'", vendor, True)
    assert "Office cleaning" in page(client, url)
    sql(app, "UPDATE finance_vendor SET name = ? WHERE id = ?", "Acme Medical Supply", vendor)
    assert "Acme Medical Supply" in page(client, url)
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Supplies by hand", "6400")
    assert "6400 Supplies by hand" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # sees the list, may not add one
    html = page(auditor, url)
    assert "Acme Medical Supply" in html and "Add a recurring bill" not in html
    assert "Add a recurring bill" in page(client, url)


def test_the_daily_close_is_kept_until_a_payment_a_deposit_a_bank_line_a_close_or_an_office_changes(books):
    from finance_setup import DAY, account, payment, publish_events

    app, client = books
    with connected(app):
        eft = payment(70000, "insurance", "eft")
        eft[1]["reference"] = "5550001"
        publish_events(payment(12000, "patient", "check"), payment(2000, "patient", "cash"), eft)
        bank = account("1000")
    url = f"/finance/day?day={DAY.isoformat()}"
    html = page(client, url)
    assert "desk cash and check payment(s) on no deposit slip" in html and "5550001" in html
    assert_reads_none(client, url, "finance_booked_event", "finance_journal_line", "finance_deposit_item",
                      "finance_bank_line", "finance_bank_match", "finance_day_close")
    sql(app, "UPDATE finance_booked_event SET reference = ? WHERE reference = ?", "5550009", "5550001")
    assert "5550009" in page(client, url)
    sql(app, "INSERT INTO finance_deposit (deposit_date, bank_account_id, entry_id, total_cents, memo, created_at, "
             "void_reason, source, reference) VALUES (?, ?, (SELECT MIN(id) FROM finance_journal_entry), 14000, '', "
             "CURRENT_TIMESTAMP, '', 'desk', '')", DAY, bank)
    sql(app, "INSERT INTO finance_deposit_item (deposit_id, booked_event_id, amount_cents) SELECT "
             "(SELECT MAX(id) FROM finance_deposit), id, amount_cents FROM finance_booked_event WHERE method IN "
             "('cash', 'check')")
    assert "desk cash and check payment(s) on no deposit slip" not in page(client, url)
    sql(app, "INSERT INTO finance_bank_statement (account_id, file_name, file_format, start_date, end_date, "
             "line_count, duplicate_count, imported_at) VALUES (?, 'x.ofx', 'ofx', ?, ?, 1, 0, CURRENT_TIMESTAMP)",
        bank, DAY, DAY)
    sql(app, "INSERT INTO finance_bank_line (statement_id, account_id, posted_date, amount_cents, description, bank_id, "
             "dedupe_key) VALUES ((SELECT MAX(id) FROM finance_bank_statement), ?, ?, 999, 'WIRE BY HAND', '', 'k1')",
        bank, DAY)
    assert "WIRE BY HAND" in page(client, url)
    sql(app, "INSERT INTO finance_day_close (day, location_id, desk_cents, deposited_cents, differences, note, "
             "closed_at) VALUES (?, 0, 14000, 14000, 2, 'Closed by the console', CURRENT_TIMESTAMP)", DAY)
    assert "Closed by the console" in page(client, url)
    for name in ("North office", "South office"):
        sql(app, "INSERT INTO core_location (name, address1, address2, city, state, zip, phone, npi, "
                 "place_of_service, active) VALUES (?, '', '', '', '', '', '', '', '11', ?)", name, True)
    assert "South office" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # sees the day, may not reopen it
    html = page(auditor, url)
    assert "Closed by the console" in html and "Reopen the day" not in html
    assert "Reopen the day" in page(client, url)


def test_the_budgets_list_is_kept_until_a_budget_or_a_location_changes(books):
    from medoffice_finance.budget import create_budget

    app, client = books
    with connected(app):
        budget = create_budget(2026, "Operating").id
    url = "/finance/budgets"
    assert "Operating" in page(client, url)
    assert_reads_none(client, url, "finance_budget")
    sql(app, "UPDATE finance_budget SET name = ? WHERE id = ?", "Lean year", budget)
    assert "Lean year" in page(client, url)
    sql(app, "INSERT INTO core_location (name, address1, address2, city, state, zip, phone, npi, place_of_service, "
             "active) VALUES (?, '', '', '', '', '', '', '', '11', ?)", "Riverside annex", True)
    assert "Riverside annex" in page(client, url)  # a choice of the new budget's form
    sql(app, "UPDATE finance_budget SET location_id = (SELECT MAX(id) FROM core_location) WHERE id = ?", budget)
    assert "<td>Riverside annex</td>" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # sees the budgets, may not create one
    html = page(auditor, url)
    assert "Lean year" in html and "New budget" not in html


def account_id(app, number: str) -> int:
    with connected(app):
        return db.execute_sql(f"SELECT id FROM finance_account WHERE number = {db.param}", (number,)).fetchone()[0]


def test_the_chart_is_kept_until_an_account_or_its_posted_totals_change(books):
    app, client = books
    url = "/finance/accounts"
    supplies = account_id(app, "6400")
    assert f"/finance/accounts/{supplies}/edit" in page(client, url)
    assert_reads_none(client, url, "finance_account", "finance_account_total")
    sql(app, "UPDATE finance_account SET name = ? WHERE id = ?", "Supplies by hand", supplies)
    assert "Supplies by hand" in page(client, url)
    sql(app, "INSERT INTO finance_account_total (account_id, debit_cents, credit_cents) VALUES (?, 424242, 0)",
        supplies)
    assert "$4,242.42" in page(client, url)
    auditor = login(app.test_client(), "auditor")  # sees the chart, may not edit it
    html = page(auditor, url)
    assert "$4,242.42" in html and f"/finance/accounts/{supplies}/edit" not in html


def test_an_accounts_form_is_kept_until_the_account_or_its_use_changes(books):
    import datetime as dt

    app, client = books
    unused = account_id(app, "6400")
    sql(app, "DELETE FROM finance_posting_rule WHERE debit_account_id = ? OR credit_account_id = ?", unused, unused)
    url = f"/finance/accounts/{unused}/edit"
    assert "Delete this account" in page(client, url)
    assert_reads_none(client, url, "finance_account", "finance_journal_line", "finance_posting_rule")
    sql(app, "UPDATE finance_account SET name = ? WHERE id = ?", "Supplies by hand", unused)
    assert 'value="Supplies by hand"' in page(client, url)
    sql(app, "INSERT INTO finance_posting_rule (event_name, basis, party, method, kind, group_code, books, "
             "debit_account_id, description, updated_at) VALUES ('billing.refund_posted', 'any', '', 'wire', '', '', "
             "?, ?, '', CURRENT_TIMESTAMP)", True, unused)
    assert "This account has been used" in page(client, url)
    sql(app, "DELETE FROM finance_posting_rule WHERE debit_account_id = ?", unused)
    assert "Delete this account" in page(client, url)
    sql(app, "INSERT INTO finance_journal_entry (entry_date, memo, kind, status, created_at) "
             "VALUES (?, 'by hand', 'manual', 'draft', CURRENT_TIMESTAMP)", dt.date(2026, 3, 10))
    sql(app, "INSERT INTO finance_journal_line (entry_id, account_id, debit_cents, credit_cents, memo) "
             "SELECT MAX(id), ?, 100, 0, '' FROM finance_journal_entry", unused)
    assert "This account has been used" in page(client, url)
    assert "Delete this account" not in page(client, "/finance/accounts/new")
    assert client.get("/finance/accounts/999999/edit").status_code == 404


def test_the_overviews_books_section_is_kept_until_the_setup_or_a_months_close_changes(books):
    import datetime as dt

    app, client = books
    url = "/finance/"
    assert "No month closed yet." in page(client, url) and "0 posted entries" in page(client, url)
    assert_reads_none(client, url, "finance_books", "finance_period")
    sql(app, "UPDATE finance_books SET opened_on = ?", dt.date(2025, 1, 1))
    assert "Opened on 2025-01-01." in page(client, url)
    sql(app, "INSERT INTO finance_period (year, month, start_date, end_date, status, changed_at) "
             "VALUES (2025, 1, '2025-01-01', '2025-01-31', 'closed', CURRENT_TIMESTAMP)")
    assert "Latest closed month: January 2025." in page(client, url)
    post_entry_by_sql(app, dt.date(2025, 2, 3), account_id(app, "1000"), account_id(app, "3000"), 500)
    html = page(client, url)
    assert "1 posted entries" in html and "The basis is fixed now that entries are posted." in html
    auditor = login(app.test_client(), "auditor")  # sees the books, may not change their setup
    html = page(auditor, url)
    assert "Opened on 2025-01-01." in html and "Save the setup" not in html


def test_the_vendors_and_bills_lists_are_kept_until_a_vendor_or_a_bill_changes(billed):
    app, client, vendor, bill = billed
    assert "Acme Supply" in page(client, "/finance/vendors") and "INV-7" in page(client, "/finance/bills")
    assert_reads_none(client, "/finance/vendors", "finance_vendor")
    assert_reads_none(client, "/finance/bills", "finance_bill", "finance_vendor")
    sql(app, "UPDATE finance_vendor SET name = ? WHERE id = ?", "Acme Medical Supply", vendor)
    assert "Acme Medical Supply" in page(client, "/finance/vendors")
    assert "Acme Medical Supply" in page(client, "/finance/bills")
    sql(app, "UPDATE finance_bill SET number = ? WHERE id = ?", "INV-7B", bill)
    assert "INV-7B" in page(client, "/finance/bills")


def test_the_journal_is_kept_until_an_entry_or_a_line_changes(books):
    import datetime as dt

    app, client = books
    url = "/finance/journal?sort=id&desc=1"
    with connected(app):
        cash, revenue = (db.execute_sql("SELECT id FROM finance_account WHERE number = ?".replace("?", db.param),
                                        (n,)).fetchone()[0] for n in ("1000", "3000"))
    post_entry_by_sql(app, dt.date(2026, 3, 2), cash, revenue, 4200)
    html = page(client, url)
    assert "by hand" in html and "$42.00" in html and "1 entry" in html
    assert_reads_none(client, url, "finance_journal_entry", "finance_journal_line")
    sql(app, "INSERT INTO finance_journal_entry (entry_date, memo, kind, status, created_at) "
             "VALUES (?, 'Float for the desk', 'manual', 'draft', CURRENT_TIMESTAMP)", dt.date(2026, 3, 3))
    sql(app, "INSERT INTO finance_journal_line (entry_id, account_id, debit_cents, credit_cents, memo) "
             "SELECT MAX(id), ?, 999, 0, '' FROM finance_journal_entry", cash)
    sql(app, "INSERT INTO finance_journal_line (entry_id, account_id, debit_cents, credit_cents, memo) "
             "SELECT MAX(id), ?, 0, 999, '' FROM finance_journal_entry", revenue)
    assert "Float for the desk" not in page(client, url)  # a draft is not in the journal
    sql(app, "UPDATE finance_journal_line SET debit_cents = 1999 WHERE debit_cents = 999")
    sql(app, "UPDATE finance_journal_line SET credit_cents = 1999 WHERE credit_cents = 999")
    sql(app, "UPDATE finance_journal_entry SET status = 'posted', posted_at = CURRENT_TIMESTAMP "
             "WHERE memo = 'Float for the desk'")
    html = page(client, url)
    assert "Float for the desk" in html and "$19.99" in html and "$42.00" in html and "2 entries" in html
    exported = client.get(url + "&format=csv").get_data(as_text=True)
    assert "Float for the desk" in exported and "19.99" in exported and "42.00" in exported


def test_the_deposits_and_what_waits_are_kept_until_a_deposit_or_the_books_change(books):
    import datetime as dt

    from finance_setup import account, payment, publish_events
    from medoffice_finance.deposits import make_deposit, undeposited

    app, client = books
    url = "/finance/deposits?sort=date&desc=1"
    with connected(app):
        publish_events(payment(12000, "patient", "check"), payment(2000, "patient", "cash"))
        make_deposit([w.booked_event_id for w in undeposited() if w.method == "check"], dt.date(2026, 3, 11),
                     account("1000"), "Monday slip")
    html = page(client, url)
    assert "Monday slip" in html and "$120.00" in html and "1 desk payment ($20.00) waits" in html
    assert_reads_none(client, url, "finance_deposit", "finance_booked_event", "finance_journal_line",
                      "finance_deposit_item", "finance_account")
    sql(app, "UPDATE finance_deposit SET memo = ? WHERE memo = ?", "Tuesday slip", "Monday slip")
    assert "Tuesday slip" in page(client, url)
    with connected(app):
        publish_events(payment(4550, "patient", "check"))  # booked: a journal line on undeposited funds
    assert "2 desk payments ($65.50) wait in undeposited funds" in page(client, url)
    sql(app, "DELETE FROM finance_deposit_item")  # as if the slip held nothing: every payment waits again
    assert "3 desk payments ($185.50) wait" in page(client, url)


def test_the_bank_statements_are_kept_until_a_statement_or_an_account_changes(books):
    import datetime as dt

    app, client = books
    url = "/finance/bank?sort=id&desc=1"
    with connected(app):
        bank = db.execute_sql("SELECT id FROM finance_account WHERE number = ?".replace("?", db.param),
                              ("1000",)).fetchone()[0]
    sql(app, "INSERT INTO finance_bank_statement (account_id, file_name, file_format, start_date, end_date, "
             "ending_balance_cents, line_count, duplicate_count, imported_at) "
             "VALUES (?, 'march.ofx', 'ofx', ?, ?, 987650, 41, 0, CURRENT_TIMESTAMP)",
        bank, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    html = page(client, url)
    assert "$9,876.50" in html and "1000 " in html and ">41<" in html
    assert_reads_none(client, url, "finance_bank_statement", "finance_account")
    sql(app, "UPDATE finance_bank_statement SET line_count = 43, reconciled_at = CURRENT_TIMESTAMP")
    html = page(client, url)
    assert ">43<" in html and "reconciled" in html.lower()
    sql(app, "UPDATE finance_account SET name = ? WHERE number = ?", "Checking by the console", "1000")
    assert "1000 Checking by the console" in page(client, url)


CHECKED_TABLES = ("core_event", "finance_log_tally", "finance_books", "finance_journal_entry", "finance_account_total",
                  "finance_journal_line", "finance_account", "finance_booked_event")


def test_the_checks_against_billing_are_kept_until_the_log_or_the_books_change(books):
    from finance_setup import payment, publish_events

    app, client = books
    for url in ("/finance/widget", "/finance/"):
        assert "0 events booked, none waiting." in page(client, url)
        assert_reads_none(client, url, *CHECKED_TABLES)
    with connected(app):
        publish_events(payment(12000, "patient", "check"))  # booked at once: the log and the books move together
    html = page(client, "/finance/widget")
    assert "1 events booked, none waiting." in html and "Billing received $120.00" in html
    sql(app, "UPDATE finance_account_total SET debit_cents = debit_cents + 5 WHERE debit_cents > 0")
    assert "Failing</span>\n    <strong>The journal balances" in page(client, "/finance/widget")
    sql(app, "UPDATE finance_account_total SET debit_cents = debit_cents - 5 WHERE debit_cents > 0")
    assert "Failing" not in page(client, "/finance/")
    sql(app, "INSERT INTO core_event (name, version, published_at, payload, position) VALUES "
             "('billing.refund_posted', 1, CURRENT_TIMESTAMP, '{\"amount_cents\": 0}', 999999)")
    html = page(client, "/finance/")  # an event another process published, not booked yet
    assert "1 of 2 events are not booked" in html
    sql(app, "INSERT INTO finance_booked_event (event_position, event_name, amount_cents, booked_at, party, method, "
             "reference) VALUES (999999, 'billing.refund_posted', 0, CURRENT_TIMESTAMP, '', '', '')")
    assert "2 events booked, none waiting." in page(client, "/finance/widget")

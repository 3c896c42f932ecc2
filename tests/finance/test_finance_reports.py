"""The trial balance (report and ``medoffice finance trial-balance --json``), the list pages' and the statements'
query counts, and the app with one of billing and finance turned off."""
from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from finance_setup import account, adjustment, charge, lines, payment, publish_events
from medoffice.cli import main
from medoffice.models import Location
from medoffice.testing import connected, count_queries, login, page_queries, set_plugin_enabled

from medoffice_finance.budget import create_budget, set_amount
from medoffice_finance.journal import LineInput, post_entry
from medoffice_finance.reports import balance_sheet, budget_report, general_ledger, profit_and_loss, trial_balance
from medoffice_finance.yearend import close_year


def _cli_app(make_app, tmp_path, plugins):
    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "medoffice.toml").write_text('secret_key = "test-secret-key"\nbackup_key = "k"\n')
    return make_app(instance=instance, plugins=plugins)


def test_the_trial_balance_as_of_a_day_on_the_command_line(make_app, tmp_path):
    app = _cli_app(make_app, tmp_path, ["finance"])
    with connected(app):
        post_entry(dt.date(2026, 1, 2), "opening", lines(("1000", 500000), ("3900", -500000)), kind="opening")
        post_entry(dt.date(2026, 2, 1), "rent", lines(("6300", 120000), ("1000", -120000)))
        assert trial_balance(dt.date(2026, 1, 31))["totals"] == {"debit_cents": 500000, "credit_cents": 500000}
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    result = CliRunner().invoke(main, ["--instance", app.instance_path, "finance", "trial-balance", "--as-of",
                                       "2026-02-28", "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["as_of"] == "2026-02-28" and data["totals"] == {"debit_cents": 620000, "credit_cents": 620000}
    assert [(a["number"], a["debit_cents"], a["credit_cents"], a["balance_cents"]) for a in data["accounts"]] == [
        ("1000", 500000, 120000, 380000), ("3900", 0, 500000, 500000), ("6300", 120000, 0, 120000)]
    assert set(data["accounts"][0]) == {"number", "name", "type", "debit_cents", "credit_cents", "balance_cents"}
    text = CliRunner().invoke(main, ["--instance", app.instance_path, "finance", "trial-balance", "--as-of",
                                     "2026-01-31"], env=env)
    assert text.exit_code == 0 and "$5,000.00" in text.output and "6300" not in text.output


def test_the_report_runs_through_core(make_app):
    app = make_app(plugins=["finance"])
    admin = login(app.test_client(), "admin")
    with connected(app):
        post_entry(dt.date(2026, 1, 2), "rent", lines(("6300", 1000), ("1000", -1000)))
    page = admin.get("/reports/finance.trial_balance?as_of=2026-12-31")
    assert page.status_code == 200 and "6300" in page.get_data(as_text=True)


def test_list_pages_run_as_many_queries_with_three_times_the_rows(make_app):
    app = make_app(plugins=["finance"])
    manager = login(app.test_client(), "office_manager")

    def add(count):
        with connected(app):
            for n in range(count):
                post_entry(dt.date(2026, 1, 1 + n), f"bill {n}", lines(("6410", 100 + n), ("1000", -100 - n)))

    add(3)
    urls = ("/finance/journal?sort=id&desc=1", "/finance/accounts", "/finance/periods", "/finance/rules",
            "/finance/deposits?sort=date&desc=1")
    counts = {url: len(page_queries(manager, url)) for url in urls}
    add(9)
    assert {url: len(page_queries(manager, url)) for url in counts} == counts


def test_finance_works_as_plain_books_with_billing_off_and_billing_without_finance(make_app):
    app = make_app(plugins=["billing", "finance"])
    set_plugin_enabled(app, "billing", False)
    manager = login(app.test_client(), "office_manager")
    assert manager.get("/finance/").status_code == 200 and manager.get("/billing/payers").status_code == 404
    set_plugin_enabled(app, "billing", True)
    set_plugin_enabled(app, "finance", False)
    biller = login(app.test_client(), "billing")
    assert biller.get("/billing/payers").status_code == 200 and manager.get("/finance/").status_code == 404


def test_profit_and_loss_by_range_and_location_leaves_out_the_year_end_close(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        north = Location.create(name="North").id
        post_entry(dt.date(2025, 3, 1), "fees", [*lines(("1000", 90000)),
                                                LineInput(account("4030"), credit_cents=60000, location_id=north),
                                                LineInput(account("4000"), credit_cents=30000)])
        post_entry(dt.date(2025, 4, 1), "rent", [LineInput(account("6300"), debit_cents=25000, location_id=north),
                                                 *lines(("1000", -25000))])
        close_year(2025)
        whole = profit_and_loss(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        assert [(r["number"], r["amount_cents"]) for r in whole.rows] == [("4000", 30000), ("4030", 60000),
                                                                           ("6300", 25000)]
        assert whole.totals == {"amount_cents": 65000}
        assert profit_and_loss(dt.date(2025, 1, 1), dt.date(2025, 12, 31), north).totals == {"amount_cents": 35000}
        assert profit_and_loss(dt.date(2025, 4, 1), dt.date(2025, 4, 30)).totals == {"amount_cents": -25000}
    admin = login(app.test_client(), "admin")
    page = admin.get("/reports/finance.profit_and_loss?start=2025-01-01&end=2025-12-31")
    assert page.status_code == 200 and "$650.00" in page.get_data(as_text=True)
    assert admin.get("/reports/finance.profit_and_loss?start=2025-12-31&end=2025-01-01").status_code == 422


def test_the_journal_exports_as_beancount_that_bean_check_accepts_with_the_trial_balance(make_app, tmp_path):
    from beancount import loader
    from beancount.core.data import Transaction

    app = _cli_app(make_app, tmp_path, ["billing", "finance"])
    with connected(app):
        post_entry(dt.date(2026, 1, 2), 'opening "cash"', lines(("1000", 500000), ("3900", -500000)), kind="opening")
        publish_events(charge(20000), payment(12000, "insurance", "eft"), adjustment(-5000), payment(1999))
        post_entry(dt.date(2026, 2, 1), "rent", lines(("6300", 120000), ("1000", -120000)))
        expected = {row["number"]: row["debit_cents"] - row["credit_cents"]
                    for row in trial_balance(dt.date(2026, 12, 31))["accounts"]}
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    ledger = tmp_path / "books.beancount"
    result = CliRunner().invoke(main, ["--instance", app.instance_path, "finance", "export", "--format", "beancount",
                                       "--out", str(ledger)], env=env)
    assert result.exit_code == 0 and "Wrote 6 transactions" in result.output, result.output
    entries, errors, _options = loader.load_file(str(ledger))
    assert errors == []
    totals = {}
    for entry in entries:
        if isinstance(entry, Transaction):
            for posting in entry.postings:
                number = posting.account.split(":")[1].split("-")[0][1:]
                totals[number] = totals.get(number, 0) + int(posting.units.number * 100)
    assert totals == expected
    journal = tmp_path / "journal.csv"
    result = CliRunner().invoke(main, ["--instance", app.instance_path, "finance", "export", "--format", "csv",
                                       "--out", str(journal), "--start", "2026-02-01", "--end", "2026-02-28"], env=env)
    assert result.exit_code == 0 and "Wrote 2 journal lines" in result.output
    rows = journal.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "entry,date,kind,memo,account,account_name,debit,credit,line_memo"
    assert rows[1].split(",")[4:8] == ["6300", "Rent", "1200.00", "0.00"]


def test_the_balance_sheet_balances_with_the_unclosed_result_as_equity(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        post_entry(dt.date(2026, 1, 2), "opening", lines(("1000", 500000), ("2500", -200000), ("3900", -300000)),
                   kind="opening")
        post_entry(dt.date(2026, 2, 1), "fees", lines(("1000", 90000), ("4030", -90000)))
        post_entry(dt.date(2026, 2, 2), "rent", lines(("6300", 30000), ("1000", -30000)))
        sheet = balance_sheet(dt.date(2026, 12, 31))
    rows = {(r["section"], r["number"]): r["amount_cents"] for r in sheet.rows}
    assert rows == {("Assets", "1000"): 560000, ("Liabilities", "2500"): 200000, ("Equity", "3900"): 300000,
                    ("Equity", ""): 60000}
    assert "Assets $5,600.00" in sheet.notes and "together $5,600.00" in sheet.notes


def test_the_general_ledger_brings_the_balance_forward_and_runs_it(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        post_entry(dt.date(2026, 1, 2), "opening", lines(("1000", 500000), ("3900", -500000)), kind="opening")
        post_entry(dt.date(2026, 2, 1), "fees", lines(("1000", 90000), ("4030", -90000)))
        post_entry(dt.date(2026, 2, 2), "rent", lines(("6300", 30000), ("1000", -30000)))
        ledger = general_ledger("1000", dt.date(2026, 2, 1), dt.date(2026, 2, 28))
        revenue = general_ledger("4030", dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert [(r["memo"], r["debit_cents"], r["credit_cents"], r["balance_cents"]) for r in ledger.rows] == [
        ("Balance brought forward", None, None, 500000), ("fees", 90000, None, 590000), ("rent", None, 30000, 560000)]
    assert ledger.totals == {"debit_cents": 90000, "credit_cents": 30000, "balance_cents": 560000}
    assert revenue.rows[-1]["balance_cents"] == 90000 and "credit" in revenue.notes
    admin = login(app.test_client(), "admin")
    page = admin.get("/reports/finance.general_ledger?account=1000&start=2026-02-01&end=2026-02-28")
    assert page.status_code == 200 and "$5,600.00" in page.get_data(as_text=True)


def test_the_four_statements_each_read_one_aggregate_however_many_accounts_and_lines(make_app):
    app = make_app(plugins=["finance"])
    reports = {"trial balance": lambda: trial_balance(dt.date(2026, 12, 31)),
               "profit and loss": lambda: profit_and_loss(dt.date(2026, 1, 1), dt.date(2026, 12, 31)),
               "balance sheet": lambda: balance_sheet(dt.date(2026, 12, 31)),
               "budget vs actual": lambda: budget_report(2026, 12, "ytd")}

    def statements():
        counts = {}
        for name, run in reports.items():
            with count_queries() as seen:
                run()
            counts[name] = len(seen)
        return counts

    with connected(app):
        budget = create_budget(2026, "Plan")
        set_amount(budget.id, account("6300"), 1, 1000)
        post_entry(dt.date(2026, 1, 2), "rent", lines(("6300", 1000), ("1000", -1000)))
        few = statements()
        for n, number in enumerate(("6400", "6410", "4000", "4030", "2500")):
            post_entry(dt.date(2026, 2, 1 + n), f"entry {n}", lines((number, 100 + n), ("1000", -100 - n)))
        assert len(budget_report(2026, 12, "ytd").rows) == 5
        assert statements() == few == {"trial balance": 1, "profit and loss": 1, "balance sheet": 1,
                                       "budget vs actual": 2}

"""Payables: bills approved above a threshold, booked to payables (accrual) or when paid (cash), paid in part
or in full with their due date in core's deadlines, voided while unpaid, recurring on schedules, and the aged
payables and 1099-NEC reports."""
from __future__ import annotations

import datetime as dt

import pytest
from finance_setup import account
from medoffice import deadlines, settings
from medoffice.testing import connected, login, page_queries

from medoffice_finance.balances import account_balances
from medoffice_finance.books import set_up
from medoffice_finance.journal import JournalError, reverse_entry
from medoffice_finance.models import Bill, JournalEntry, RecurringBill, Vendor
from medoffice_finance.payables import (BillLineInput, PayablesError, approve_bill, create_bill,
                                        create_recurring_bills, pay_bill, prorate, save_recurring, save_vendor,
                                        schedule, void_bill)
from medoffice_finance.reports import aged_payables, check_register, nec_totals

DAY = dt.date(2026, 3, 10)


def _vendor(name="Acme Medical Supply", is_1099=False):
    return save_vendor({"name": name, "is_1099": is_1099, "default_account": None, "terms_days": 30, "address": "",
                        "email": "", "active": True})


def _balances():
    return {b.number: b.balance_cents for b in account_balances()}


def test_prorating_leaves_no_cent_behind():
    assert prorate(100, [1, 1, 1]) == [34, 33, 33]
    assert sum(prorate(9999, [3, 7, 11])) == 9999


def test_a_bill_above_the_threshold_waits_for_approval_then_is_booked_and_paid_in_parts(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        settings.set_many({"finance.bill_approval_cents": 50000})
        vendor = _vendor()
        small = create_bill(vendor.id, "INV-1", DAY, [BillLineInput(account("6400"), 20000)])
        assert small.status == "approved" and small.due_date == DAY + dt.timedelta(days=30)
        big = create_bill(vendor.id, "INV-2", DAY, [BillLineInput(account("6400"), 60000),
                                                   BillLineInput(account("6410"), 15000)])
        assert big.status == "awaiting" and big.entry_id is None
        with pytest.raises(PayablesError, match="not approved"):
            pay_bill(big.id, 1000, DAY, account("1000"), "ach")
        with pytest.raises(PayablesError, match="entered already"):
            create_bill(vendor.id, "INV-2", DAY, [BillLineInput(account("6400"), 100)])
        approve_bill(big.id)
        assert _balances()["2000"] == 95000 and _balances()["6400"] == 80000
        with pytest.raises(JournalError, match="void the bill"):
            reverse_entry(JournalEntry.get_by_id(Bill.get_by_id(big.id).entry_id), DAY, "no")
        due = deadlines.find("finance", f"bill:{big.id}")
        assert due.due == DAY + dt.timedelta(days=30) and due.state == "open"
        with pytest.raises(PayablesError, match="check number"):
            pay_bill(big.id, 30000, DAY, account("1000"), "check")
        pay_bill(big.id, 30000, DAY, account("1000"), "check", "1001")
        with pytest.raises(PayablesError, match="at most"):
            pay_bill(big.id, 50000, DAY, account("1000"), "ach")
        pay_bill(big.id, 45000, DAY + dt.timedelta(days=3), account("1000"), "ach")
        assert Bill.get_by_id(big.id).open_cents == 0
        assert deadlines.find("finance", f"bill:{big.id}").state == "done"
        assert _balances()["2000"] == 20000 and _balances()["1000"] == -75000
        with pytest.raises(PayablesError, match="Payments were made"):
            void_bill(big.id, "duplicate", DAY)
        void_bill(small.id, "entered twice", DAY)
        assert _balances()["2000"] == 0 and deadlines.find("finance", f"bill:{small.id}").state == "superseded"
        register = check_register(DAY, DAY + dt.timedelta(days=5))
        assert [(r["check_number"], r["amount_cents"]) for r in register.rows] == [("1001", 30000), ("", 45000)]


def test_on_cash_basis_a_payment_books_the_bill_lines_pro_rata(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        set_up("cash", None)
        vendor = _vendor()
        bill = create_bill(vendor.id, "C-1", DAY, [BillLineInput(account("6400"), 200),
                                                  BillLineInput(account("6410"), 100)])
        assert bill.status == "approved" and bill.entry_id is None and "2000" not in _balances()
        pay_bill(bill.id, 100, DAY, account("1000"), "ach")
        assert (_balances()["6400"], _balances()["6410"], _balances()["1000"]) == (67, 33, -100)


def test_aged_payables_and_1099_totals(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        plumber = _vendor("Joe Plumbing", is_1099=True)
        supply = _vendor()
        old = create_bill(plumber.id, "P-1", dt.date(2026, 1, 1), [BillLineInput(account("6990"), 70000)],
                          due_date=dt.date(2026, 1, 31))
        create_bill(plumber.id, "P-2", dt.date(2026, 3, 1), [BillLineInput(account("6990"), 10000)],
                    due_date=dt.date(2026, 3, 31))
        create_bill(supply.id, "S-1", dt.date(2026, 2, 1), [BillLineInput(account("6400"), 5000)],
                    due_date=dt.date(2026, 2, 20))
        aged = aged_payables(dt.date(2026, 3, 15))
        rows = {r["vendor"]: r for r in aged.rows}
        assert (rows["Joe Plumbing"]["current_cents"], rows["Joe Plumbing"]["days_31_60_cents"]) == (10000, 70000)
        assert rows["Acme Medical Supply"]["days_1_30_cents"] == 5000
        assert aged.totals["open_cents"] == 85000
        pay_bill(old.id, 70000, dt.date(2026, 3, 20), account("1000"), "check", "2001")
        nec = nec_totals(2026)
        assert [(r["vendor"], r["paid_cents"]) for r in nec.rows] == [("Joe Plumbing", 70000)]


def test_recurring_bills_on_their_schedules_are_created_once(make_app):
    app = make_app(plugins=["finance"])
    with connected(app):
        landlord = _vendor("Landlord LLC")
        base = {"vendor": landlord.id, "memo": "Rent", "account": account("6300"), "location": None,
                "amount_cents": 480000, "interval": 1, "ends_on": None, "days_ahead": 10}
        last_day = save_recurring({**base, "frequency": "last_business_day", "starts_on": dt.date(2026, 1, 1)})
        assert [d.date() for d in schedule(last_day)[:3]] == [dt.date(2026, 1, 30), dt.date(2026, 2, 27),
                                                              dt.date(2026, 3, 31)]
        every = save_recurring({**base, "frequency": "weeks", "interval": 2, "starts_on": dt.date(2026, 1, 5),
                                "memo": "Cleaning", "amount_cents": 15000})
        assert [d.date() for d in schedule(every)[:2]] == [dt.date(2026, 1, 5), dt.date(2026, 1, 19)]
        quarterly = save_recurring({**base, "frequency": "quarterly", "starts_on": dt.date(2026, 1, 15)})
        assert [d.date() for d in schedule(quarterly)[:2]] == [dt.date(2026, 1, 15), dt.date(2026, 4, 15)]
        made = create_recurring_bills(dt.date(2026, 1, 25))
        assert made == 5  # up to Feb 4 (10 days ahead): Jan 30 rent, Jan 5, 19 and Feb 2 cleaning, Jan 15 quarterly
        assert create_recurring_bills(dt.date(2026, 1, 25)) == 0
        assert Bill.select().where(Bill.recurring == last_day.id).get().due_date == dt.date(2026, 3, 1)
        with pytest.raises(PayablesError, match="how often"):
            save_recurring({**base, "frequency": "sometimes", "starts_on": DAY})
        assert RecurringBill.select().count() == 3


def test_bills_are_entered_approved_and_paid_from_the_pages(make_app):
    app = make_app(plugins=["finance"], csrf=True)
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        vendor = _vendor()
        settings.set_many({"finance.bill_approval_cents": 10000})
        supplies, bank = account("6400"), account("1000")
    bad = manager.post("/finance/bills/new", data={"vendor": str(vendor.id), "number": "", "bill_date": "2026-03-10",
                                                   "lines-0-account": str(supplies), "lines-0-amount": "250.00"})
    assert bad.status_code == 422 and "invoice number" in bad.get_data(as_text=True)
    made = manager.post("/finance/bills/new", data={"vendor": str(vendor.id), "number": "A-77",
                                                    "bill_date": "2026-03-10", "lines-0-account": str(supplies),
                                                    "lines-0-amount": "250.00"})
    assert made.status_code == 303
    page = manager.get(made.headers["Location"]).get_data(as_text=True)
    assert "$250.00" in page and "Awaiting approval" in page
    with connected(app):
        bill = Bill.get(Bill.number == "A-77")
    assert login(app.test_client(), "front_desk").post(f"/finance/bills/{bill.id}/approve").status_code == 403
    assert manager.post(f"/finance/bills/{bill.id}/approve").status_code == 403  # approval is someone else's
    assert login(app.test_client(), "admin").post(f"/finance/bills/{bill.id}/approve").status_code == 303
    due = manager.get("/finance/bills/pay").get_data(as_text=True)
    assert "A-77" in due
    paid = manager.post("/finance/bills/pay", data={"bills": [str(bill.id)], f"amount-{bill.id}": "250.00",
                                                    "paid_on": "2026-03-12", "bank_account": str(bank),
                                                    "method": "check", "first_check": "3001"})
    assert paid.status_code == 303
    with connected(app):
        assert Bill.get_by_id(bill.id).open_cents == 0
    vendors = manager.get("/finance/vendors")
    assert vendors.status_code == 200 and "Acme Medical Supply" in vendors.get_data(as_text=True)


def test_the_recurring_bills_page_lists_each_schedule_in_a_fixed_number_of_queries(make_app):
    app = make_app(plugins=["finance"], csrf=True)
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        landlord, cleaner = _vendor("Landlord LLC"), _vendor("Bright & Clean")
        base = {"vendor": landlord.id, "memo": "Rent", "account": account("6300"), "location": None,
                "amount_cents": 480000, "interval": 1, "ends_on": None, "days_ahead": 10}
        save_recurring({**base, "frequency": "monthly", "starts_on": dt.date(2026, 1, 1)})
    few = len(page_queries(manager, "/finance/bills/recurring"))
    with connected(app):
        save_recurring({**base, "vendor": cleaner.id, "memo": "Cleaning <weekly>", "frequency": "weeks",
                        "interval": 2, "amount_cents": 15050, "starts_on": dt.date(2026, 1, 5)})
        create_recurring_bills(dt.date(2026, 1, 25))
    assert len(page_queries(manager, "/finance/bills/recurring")) == few
    page = manager.get("/finance/bills/recurring").get_data(as_text=True)
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0].split("</tr>")[:2]
    assert "Bright &amp; Clean" in rows[0] and "Cleaning &lt;weekly&gt;" in rows[0] and "(2)" in rows[0]
    assert "$150.50" in rows[0] and "Every N weeks (2)" in rows[0], rows[0]
    assert rows[0].count("</td><td") == 5 and rows[0].endswith("</td>") and not rows[0].endswith("<td></td>")
    assert "Landlord LLC" in rows[1] and "$4,800.00" in rows[1] and "Add a recurring bill" in page
    assert f'<option value="{cleaner.id}">Bright &amp; Clean</option>' in page
    assert page.index("Bright &amp; Clean</option>") < page.index("Landlord LLC</option>")  # by name
    assert page.index(">1000 Operating checking</option>") < page.index(">6300 ") < page.index(">6400 ")  # by number
    refused = manager.post("/finance/bills/recurring", data={"vendor": str(cleaner.id), "memo": "", "amount": "12",
                                                             "account": str(account("6300")), "frequency": "weeks",
                                                             "interval": "1", "starts_on": "2026-02-01",
                                                             "days_ahead": "14"})
    assert refused.status_code == 422
    form = refused.get_data(as_text=True).split('action="/finance/bills/recurring"', 1)[1]
    assert f'<select id="vendor" name="vendor" required><option value=""></option>' in form
    assert f'<option selected value="{cleaner.id}">Bright &amp; Clean</option>' in form
    assert f'<option selected value="{account("6300")}">6300 ' in form and '<option selected value="weeks">' in form


def test_the_bills_list_shows_each_bills_vendor_dates_status_and_what_is_open(make_app):
    app = make_app(plugins=["finance"], csrf=True)
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        vendor = _vendor("Paper & Co")
        bill = create_bill(vendor.id, "INV-7", dt.date(2026, 3, 2), [BillLineInput(account("6410"), 12550, "paper")],
                           due_date=dt.date(2026, 4, 1))
        pay_bill(bill.id, 5000, dt.date(2026, 3, 5), account("1000"), "check", "1001")
    page = manager.get("/finance/bills").get_data(as_text=True)
    row = page.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/finance/bills/{bill.id}">INV-7</a>' in row and "<td>Paper &amp; Co</td>" in row
    assert "2026-03-02" in row or "03/02/2026" in row
    assert "$125.50" in row and "$75.50" in row and 'class="chip' in row
    exported = manager.get("/finance/bills?format=csv").get_data(as_text=True).splitlines()
    assert exported[1].startswith("INV-7,Paper & Co,2026-03-02,2026-04-01,") and exported[1].endswith(",125.50,75.50")

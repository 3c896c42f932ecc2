"""Payroll and marketing reach the books through the durable event log: a pay run HR posts is booked by
the seeded payroll rules (wages, withholdings, employer taxes; a correcting run's negative lines undo
them), and a marketing spend becomes the vendor's bill, once however often it is delivered. Finance
imports neither plugin: HR's run is posted through HR's pages, marketing's spend through its service."""
from __future__ import annotations

import datetime as dt

import pytest
from medoffice import settings
from medoffice.db import transaction, utcnow
from medoffice.events import deliver_all, publish
from medoffice.events.models import EventSubscriber
from medoffice.models import StaffMember, User
from medoffice.testing import connected, login, practice_today

from medoffice_finance.balances import account_balances
from medoffice_finance.invariants import run_all
from medoffice_finance.journal import JournalError, reverse_entry
from medoffice_finance.models import Account, Bill, BillLine, BookedEvent, JournalEntry, Vendor
from medoffice_finance.spend import SPEND_SUBSCRIPTION_NAME

PAYROLL = "hr.payroll_journal_line"


def _balances() -> dict[str, int]:
    return {b.number: b.balance_cents for b in account_balances() if b.balance_cents}


def _statuses() -> dict[str, str]:
    return {check.name: check.status for check in run_all()}


def _run_lines(run_id: int, day: dt.date, sign: int = 1, corrects: int | None = None) -> list[tuple[str, dict]]:
    """A balanced pay run's journal as HR publishes it: gross 1,000.00, employer taxes 102.50."""
    lines = [("net_pay", "wages", 70_000), ("employee_federal_income_tax", "wages", 15_000),
             ("employee_social_security", "wages", 6_200), ("employee_medicare", "wages", 1_450),
             ("employee_401k", "wages", 7_350), ("employer_social_security", "employer_taxes", 6_200),
             ("employer_medicare", "employer_taxes", 1_450), ("employer_futa", "employer_taxes", 600),
             ("employer_suta", "employer_taxes", 2_000)]
    return [(PAYROLL, {"run_id": run_id, "kind": kind, "debit": debit, "amount_cents": sign * amount,
                       "effective_date": day, "posted_at": utcnow(), "reference": f"Pay run {run_id}",
                       "corrects_run_id": corrects}) for kind, debit, amount in lines]


def _publish(events) -> None:
    with transaction():
        for name, data in events:
            publish(name, data)


def test_a_pay_run_is_booked_by_the_payroll_rules_and_a_correcting_run_undoes_it(make_app):
    app = make_app(plugins=["hr", "finance"])
    with connected(app):
        day = practice_today()
        _publish(_run_lines(1, day))
        assert _balances() == {"6000": 100_000, "6100": 10_250, "1000": -70_000,
                               "2110": 15_000 + 6_200 + 1_450 + 10_250, "2120": 7_350}  # liabilities: credit balances
        assert set(_statuses().values()) == {"ok"}
        entry = JournalEntry.select().where(JournalEntry.kind == "hr").first()
        assert "Payroll: net pay, Pay run 1" in {e.memo for e in JournalEntry.select().where(JournalEntry.kind == "hr")}
        with pytest.raises(JournalError, match="correcting run in HR"):
            reverse_entry(entry, day, "typed by hand")

        _publish(_run_lines(2, day, sign=-1, corrects=1))
        assert _balances() == {}
        assert set(_statuses().values()) == {"ok"}


def test_a_pay_run_posted_in_hr_reaches_the_books(make_app):
    app = make_app(plugins=["hr", "finance"], csrf=True)
    hr = login(app.test_client(), "hr", username="hana")
    login(app.test_client(), "front_desk", username="sam")
    with connected(app):
        settings.set_many({"hr.pay_frequency": "biweekly", "hr.pay_period_anchor": "2026-01-04",
                           "hr.payroll_state": "PA", "hr.suta_rate_bp": 270})
        staff = StaffMember.create(first_name="Sam", last_name="Test", job_title="Office manager")
        User.update(staff=staff.id).where(User.username == "sam").execute()
        from medoffice_hr import timesheets
        start, _ = timesheets.period_of(settings.today())
        start, end = timesheets.period_of(start - dt.timedelta(days=1))
    assert hr.post(f"/hr/employees/{staff.id}/employment", data={
        "hire_date": "2024-01-08", "end_date": "", "status": "active", "employment_type": "full_time",
        "job_title": "Office manager", "department": "", "location": "", "supervisor": "",
        "flsa_exempt": "y"}).status_code == 302
    assert hr.post(f"/hr/employees/{staff.id}/pay-rates", data={"effective_on": "2024-01-08", "basis": "salary",
                                                               "amount": "52000"}).status_code == 302
    assert hr.post(f"/hr/employees/{staff.id}/payroll", data={
        "filing_status": "single", "step3": "0", "step4a": "0", "step4b": "0", "step4c": "0",
        "state_allowances": "0"}).status_code == 302
    created = hr.post("/hr/payroll", data={"period_day": start.isoformat(),
                                           "pay_date": (end + dt.timedelta(days=5)).isoformat()})
    run_id = int(created.headers["Location"].rstrip("/").split("/")[-1])
    assert hr.post(f"/hr/payroll/{run_id}/post").status_code == 302

    with connected(app):
        balances = _balances()
        assert balances["6000"] == 200_000  # 52,000 a year over 26 pay periods: the gross
        assert balances["6100"] > 0 and balances["1000"] < 0  # employer taxes; net pay out of the bank
        assert balances["6000"] + balances["6100"] + balances["1000"] == sum(
            v for k, v in balances.items() if k.startswith("2"))  # debits equal credits
        assert set(_statuses().values()) == {"ok"}


def _spend(spend_id: int, amount: int, vendor: str, day: dt.date) -> tuple[str, dict]:
    return "marketing.spend_recorded", {"spend_id": spend_id, "campaign_id": 3, "campaign_code": "SPRING",
                                        "channel": "print", "amount_cents": amount, "spent_on": day,
                                        "vendor": vendor, "description": "Postcards"}


def test_marketing_spend_becomes_the_vendors_bill_once(make_app):
    app = make_app(plugins=["marketing", "finance"])
    with connected(app):
        day = practice_today()
        _publish([_spend(1, 30_000, "Metro Print Co.", day), _spend(2, 250_000, "Metro Print Co.", day)])
        vendor = Vendor.get(Vendor.name == "Metro Print Co.")
        bills = {b.number: b for b in Bill.select().where(Bill.vendor == vendor.id)}
        assert set(bills) == {"MKT-1", "MKT-2"}
        assert bills["MKT-1"].status == "approved" and bills["MKT-1"].total_cents == 30_000
        assert bills["MKT-2"].status != "approved"  # over the approval threshold: waits for the manager
        line = BillLine.get(BillLine.bill == bills["MKT-1"].id)
        assert line.account.number == "6700" and "SPRING" in line.memo
        assert _balances() == {"6700": 30_000, "2000": 30_000}
        assert set(_statuses().values()) == {"ok"}

        with transaction():  # the cursor rewound as after a crash before its commit: delivered again
            EventSubscriber.update(delivered_position=0).where(
                EventSubscriber.name == SPEND_SUBSCRIPTION_NAME).execute()
        deliver_all("finance")
        assert Bill.select().count() == 2 and BookedEvent.select().count() == 2


def test_spend_in_a_closed_month_is_billed_on_the_first_open_day(make_app):
    app = make_app(plugins=["marketing", "finance"])
    with connected(app):
        from medoffice_finance import periods
        today = practice_today()
        last_month_end = today.replace(day=1) - dt.timedelta(days=1)
        periods.close_month(last_month_end.year, last_month_end.month)
        _publish([_spend(7, 12_000, "Radio 98", last_month_end)])
        bill = Bill.get(Bill.number == "MKT-7")
        assert bill.bill_date == today.replace(day=1)
        assert "in a closed month" in bill.memo


def test_the_small_demos_pay_run_is_booked_as_a_balanced_entry(make_app):
    from medoffice.demo import load_demo

    from medoffice_finance.models import JournalLine

    app = make_app(plugins=["hr", "finance"])
    load_demo(app, "small")
    with connected(app):
        entries = list(JournalEntry.select().where(JournalEntry.kind == "hr"))
        assert entries, "the demo posts a pay run"
        for entry in entries:
            lines = list(JournalLine.select().where(JournalLine.entry == entry.id))
            assert sum(line.debit_cents for line in lines) == sum(line.credit_cents for line in lines) > 0
        assert set(_statuses().values()) == {"ok"}
        # The demo's monthly summary leaves payroll to the pay runs: wages are not booked twice.
        summarised = (JournalLine.select().join(JournalEntry).where(JournalEntry.memo == "Monthly bills and payroll")
                      .switch(JournalLine).join(Account).where(Account.number.in_(["6000", "6010", "6100"])))
        assert not summarised.exists()

"""Demo books: an opening balance, then each month's deposits of the practice's collections (a summary by payer
class), rent, payroll, supplies and other bills paid from the bank, for two years (small) or five (large); a few
vendors and this month's bills, and this year's budget. Billing's demo money and HR's demo pay runs reach the
books through their events, delivered at the end so the books are caught up when the demo is done; when HR's pay
runs are there, the monthly summary leaves payroll to them."""
from __future__ import annotations

import datetime as dt

from medoffice.db import after_commit, in_managed_transaction, transaction
from medoffice.events import deliver_all
from medoffice.events.models import EventRecord

from .budget import create_budget, set_control
from .invariants import keep_tally
from .journal import LineInput, post_entry
from .models import Account, JournalEntry
from .payables import BillLineInput, create_bill, create_recurring_bills, pay_bill, save_recurring, save_vendor
from .rules import PAYROLL_EVENTS

# account number, monthly amount in dollars (before the demo's variation), memo
MONTHLY = [("6300", 4800, "Rent"), ("6000", 21000, "Staff payroll"), ("6010", 26000, "Provider compensation"),
           ("6100", 3600, "Employer payroll taxes"), ("6200", 2900, "Benefits"), ("6310", 650, "Utilities"),
           ("6400", 1900, "Medical supplies"), ("6410", 420, "Office supplies"), ("6500", 1250, "Malpractice insurance"),
           ("6600", 1100, "EHR and IT services"), ("6610", 310, "Phones and internet"), ("6700", 500, "Marketing"),
           ("6800", 280, "Card processing fees"), ("6810", 390, "Clearinghouse")]
PAYROLL_ACCOUNTS = ("6000", "6010", "6100")  # left to HR's pay runs when HR published them
# account number, monthly collections in dollars: commercial, Medicare, Medicaid, self-pay
COLLECTIONS = [("4000", 62000), ("4010", 34000), ("4020", 9000), ("4030", 7000)]


def _month_starts(today: dt.date, months: int) -> list[dt.date]:
    first = dt.date(today.year, today.month, 1)
    days = []
    for back in range(months, 0, -1):
        year, month = first.year, first.month - back
        while month < 1:
            year, month = year - 1, month + 12
        days.append(dt.date(year, month, 1))
    return days


def create_demo_data(ctx) -> None:
    """Write the demo books for ``ctx.size`` (idempotent: nothing is added when manual entries exist)."""
    if JournalEntry.select().where(JournalEntry.kind.in_(["opening", "manual"])).exists():
        return
    ids = {a.number: a.id for a in Account.select(Account.id, Account.number)}
    months = _month_starts(ctx.today, 24 if ctx.size == "small" else 60)
    hr_books_payroll = EventRecord.select().where(EventRecord.name.in_(list(PAYROLL_EVENTS))).exists()
    monthly = [item for item in MONTHLY if not (hr_books_payroll and item[0] in PAYROLL_ACCOUNTS)]
    with transaction():
        post_entry(months[0], "Opening balances", [
            LineInput(ids["1000"], debit_cents=18_500_000), LineInput(ids["1500"], debit_cents=9_200_000),
            LineInput(ids["1510"], debit_cents=2_600_000), LineInput(ids["2500"], credit_cents=7_500_000),
            LineInput(ids["3900"], credit_cents=22_800_000)], kind="opening")
        for start in months:
            deposits = [LineInput(ids[number], credit_cents=dollars * 100 + ctx.rng.randint(-dollars * 6, dollars * 6))
                        for number, dollars in COLLECTIONS]
            deposits.append(LineInput(ids["1000"], debit_cents=sum(line.credit_cents for line in deposits)))
            post_entry(start + dt.timedelta(days=ctx.rng.randint(25, 27)), "Deposits of the month's collections",
                       deposits)
            lines = []
            for number, dollars, memo in monthly:
                cents = dollars * 100 + ctx.rng.randint(-dollars * 8, dollars * 8)  # within about 8 %
                lines.append(LineInput(ids[number], debit_cents=cents, memo=memo))
            lines.append(LineInput(ids["1000"], credit_cents=sum(line.debit_cents for line in lines),
                                   memo="Paid from operating checking"))
            post_entry(start + dt.timedelta(days=ctx.rng.randint(0, 4)), "Monthly bills and payroll", lines)
        _payables_and_budget(ctx, ids)
    deliver_all("finance")
    # Keep the log's tally as the morning job would, so the overview's checks read only the events after the
    # demo: once the demo's transaction committed (events take their positions as it commits).
    if in_managed_transaction():
        after_commit(keep_tally)
    else:
        keep_tally()


def _payables_and_budget(ctx, ids: dict) -> None:
    """A few vendors and this month's bills (one paid by check, one waiting for approval), a recurring cleaning
    bill, and this year's budget from last year's actuals plus 3 %, warning on medical supplies."""
    today = ctx.today
    supply = save_vendor({"name": "MedLine Supply", "is_1099": False, "default_account": ids["6400"], "terms_days": 30,
                          "address": "", "email": "", "active": True})
    plumber = save_vendor({"name": "Oak Street Plumbing", "is_1099": True, "default_account": ids["6990"],
                           "terms_days": 15, "address": "", "email": "", "active": True})
    cleaner = save_vendor({"name": "Bright Cleaning", "is_1099": True, "default_account": ids["6990"],
                           "terms_days": 10, "address": "", "email": "", "active": True})
    start = today.replace(day=1)
    paid = create_bill(supply.id, f"ML-{today:%y%m}1", start, [BillLineInput(ids["6400"], 64_250, "Gloves and gauze")])
    pay_bill(paid.id, paid.total_cents, start + dt.timedelta(days=1), ids["1000"], "check", "5001")
    create_bill(plumber.id, f"OSP-{today:%y%m}", start, [BillLineInput(ids["6990"], 145_000, "Water heater")])
    save_recurring({"vendor": cleaner.id, "memo": "Office cleaning", "account": ids["6990"], "location": None,
                    "amount_cents": 18_000, "frequency": "weeks", "interval": 2, "starts_on": start, "ends_on": None,
                    "days_ahead": 7})
    create_recurring_bills(today)
    budget = create_budget(today.year, "Operating budget", method="last_year", percent=3)
    set_control(budget.id, ids["6400"], "warn")

"""Payables: vendors, bills, their approval and payment, and recurring bills.

A bill above ``finance.bill_approval_cents`` waits for a holder of ``finance.bills.approve``; one at or
below it is approved as it is entered. Approval books it on accrual basis (expense lines debited, accounts
payable credited) and puts its due date in core's deadlines; on cash basis nothing is booked until it is
paid. A payment (check or ACH, all or part of what is left) posts payables debited (accrual) or the bill's
expense lines pro rata (cash), the bank credited. The 1099-NEC totals and the aged payables are reports.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dateutil.rrule import FR, MO, MONTHLY, TH, TU, WE, WEEKLY, YEARLY, rrule
from medoffice import audit, deadlines, settings
from medoffice.db import transaction, utcnow
from medoffice.limits import EARLIEST_DATE, LATEST_DATE
from medoffice.money import format_cents

from .actor import acting_user
from .books import basis
from .budget import BudgetError, enforce
from .journal import JournalError, LineInput, post_entry, reverse_entry
from .models import Account, Bill, BillLine, BillPayment, JournalEntry, RecurringBill, Vendor

METHODS = {"check": "Check", "ach": "ACH"}
FREQUENCIES = {"monthly": "Every month", "quarterly": "Every quarter", "yearly": "Every year",
               "weeks": "Every N weeks", "last_business_day": "Last business day of every month"}
DEADLINE_KIND = "finance.bill_due"


class PayablesError(ValueError):
    """A payables action that is refused; ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BillLineInput:
    """One line of a new bill."""

    account_id: int
    amount_cents: int
    memo: str = ""
    location_id: int | None = None
    budget_line_id: int | None = None


def save_vendor(values: dict, vendor: Vendor | None = None) -> Vendor:
    """Create or update a vendor from form values (audited)."""
    name = values["name"].strip()
    clash = Vendor.get_or_none(Vendor.name == name)
    if clash is not None and (vendor is None or clash.id != vendor.id):
        raise PayablesError("Another vendor has that name.", "name")
    if not 0 <= values["terms_days"] <= 365:
        raise PayablesError("Terms are 0 to 365 days.", "terms_days")
    values = {**values, "name": name}
    with transaction():
        if vendor is None:
            vendor = Vendor.create(**values)
            audit.record("finance.vendor.create", "finance_vendor", vendor.id, detail={"name": name})
            return vendor
        Vendor.update(**values).where(Vendor.id == vendor.id).execute()
        audit.record("finance.vendor.update", "finance_vendor", vendor.id, detail={"name": name})
    return Vendor.get_by_id(vendor.id)


def _check_lines(lines: list[BillLineInput]) -> int:
    if not lines:
        raise PayablesError("A bill needs at least one line with an account and an amount.")
    for number, line in enumerate(lines, start=1):
        if line.amount_cents <= 0:
            raise PayablesError(f"Line {number}: the amount must be more than zero.")
    found = {a.id: a for a in Account.select().where(Account.id.in_([line.account_id for line in lines]))}
    for number, line in enumerate(lines, start=1):
        account = found.get(line.account_id)
        if account is None or not account.active or account.type not in ("expense", "asset"):
            raise PayablesError(f"Line {number}: choose an active expense (or asset) account.")
    return sum(line.amount_cents for line in lines)


def approval_threshold() -> int:
    """Bills above this many cents wait for approval."""
    return settings.get("finance.bill_approval_cents", 100_000)


def create_bill(vendor_id: int, number: str, bill_date: dt.date, lines: list[BillLineInput], *,
                due_date: dt.date | None = None, memo: str = "", recurring_id: int | None = None) -> Bill:
    """Enter a vendor's bill; approved at once when at or under the approval threshold (audited).

    :raises PayablesError: an unknown vendor, a number the vendor used already, bad lines or dates, or a
        budget set to stop that the bill would take past its amount.
    """
    vendor = Vendor.get_or_none(Vendor.id == vendor_id)
    if vendor is None or not vendor.active:
        raise PayablesError("Choose an active vendor.", "vendor")
    number = number.strip()[:60]
    if not number:
        raise PayablesError("Enter the vendor's invoice number.", "number")
    due = due_date or bill_date + dt.timedelta(days=vendor.terms_days)
    for day in (bill_date, due):
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise PayablesError(f"Dates must be between {EARLIEST_DATE} and {LATEST_DATE}.", "bill_date")
    if due < bill_date:
        raise PayablesError("The due date cannot be before the bill's date.", "due_date")
    total = _check_lines(lines)
    user_id, _name = acting_user()
    with transaction():
        if Bill.select().where((Bill.vendor == vendor.id) & (Bill.number == number)).exists():
            raise PayablesError(f"{vendor.name}'s bill {number} is entered already.", "number")
        try:
            enforce([(line.account_id, line.amount_cents, line.location_id) for line in lines], bill_date)
        except BudgetError as exc:
            raise PayablesError(str(exc)) from None
        bill = Bill.create(vendor=vendor.id, number=number, bill_date=bill_date, due_date=due, memo=memo[:200],
                           total_cents=total, created_by_user_id=user_id, recurring=recurring_id)
        BillLine.insert_many([{"bill": bill.id, "account": line.account_id, "amount_cents": line.amount_cents,
                               "memo": line.memo[:200], "location": line.location_id,
                               "budget_line": line.budget_line_id} for line in lines]).execute()
        audit.record("finance.bill.create", "finance_bill", bill.id,
                     detail={"vendor": vendor.id, "number": number, "total_cents": total})
        if total <= approval_threshold():
            _approve(bill)
    return Bill.get_by_id(bill.id)


def _approve(bill: Bill) -> None:
    vendor = Vendor.get_by_id(bill.vendor_id)
    entry = None
    if basis() == "accrual":
        payables = Account.get_or_none(Account.role == "accounts_payable")
        if payables is None:
            raise PayablesError("The chart has no accounts payable account.")
        lines = [LineInput(line.account_id, debit_cents=line.amount_cents, memo=line.memo, location_id=line.location_id,
                           budget_line_id=line.budget_line_id) for line in _lines(bill)]
        lines.append(LineInput(payables.id, credit_cents=bill.total_cents, memo=f"{vendor.name} {bill.number}"))
        try:
            entry = post_entry(bill.bill_date, f"Bill {bill.number} from {vendor.name}", lines, kind="bill",
                               audit_detail={"bill": bill.id})
        except JournalError as exc:
            raise PayablesError(str(exc)) from None
    user_id, _name = acting_user()
    Bill.update(status="approved", approved_at=utcnow(), approved_by_user_id=user_id,
                entry=entry.id if entry else None).where(Bill.id == bill.id).execute()
    deadlines.upsert("finance", f"bill:{bill.id}", title=f"Pay {vendor.name}'s bill {bill.number}"[:200],
                     due=bill.due_date, kind=DEADLINE_KIND,
                     concerns=("finance_bill", bill.id, "finance.bill", {"bill_id": bill.id}),
                     assignee_role="office_manager")
    audit.record("finance.bill.approve", "finance_bill", bill.id, detail={"total_cents": bill.total_cents})


def _lines(bill: Bill) -> list[BillLine]:
    return list(BillLine.select().where(BillLine.bill == bill.id).order_by(BillLine.id))


def approve_bill(bill_id: int) -> Bill:
    """Approve a bill waiting for approval (the route checks the permission). :raises PayablesError."""
    with transaction():
        bill = Bill.get_by_id(bill_id)
        if bill.status != "awaiting":
            raise PayablesError("Only a bill waiting for approval can be approved.")
        _approve(bill)
    return Bill.get_by_id(bill_id)


def prorate(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` cents in proportion to ``weights``, the rounding left to the largest remainders."""
    total = sum(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: -(amount * weights[i] % total))
    for i in order[:amount - sum(shares)]:
        shares[i] += 1
    return shares


def pay_bill(bill_id: int, amount_cents: int, paid_on: dt.date, bank_account_id: int, method: str,
             check_number: str = "") -> BillPayment:
    """Pay all or part of an approved bill from a bank account (audited); the deadline closes when paid.

    :raises PayablesError: a bill not approved, more than is left, a bad method or check number, or a
        date the books refuse.
    """
    if method not in METHODS:
        raise PayablesError("Choose check or ACH.", "method")
    check_number = check_number.strip()[:20]
    if method == "check" and not check_number:
        raise PayablesError("Enter the check number.", "check_number")
    with transaction():
        bill = Bill.get_by_id(bill_id)
        vendor = Vendor.get_by_id(bill.vendor_id)
        if bill.status != "approved":
            raise PayablesError(f"Bill {bill.number} is not approved for payment.")
        if not 0 < amount_cents <= bill.open_cents:
            raise PayablesError(f"Pay more than zero and at most the {format_cents(bill.open_cents)} left.", "amount")
        bank = Account.get_or_none(Account.id == bank_account_id)
        if bank is None or bank.type != "asset" or not bank.active:
            raise PayablesError("Choose the bank account the money leaves from.", "bank_account")
        label = f"{vendor.name} {bill.number}" + (f", check {check_number}" if check_number else ", ACH")
        if basis() == "accrual":
            payables = Account.get(Account.role == "accounts_payable")
            lines = [LineInput(payables.id, debit_cents=amount_cents, memo=label)]
        else:
            bill_lines = _lines(bill)
            lines = [LineInput(line.account_id, debit_cents=share, memo=label, location_id=line.location_id,
                               budget_line_id=line.budget_line_id)
                     for line, share in zip(bill_lines, prorate(amount_cents, [b.amount_cents for b in bill_lines]))
                     if share]
        lines.append(LineInput(bank.id, credit_cents=amount_cents, memo=label))
        try:
            entry = post_entry(paid_on, f"Payment of {label}", lines, kind="bill_payment",
                               audit_detail={"bill": bill.id})
        except JournalError as exc:
            raise PayablesError(str(exc)) from None
        user_id, _name = acting_user()
        payment = BillPayment.create(bill=bill.id, paid_on=paid_on, amount_cents=amount_cents, method=method,
                                     check_number=check_number, bank_account=bank.id, entry=entry.id,
                                     created_by_user_id=user_id)
        Bill.update(paid_cents=Bill.paid_cents + amount_cents).where(Bill.id == bill.id).execute()
        if amount_cents == bill.open_cents:
            found = deadlines.find("finance", f"bill:{bill.id}")
            if found is not None and found.state == "open":
                deadlines.complete(found.id, note=f"Paid: {label}")
        audit.record("finance.bill.pay", "finance_bill", bill.id,
                     detail={"payment": payment.id, "amount_cents": amount_cents, "method": method,
                             "check_number": check_number})
    return payment


def void_bill(bill_id: int, reason: str, void_date: dt.date) -> Bill:
    """Void a bill nothing was paid on: its entry (if booked) is reversed, its deadline superseded (audited)."""
    reason = reason.strip()
    if not reason:
        raise PayablesError("Say why the bill is voided.", "reason")
    with transaction():
        bill = Bill.get_by_id(bill_id)
        if bill.status == "void":
            raise PayablesError("The bill is void already.")
        if bill.paid_cents:
            raise PayablesError("Payments were made on this bill: it cannot be voided.")
        if bill.entry_id is not None:
            try:
                reverse_entry(JournalEntry.get_by_id(bill.entry_id), void_date, f"bill {bill.number} voided: {reason}",
                              owner="bill")
            except JournalError as exc:
                raise PayablesError(str(exc)) from None
        Bill.update(status="void", voided_at=utcnow(), void_reason=reason[:500]).where(Bill.id == bill.id).execute()
        deadlines.supersede("finance", f"bill:{bill.id}", reason="Bill voided")
        audit.record("finance.bill.void", "finance_bill", bill.id, detail={"reason": reason[:500]})
    return Bill.get_by_id(bill.id)


# Recurring bills ------------------------------------------------------------------------------------------

def schedule(recurring: RecurringBill):
    """The dates a recurring bill falls on (a dateutil rrule)."""
    kind, start = recurring.frequency, recurring.starts_on
    until = recurring.ends_on
    if kind == "monthly":
        return rrule(MONTHLY, dtstart=start, until=until)
    if kind == "quarterly":
        return rrule(MONTHLY, interval=3, dtstart=start, until=until)
    if kind == "yearly":
        return rrule(YEARLY, dtstart=start, until=until)
    if kind == "weeks":
        return rrule(WEEKLY, interval=max(1, recurring.interval), dtstart=start, until=until)
    if kind == "last_business_day":
        return rrule(MONTHLY, byweekday=(MO, TU, WE, TH, FR), bysetpos=-1, dtstart=start, until=until)
    raise PayablesError("Choose how often the bill comes.", "frequency")


def save_recurring(values: dict) -> RecurringBill:
    """Create a recurring bill (audited). :raises PayablesError: bad schedule, amount or vendor."""
    if values["frequency"] not in FREQUENCIES:
        raise PayablesError("Choose how often the bill comes.", "frequency")
    if values["amount_cents"] <= 0:
        raise PayablesError("The amount must be more than zero.", "amount")
    if values.get("ends_on") and values["ends_on"] < values["starts_on"]:
        raise PayablesError("The last date cannot be before the first.", "ends_on")
    if not 1 <= values.get("interval", 1) <= 52 or not 0 <= values["days_ahead"] <= 90:
        raise PayablesError("Weeks are 1 to 52, days ahead 0 to 90.", "interval")
    with transaction():
        recurring = RecurringBill.create(**values)
        audit.record("finance.recurring_bill.create", "finance_recurring_bill", recurring.id,
                     detail={"vendor": recurring.vendor_id, "frequency": recurring.frequency})
    return recurring


def create_recurring_bills(today: dt.date) -> int:
    """Create every recurring bill due within its ``days_ahead`` (the daily job); returns how many. Each
    is numbered after its date, so a bill once created is never made twice."""
    made = 0
    for recurring in RecurringBill.select().where(RecurringBill.active):
        start = (recurring.created_through + dt.timedelta(days=1)) if recurring.created_through else recurring.starts_on
        horizon = today + dt.timedelta(days=recurring.days_ahead)
        if start > horizon:
            continue
        vendor = Vendor.get_by_id(recurring.vendor_id)
        for occurrence in schedule(recurring).between(
                dt.datetime.combine(start, dt.time()), dt.datetime.combine(horizon, dt.time()), inc=True):
            day = occurrence.date()
            number = f"R{recurring.id}-{day.isoformat()}"
            if Bill.select().where((Bill.vendor == vendor.id) & (Bill.number == number)).exists():
                continue
            create_bill(vendor.id, number, day, [BillLineInput(recurring.account_id, recurring.amount_cents,
                                                               recurring.memo, recurring.location_id)],
                        memo=recurring.memo, recurring_id=recurring.id)
            made += 1
        RecurringBill.update(created_through=horizon).where(RecurringBill.id == recurring.id).execute()
    return made

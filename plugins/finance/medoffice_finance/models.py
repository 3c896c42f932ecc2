"""Finance tables, all prefixed ``finance_``.

Money is integer cents; a journal line is a debit or a credit (one positive, the other zero).
Entries are written as drafts, their lines added, then posted: the database itself refuses to post
an unbalanced entry, to change or delete a posted one (or its lines), and to post into a closed
month (triggers, see ``migrations/0001_initial.py`` and ``ledger_guards``). Billing's rows are
referred to by plain integers only (plugins never import each other).
"""
from __future__ import annotations

import calendar

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow
from medoffice.models import Location

ACCOUNT_TYPES = {"asset": "Asset", "liability": "Liability", "equity": "Equity", "revenue": "Revenue",
                 "expense": "Expense"}
DEBIT_NORMAL = ("asset", "expense")  # the others grow with credits


class Account(BaseModel):
    """One account of the chart: numbered, typed; deactivated rather than deleted once used.

    ``role`` marks the few accounts the plugin's own logic needs (undeposited funds, retained
    earnings...), so staff may renumber and rename them freely.
    """

    number = pw.CharField(max_length=10, unique=True)
    name = pw.CharField(max_length=120)
    type = pw.CharField(max_length=10)
    description = pw.TextField(default="")
    role = pw.CharField(max_length=40, null=True, unique=True)
    active = pw.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_account"

    @property
    def label(self) -> str:
        """``1100 Undeposited funds``."""
        return f"{self.number} {self.name}"


class BudgetLine(BaseModel):
    """A line of the budget that journal lines may be charged to (a campaign, a project, a grant)."""

    name = pw.CharField(max_length=120, unique=True)
    description = pw.TextField(default="")
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "finance_budget_line"


class JournalEntry(BaseModel):
    """A journal entry: balanced lines on one date. Immutable once posted; undone by a reversing entry.

    ``kind``: manual, opening, billing or hr (booked from an event), reversal, closing (year end), deposit.
    """

    entry_date = pw.DateField()
    memo = pw.CharField(max_length=300, default="")
    kind = pw.CharField(max_length=12, default="manual")
    status = pw.CharField(max_length=8, default="draft", constraints=[pw.Check("status IN ('draft', 'posted')")])
    reverses = pw.ForeignKeyField("self", null=True, unique=True, backref="reversals", on_delete="RESTRICT")
    posted_at = UTCDateTimeField(null=True)
    posted_by_user_id = pw.IntegerField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_journal_entry"
        indexes = ((("status", "entry_date"), False), (("status", "id"), False))


class JournalLine(BaseModel):
    """One side of an entry: a debit or a credit on an account, with an optional location and budget line."""

    entry = pw.ForeignKeyField(JournalEntry, backref="lines", on_delete="RESTRICT")
    account = pw.ForeignKeyField(Account, backref="lines", on_delete="RESTRICT")
    debit_cents = pw.BigIntegerField(default=0, constraints=[pw.Check("debit_cents >= 0")])
    credit_cents = pw.BigIntegerField(default=0, constraints=[pw.Check("credit_cents >= 0")])
    memo = pw.CharField(max_length=200, default="")
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    budget_line = pw.ForeignKeyField(BudgetLine, null=True, on_delete="RESTRICT")

    class Meta:
        table_name = "finance_journal_line"
        indexes = ((("account", "entry"), False),)
        constraints = [pw.SQL("CHECK ((debit_cents > 0 AND credit_cents = 0) OR (debit_cents = 0 AND credit_cents > 0))")]


class AccountTotal(BaseModel):
    """An account's posted debits and credits, all time: kept by ``post_entry`` in the transaction that posts (the
    only way an entry becomes posted), so the chart's balances read one row an account instead of every line."""

    account = pw.ForeignKeyField(Account, primary_key=True, backref="+", on_delete="CASCADE")
    debit_cents = pw.BigIntegerField(default=0)
    credit_cents = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "finance_account_total"


class Period(BaseModel):
    """A calendar month of the books; a closed one takes no postings until reopened."""

    year = pw.IntegerField()
    month = pw.IntegerField()
    start_date = pw.DateField()
    end_date = pw.DateField()
    status = pw.CharField(max_length=8, default="open", constraints=[pw.Check("status IN ('open', 'closed')")])
    changed_at = UTCDateTimeField(default=utcnow)
    changed_by_user_id = pw.IntegerField(null=True)

    class Meta:
        table_name = "finance_period"
        indexes = ((("year", "month"), True), (("status", "start_date"), False))

    @property
    def label(self) -> str:
        """``March 2026``."""
        return f"{calendar.month_name[self.month]} {self.year}"


class PeriodEvent(BaseModel):
    """The history of a month: each close and reopen, by whom, and the reason for a reopen."""

    period = pw.ForeignKeyField(Period, backref="events", on_delete="CASCADE")
    action = pw.CharField(max_length=8)
    reason = pw.TextField(default="")
    user_id = pw.IntegerField(null=True)
    at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_period_event"


class YearClose(BaseModel):
    """A closed year: its closing entry moved the year's result to retained earnings."""

    year = pw.IntegerField(unique=True)
    entry = pw.ForeignKeyField(JournalEntry, null=True, on_delete="RESTRICT")  # None: the year had no result
    closed_at = UTCDateTimeField(default=utcnow)
    closed_by_user_id = pw.IntegerField(null=True)

    class Meta:
        table_name = "finance_year_close"


class Books(BaseModel):
    """The books' setup (one row): cash or accrual basis, fixed once anything is posted."""

    basis = pw.CharField(max_length=8, default="accrual")
    opened_on = pw.DateField(null=True)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_books"


class PostingRule(BaseModel):
    """How one kind of billing event is booked: its debit and credit accounts (data, edited on a page).

    Conditions left blank match anything; the rule with the most conditions set wins. ``books``
    False means "matched and deliberately not booked" (charges on cash basis).
    """

    event_name = pw.CharField(max_length=120)
    basis = pw.CharField(max_length=8, default="any")
    party = pw.CharField(max_length=10, default="")
    method = pw.CharField(max_length=10, default="")
    kind = pw.CharField(max_length=40, default="")
    group_code = pw.CharField(max_length=2, default="")
    books = pw.BooleanField(default=True)
    debit_account = pw.ForeignKeyField(Account, null=True, backref="+", on_delete="RESTRICT")
    credit_account = pw.ForeignKeyField(Account, null=True, backref="+", on_delete="RESTRICT")
    description = pw.CharField(max_length=200, default="")
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_posting_rule"
        indexes = ((("event_name", "basis", "party", "method", "kind", "group_code"), True),)


class BookedEvent(BaseModel):
    """One event of the log that finance handled: at most once (unique position), with its entry if booked."""

    event_position = pw.BigIntegerField(unique=True)
    event_name = pw.CharField(max_length=120)
    amount_cents = pw.BigIntegerField(default=0)
    entry = pw.ForeignKeyField(JournalEntry, null=True, on_delete="RESTRICT")
    rule = pw.ForeignKeyField(PostingRule, null=True, on_delete="SET NULL")
    booked_at = UTCDateTimeField(default=utcnow)
    # What a deposit slip lists of a payment (from the event): billing's entry, the one it undoes, whose
    # money, how it was paid, the check or receipt number, the payment's date.
    transaction_id = pw.BigIntegerField(null=True)
    reverses_transaction_id = pw.BigIntegerField(null=True)
    party = pw.CharField(max_length=10, default="")
    method = pw.CharField(max_length=10, default="")
    reference = pw.CharField(max_length=80, default="")
    effective_date = pw.DateField(null=True)
    payer_id = pw.BigIntegerField(null=True)
    location_id = pw.IntegerField(null=True)  # the office whose desk took a patient's payment

    class Meta:
        table_name = "finance_booked_event"
        indexes = ((("event_name", "event_position"), False),)


class Deposit(BaseModel):
    """Money moved to the bank from where billing's payments wait: a desk slip (cash and checks from
    undeposited funds), an insurance EFT (one 835 trace number, ``reference``) or a card settlement."""

    deposit_date = pw.DateField()
    bank_account = pw.ForeignKeyField(Account, on_delete="RESTRICT")
    entry = pw.ForeignKeyField(JournalEntry, on_delete="RESTRICT")
    total_cents = pw.BigIntegerField()
    memo = pw.CharField(max_length=200, default="")
    created_by_user_id = pw.IntegerField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    voided_at = UTCDateTimeField(null=True)  # its entry reversed and its payments back in undeposited funds
    void_reason = pw.TextField(default="")
    source = pw.CharField(max_length=8, default="desk")
    reference = pw.CharField(max_length=60, default="")

    class Meta:
        table_name = "finance_deposit"


class DepositItem(BaseModel):
    """One desk payment on a slip (each payment is deposited once: unique)."""

    deposit = pw.ForeignKeyField(Deposit, backref="items", on_delete="RESTRICT")
    booked_event = pw.ForeignKeyField(BookedEvent, unique=True, on_delete="RESTRICT")
    amount_cents = pw.BigIntegerField()

    class Meta:
        table_name = "finance_deposit_item"


class BankCsvMapping(BaseModel):
    """How one bank account's CSV exports read: the column names of the date, the amount (one signed column,
    or a debit and a credit column), the description and the bank's transaction id; the date format."""

    account = pw.ForeignKeyField(Account, unique=True, on_delete="CASCADE")
    date_column = pw.CharField(max_length=60)
    amount_column = pw.CharField(max_length=60, default="")
    debit_column = pw.CharField(max_length=60, default="")
    credit_column = pw.CharField(max_length=60, default="")
    description_column = pw.CharField(max_length=60)
    id_column = pw.CharField(max_length=60, default="")
    date_format = pw.CharField(max_length=20, default="%Y-%m-%d")
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_bank_csv_mapping"


class BankStatement(BaseModel):
    """One imported bank file: its period, the bank's ending balance, and whether it was reconciled."""

    account = pw.ForeignKeyField(Account, on_delete="RESTRICT")
    file_name = pw.CharField(max_length=200, default="")
    file_format = pw.CharField(max_length=4)
    start_date = pw.DateField()
    end_date = pw.DateField()
    ending_balance_cents = pw.BigIntegerField(null=True)
    line_count = pw.IntegerField(default=0)
    duplicate_count = pw.IntegerField(default=0)
    imported_at = UTCDateTimeField(default=utcnow)
    imported_by_user_id = pw.IntegerField(null=True)
    reconciled_at = UTCDateTimeField(null=True)
    reconciled_by_user_id = pw.IntegerField(null=True)

    class Meta:
        table_name = "finance_bank_statement"


class BankLine(BaseModel):
    """One line of a statement: money in (positive) or out (negative). ``dedupe_key`` makes a line the
    bank sends again a duplicate: its transaction id, or for CSV a hash of date, amount and description."""

    statement = pw.ForeignKeyField(BankStatement, backref="lines", on_delete="RESTRICT")
    account = pw.ForeignKeyField(Account, on_delete="RESTRICT")
    posted_date = pw.DateField()
    amount_cents = pw.BigIntegerField()
    description = pw.CharField(max_length=300, default="")
    bank_id = pw.CharField(max_length=120, default="")
    dedupe_key = pw.CharField(max_length=140)

    class Meta:
        table_name = "finance_bank_line"
        indexes = ((("account", "dedupe_key"), True), (("account", "posted_date"), False))


class BankMatch(BaseModel):
    """A journal entry cleared by the bank: matched to a statement line (several entries may share one
    line: a split), or ticked as cleared while reconciling (``bank_line`` None, e.g. the opening balance).
    ``amount_cents`` is the entry's net effect on the bank account; each entry clears once."""

    statement = pw.ForeignKeyField(BankStatement, on_delete="RESTRICT")
    bank_line = pw.ForeignKeyField(BankLine, null=True, backref="matches", on_delete="RESTRICT")
    entry = pw.ForeignKeyField(JournalEntry, unique=True, on_delete="RESTRICT")
    deposit = pw.ForeignKeyField(Deposit, null=True, on_delete="RESTRICT")
    amount_cents = pw.BigIntegerField()
    how = pw.CharField(max_length=10)
    matched_by_user_id = pw.IntegerField(null=True)
    matched_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_bank_match"


class BankRule(BaseModel):
    """Books an unmatched statement line whose description contains ``pattern`` to ``account`` (bank fees,
    interest); ``direction`` ``out`` for money out, ``in`` for money in."""

    pattern = pw.CharField(max_length=120)
    account = pw.ForeignKeyField(Account, on_delete="RESTRICT")
    direction = pw.CharField(max_length=4, default="out")
    memo = pw.CharField(max_length=200, default="")
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "finance_bank_rule"


class DayClose(BaseModel):
    """A closed day of one office (``location_id``), or of the whole practice (0): who closed it, what the
    desk took and what was deposited of it then, and how many differences were left (explained in ``note``)."""

    day = pw.DateField()
    location_id = pw.IntegerField(default=0)
    desk_cents = pw.BigIntegerField()
    deposited_cents = pw.BigIntegerField()
    differences = pw.IntegerField()
    note = pw.TextField(default="")
    closed_at = UTCDateTimeField(default=utcnow)
    closed_by_user_id = pw.IntegerField(null=True)

    class Meta:
        table_name = "finance_day_close"
        indexes = ((("day", "location_id"), True),)


class Vendor(BaseModel):
    """Someone the practice pays: 1099 flag (the W-9 is an attached file), default expense account, terms."""

    name = pw.CharField(max_length=120, unique=True)
    is_1099 = pw.BooleanField(default=False)
    default_account = pw.ForeignKeyField(Account, null=True, backref="+", on_delete="RESTRICT")
    terms_days = pw.IntegerField(default=30)
    address = pw.TextField(default="")
    email = pw.CharField(max_length=200, default="")
    active = pw.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_vendor"


class RecurringBill(BaseModel):
    """A bill that comes back on a schedule (``frequency`` with ``interval``); a job creates each one
    ``days_ahead`` before its date. ``created_through`` is the last date a bill was created for."""

    vendor = pw.ForeignKeyField(Vendor, on_delete="RESTRICT")
    memo = pw.CharField(max_length=200)
    account = pw.ForeignKeyField(Account, backref="+", on_delete="RESTRICT")
    location = pw.ForeignKeyField(Location, null=True, backref="+", on_delete="SET NULL")
    amount_cents = pw.BigIntegerField()
    frequency = pw.CharField(max_length=20)
    interval = pw.IntegerField(default=1)
    starts_on = pw.DateField()
    ends_on = pw.DateField(null=True)
    days_ahead = pw.IntegerField(default=14)
    created_through = pw.DateField(null=True)
    active = pw.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_recurring_bill"


class Bill(BaseModel):
    """A vendor's bill: ``awaiting`` approval, ``approved`` (booked to payables on accrual basis, payable) or
    ``void``. ``paid_cents`` is kept with each payment, in its transaction."""

    vendor = pw.ForeignKeyField(Vendor, backref="bills", on_delete="RESTRICT")
    number = pw.CharField(max_length=60)
    bill_date = pw.DateField()
    due_date = pw.DateField()
    memo = pw.CharField(max_length=200, default="")
    total_cents = pw.BigIntegerField()
    paid_cents = pw.BigIntegerField(default=0)
    status = pw.CharField(max_length=10, default="awaiting")
    entry = pw.ForeignKeyField(JournalEntry, null=True, backref="+", on_delete="RESTRICT")
    recurring = pw.ForeignKeyField(RecurringBill, null=True, on_delete="SET NULL")
    approved_at = UTCDateTimeField(null=True)
    approved_by_user_id = pw.IntegerField(null=True)
    created_by_user_id = pw.IntegerField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    voided_at = UTCDateTimeField(null=True)
    void_reason = pw.TextField(default="")

    class Meta:
        table_name = "finance_bill"
        indexes = ((("vendor", "number"), True), (("status", "due_date"), False))

    @property
    def open_cents(self) -> int:
        """What is left to pay."""
        return self.total_cents - self.paid_cents


class BillLine(BaseModel):
    """One line of a bill: an amount on an expense (or asset) account, with a location and budget line."""

    bill = pw.ForeignKeyField(Bill, backref="lines", on_delete="CASCADE")
    account = pw.ForeignKeyField(Account, backref="+", on_delete="RESTRICT")
    amount_cents = pw.BigIntegerField()
    memo = pw.CharField(max_length=200, default="")
    location = pw.ForeignKeyField(Location, null=True, backref="+", on_delete="SET NULL")
    budget_line = pw.ForeignKeyField(BudgetLine, null=True, backref="+", on_delete="RESTRICT")

    class Meta:
        table_name = "finance_bill_line"


class BillPayment(BaseModel):
    """A payment of a bill (all or part of it) by check or ACH from a bank account, with its entry."""

    bill = pw.ForeignKeyField(Bill, backref="payments", on_delete="RESTRICT")
    paid_on = pw.DateField()
    amount_cents = pw.BigIntegerField()
    method = pw.CharField(max_length=6)
    check_number = pw.CharField(max_length=20, default="")
    bank_account = pw.ForeignKeyField(Account, backref="+", on_delete="RESTRICT")
    entry = pw.ForeignKeyField(JournalEntry, backref="+", on_delete="RESTRICT")
    created_by_user_id = pw.IntegerField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_bill_payment"
        indexes = ((("paid_on",), False),)


class Budget(BaseModel):
    """A year's budget for the practice (``location`` None) or one location."""

    year = pw.IntegerField()
    location = pw.ForeignKeyField(Location, null=True, backref="+", on_delete="RESTRICT")
    name = pw.CharField(max_length=120)
    carry_forward = pw.BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "finance_budget"
        indexes = ((("year",), False),)


class BudgetAmount(BaseModel):
    """One cell of a budget: an account's amount for a month (on the account's normal side)."""

    budget = pw.ForeignKeyField(Budget, backref="amounts", on_delete="CASCADE")
    account = pw.ForeignKeyField(Account, backref="+", on_delete="RESTRICT")
    month = pw.IntegerField(constraints=[pw.Check("month BETWEEN 1 AND 12")])
    amount_cents = pw.BigIntegerField()

    class Meta:
        table_name = "finance_budget_amount"
        indexes = ((("budget", "account", "month"), True),)


class BudgetControl(BaseModel):
    """What happens when a bill or entry would take an account past its budget: ignore, warn or stop."""

    budget = pw.ForeignKeyField(Budget, backref="controls", on_delete="CASCADE")
    account = pw.ForeignKeyField(Account, backref="+", on_delete="RESTRICT")
    action = pw.CharField(max_length=6, default="ignore")

    class Meta:
        table_name = "finance_budget_control"
        indexes = ((("budget", "account"), True),)


class LogTally(BaseModel):
    """What the event log held of one event finance books, up to ``through_position`` (the same on every row):
    how many and the sum of their ``amount_cents``. Kept each morning so the invariants read only the events
    after it, not years of the log."""

    name = pw.CharField(max_length=120, unique=True)
    events = pw.BigIntegerField(default=0)
    amount_cents = pw.BigIntegerField(default=0)
    through_position = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "finance_log_tally"


FINANCE_MODELS = [Account, BudgetLine, JournalEntry, JournalLine, Period, PeriodEvent, YearClose, Books,
                  PostingRule, BookedEvent, Deposit, DepositItem, BankCsvMapping, BankStatement, BankLine, BankMatch,
                  BankRule, DayClose, Vendor, RecurringBill, Bill, BillLine, BillPayment, Budget, BudgetAmount,
                  BudgetControl, LogTally, AccountTotal]

# Data versions (medoffice.data_versions): what a page or the Today queue keeps per process, moved by any write to
# the tables it reads, whoever writes them. Journal lines are written in bulk when a day's events are booked: a
# SQLite trigger costs half a microsecond a row, and PostgreSQL bumps once per transaction.
CHART = DataVersion("finance.chart", [Account, BudgetLine])
VENDORS = DataVersion("finance.vendors", [Vendor])
RULES = DataVersion("finance.rules", [PostingRule])
BOOKS = DataVersion("finance.books", [Books, JournalEntry])  # the basis, and whether anything is posted
BILLS = DataVersion("finance.bills", [Bill, BillLine, BillPayment])
BUDGETS = DataVersion("finance.budgets", [Budget, BudgetAmount, BudgetControl])
PERIODS = DataVersion("finance.periods", [Period, PeriodEvent, YearClose])
RECURRING = DataVersion("finance.recurring", [RecurringBill])
# The daily close: the day's payments, deposits, bank lines and closes.
DAY = DataVersion("finance.day", [Account, BookedEvent, JournalLine, Deposit, DepositItem, BankStatement, BankLine,
                                  BankMatch, DayClose])
LINES = DataVersion("finance.lines", [JournalLine])  # whether an account was ever used
TOTALS = DataVersion("finance.totals", [AccountTotal])  # the chart's balances
WAITING = DataVersion("finance.waiting", [Account, BookedEvent, JournalLine, DepositItem])
DEPOSITS = DataVersion("finance.deposits", [Deposit])  # the deposits list
STATEMENTS = DataVersion("finance.statements", [BankStatement])  # the bank statements list
TALLY = DataVersion("finance.tally", [LogTally])  # the event log's kept counts, which the checks start from
DATA_VERSIONS = [CHART, LINES, TOTALS, VENDORS, BILLS, RECURRING, RULES, BOOKS, BUDGETS, PERIODS, DAY, WAITING,
                 DEPOSITS, STATEMENTS, TALLY]

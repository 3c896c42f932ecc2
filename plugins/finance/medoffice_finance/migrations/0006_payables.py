"""Payables: vendors, their bills with lines to accounts (locations, budget lines), the payments of bills
(checks and ACH, partial allowed) and recurring bills on a schedule."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Location(Model):
        class Meta:
            database = db
            table_name = 'core_location'

    class Account(Model):
        class Meta:
            database = db
            table_name = 'finance_account'

    class BudgetLine(Model):
        class Meta:
            database = db
            table_name = 'finance_budget_line'

    class JournalEntry(Model):
        class Meta:
            database = db
            table_name = 'finance_journal_entry'

    class Vendor(Model):
        name = CharField(max_length=120, unique=True)
        is_1099 = BooleanField(default=False)
        default_account = ForeignKeyField(Account, null=True, on_delete='RESTRICT')
        terms_days = IntegerField(default=30)
        address = TextField(default='')
        email = CharField(max_length=200, default='')
        active = BooleanField(default=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_vendor'

    class RecurringBill(Model):
        vendor = ForeignKeyField(Vendor, on_delete='RESTRICT')
        memo = CharField(max_length=200)
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        amount_cents = BigIntegerField()
        frequency = CharField(max_length=20)
        interval = IntegerField(default=1)
        starts_on = DateField()
        ends_on = DateField(null=True)
        days_ahead = IntegerField(default=14)
        created_through = DateField(null=True)
        active = BooleanField(default=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_recurring_bill'

    class Bill(Model):
        vendor = ForeignKeyField(Vendor, on_delete='RESTRICT')
        number = CharField(max_length=60)
        bill_date = DateField()
        due_date = DateField()
        memo = CharField(max_length=200, default='')
        total_cents = BigIntegerField()
        paid_cents = BigIntegerField(default=0)
        status = CharField(max_length=10, default='awaiting')
        entry = ForeignKeyField(JournalEntry, null=True, on_delete='RESTRICT')
        recurring = ForeignKeyField(RecurringBill, null=True, on_delete='SET NULL')
        approved_at = UTCDateTimeField(null=True)
        approved_by_user_id = IntegerField(null=True)
        created_by_user_id = IntegerField(null=True)
        created_at = UTCDateTimeField()
        voided_at = UTCDateTimeField(null=True)
        void_reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'finance_bill'
            indexes = ((('vendor', 'number'), True), (('status', 'due_date'), False))

    class BillLine(Model):
        bill = ForeignKeyField(Bill, on_delete='CASCADE')
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        amount_cents = BigIntegerField()
        memo = CharField(max_length=200, default='')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        budget_line = ForeignKeyField(BudgetLine, null=True, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'finance_bill_line'

    class BillPayment(Model):
        bill = ForeignKeyField(Bill, on_delete='RESTRICT')
        paid_on = DateField()
        amount_cents = BigIntegerField()
        method = CharField(max_length=6)
        check_number = CharField(max_length=20, default='')
        bank_account = ForeignKeyField(Account, on_delete='RESTRICT')
        entry = ForeignKeyField(JournalEntry, on_delete='RESTRICT')
        created_by_user_id = IntegerField(null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_bill_payment'
            indexes = ((('paid_on',), False),)

    db.create_tables([Vendor, RecurringBill, Bill, BillLine, BillPayment])

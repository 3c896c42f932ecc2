"""Deposits: the slip (finance_deposit) and the desk payments it takes to the bank (finance_deposit_item);
booked events keep the payment's method, reference, party, date and billing transaction, which the slip lists."""
from peewee import *
from playhouse.migrate import migrate
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    migrate(
        migrator.add_column('finance_booked_event', 'transaction_id', BigIntegerField(null=True)),
        migrator.add_column('finance_booked_event', 'reverses_transaction_id', BigIntegerField(null=True)),
        migrator.add_column('finance_booked_event', 'party', CharField(max_length=10, default='')),
        migrator.add_column('finance_booked_event', 'method', CharField(max_length=10, default='')),
        migrator.add_column('finance_booked_event', 'reference', CharField(max_length=80, default='')),
        migrator.add_column('finance_booked_event', 'effective_date', DateField(null=True)),
    )

    class Account(Model):
        class Meta:
            database = db
            table_name = 'finance_account'

    class JournalEntry(Model):
        class Meta:
            database = db
            table_name = 'finance_journal_entry'

    class BookedEvent(Model):
        class Meta:
            database = db
            table_name = 'finance_booked_event'

    class Deposit(Model):
        deposit_date = DateField()
        bank_account = ForeignKeyField(Account, on_delete='RESTRICT')
        entry = ForeignKeyField(JournalEntry, on_delete='RESTRICT')
        total_cents = BigIntegerField()
        memo = CharField(max_length=200, default='')
        created_by_user_id = IntegerField(null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_deposit'

    class DepositItem(Model):
        deposit = ForeignKeyField(Deposit, on_delete='RESTRICT')
        booked_event = ForeignKeyField(BookedEvent, unique=True, on_delete='RESTRICT')
        amount_cents = BigIntegerField()
        class Meta:
            database = db
            table_name = 'finance_deposit_item'

    db.create_tables([Deposit, DepositItem])

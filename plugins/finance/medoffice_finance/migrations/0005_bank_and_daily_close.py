"""Bank statements and the daily close.

Deposits gain a source (desk slip, insurance EFT by its 835 trace number, card settlement) and a reference
(the trace number); booked events keep the payer (an EFT's payer, to put its PLB on the same deposit),
filled in here from the event log. New tables: a bank account's CSV column mapping, imported statements
and their lines (unique per account by the bank's id or, for CSV, a hash of date, amount and description),
matches of lines to journal entries (deposits, payments, booked fees), the rules that book unmatched
lines, and closed days.
"""
from peewee import *
from playhouse.migrate import migrate
from medoffice.db import UTCDateTimeField, is_sqlite


def up(migrator, db):
    migrate(
        migrator.add_column('finance_booked_event', 'payer_id', BigIntegerField(null=True)),
        migrator.add_column('finance_deposit', 'source', CharField(max_length=8, default='desk')),
        migrator.add_column('finance_deposit', 'reference', CharField(max_length=60, default='')),
    )
    if is_sqlite(db):
        payer = "(SELECT json_extract(e.payload, '$.payer_id') FROM core_event e WHERE e.position = event_position)"
    else:
        payer = ("(SELECT (e.payload::jsonb ->> 'payer_id')::bigint FROM core_event e "
                 "WHERE e.position = event_position)")
    db.execute_sql(f"UPDATE finance_booked_event SET payer_id = {payer}")

    class Account(Model):
        class Meta:
            database = db
            table_name = 'finance_account'

    class JournalEntry(Model):
        class Meta:
            database = db
            table_name = 'finance_journal_entry'

    class Deposit(Model):
        class Meta:
            database = db
            table_name = 'finance_deposit'

    class BankCsvMapping(Model):
        account = ForeignKeyField(Account, unique=True, on_delete='CASCADE')
        date_column = CharField(max_length=60)
        amount_column = CharField(max_length=60, default='')
        debit_column = CharField(max_length=60, default='')
        credit_column = CharField(max_length=60, default='')
        description_column = CharField(max_length=60)
        id_column = CharField(max_length=60, default='')
        date_format = CharField(max_length=20, default='%Y-%m-%d')
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_bank_csv_mapping'

    class BankStatement(Model):
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        file_name = CharField(max_length=200, default='')
        file_format = CharField(max_length=4)
        start_date = DateField()
        end_date = DateField()
        ending_balance_cents = BigIntegerField(null=True)
        line_count = IntegerField(default=0)
        duplicate_count = IntegerField(default=0)
        imported_at = UTCDateTimeField()
        imported_by_user_id = IntegerField(null=True)
        reconciled_at = UTCDateTimeField(null=True)
        reconciled_by_user_id = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'finance_bank_statement'

    class BankLine(Model):
        statement = ForeignKeyField(BankStatement, on_delete='RESTRICT')
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        posted_date = DateField()
        amount_cents = BigIntegerField()
        description = CharField(max_length=300, default='')
        bank_id = CharField(max_length=120, default='')
        dedupe_key = CharField(max_length=140)
        class Meta:
            database = db
            table_name = 'finance_bank_line'
            indexes = ((('account', 'dedupe_key'), True), (('account', 'posted_date'), False))

    class BankMatch(Model):
        statement = ForeignKeyField(BankStatement, on_delete='RESTRICT')
        bank_line = ForeignKeyField(BankLine, null=True, on_delete='RESTRICT')
        entry = ForeignKeyField(JournalEntry, unique=True, on_delete='RESTRICT')
        deposit = ForeignKeyField(Deposit, null=True, on_delete='RESTRICT')
        amount_cents = BigIntegerField()
        how = CharField(max_length=10)
        matched_by_user_id = IntegerField(null=True)
        matched_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'finance_bank_match'

    class BankRule(Model):
        pattern = CharField(max_length=120)
        account = ForeignKeyField(Account, on_delete='RESTRICT')
        direction = CharField(max_length=4, default='out')
        memo = CharField(max_length=200, default='')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'finance_bank_rule'

    class DayClose(Model):
        day = DateField(unique=True)
        desk_cents = BigIntegerField()
        deposited_cents = BigIntegerField()
        differences = IntegerField()
        note = TextField(default='')
        closed_at = UTCDateTimeField()
        closed_by_user_id = IntegerField(null=True)
        class Meta:
            database = db
            table_name = 'finance_day_close'

    db.create_tables([BankCsvMapping, BankStatement, BankLine, BankMatch, BankRule, DayClose])

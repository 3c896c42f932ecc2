"""Each account's posted debits and credits kept in finance_account_total (by post_entry as it posts), so the
chart of accounts reads one row an account instead of summing every posted line of the books' years on each
view; filled from the lines posted so far."""
# Generated from a schema diff on 2026-12-05 09:22.
from peewee import *

def up(migrator, db):
    class Account(Model):
        class Meta:
            database = db
            table_name = 'finance_account'

    class AccountTotal(Model):
        account = ForeignKeyField(Account, primary_key=True, on_delete='CASCADE')
        debit_cents = BigIntegerField(default=0)
        credit_cents = BigIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'finance_account_total'
    db.create_tables([AccountTotal])
    db.execute_sql("""
INSERT INTO finance_account_total (account_id, debit_cents, credit_cents)
SELECT l.account_id, SUM(l.debit_cents), SUM(l.credit_cents)
FROM finance_journal_line l JOIN finance_journal_entry e ON e.id = l.entry_id
WHERE e.status = 'posted' GROUP BY l.account_id""")


def down(migrator, db):
    migrator.migrate(migrator.drop_table('finance_account_total'))

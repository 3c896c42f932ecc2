"""A kept tally of the event log (finance_log_tally), so the books' checks read only the events committed since
the morning job, not years of the log."""
# Generated from a schema diff on 2026-12-04 21:10.
from peewee import *

def up(migrator, db):
    class LogTally(Model):
        name = CharField(unique=True, max_length=120)
        events = BigIntegerField(default=0)
        amount_cents = BigIntegerField(default=0)
        through_position = BigIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'finance_log_tally'
    db.create_tables([LogTally])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('finance_log_tally'))

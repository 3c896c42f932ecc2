"""The ledger table."""
from peewee import *


def up(migrator, db):
    class Entry(Model):
        amount_cents = IntegerField()
        class Meta:
            database = db
            table_name = 'alpha_entry'
    db.create_tables([Entry])

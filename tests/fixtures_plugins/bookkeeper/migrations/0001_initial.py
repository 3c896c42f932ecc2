"""The booked sales."""
from peewee import *


def up(migrator, db):
    class Entry(Model):
        event_position = BigIntegerField()
        sale_id = IntegerField()
        amount_cents = IntegerField()
        class Meta:
            database = db
            table_name = 'bookkeeper_entry'
    db.create_tables([Entry])

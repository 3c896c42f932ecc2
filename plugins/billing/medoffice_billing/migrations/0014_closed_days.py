"""Days finance closed, kept from its durable events: their desk payments are locked (billing_closed_day)."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class ClosedDay(Model):
        day = DateField(unique=True)
        closed_at = UTCDateTimeField()

        class Meta:
            database = db
            table_name = 'billing_closed_day'

    db.create_tables([ClosedDay])


def down(migrator, db):
    db.execute_sql('DROP TABLE billing_closed_day')

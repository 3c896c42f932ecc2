"""Notes and alerts on patients' billing accounts (billing_account_note)."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class AccountNote(Model):
        patient_id = IntegerField(index=True)
        text = CharField(max_length=500)
        alert = BooleanField()
        created_by = CharField(max_length=60)
        created_at = UTCDateTimeField()
        removed_at = UTCDateTimeField(null=True)
        removed_by = CharField(max_length=60)

        class Meta:
            database = db
            table_name = 'billing_account_note'

    db.create_tables([AccountNote])


def down(migrator, db):
    db.execute_sql('DROP TABLE billing_account_note')

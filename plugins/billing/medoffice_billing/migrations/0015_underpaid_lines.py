"""Underpaid claim lines kept by posting (billing_underpaid_line), filled from the ledger as it stands: the
Underpayments page read a year of 835 entries on every request."""
from peewee import *


def up(migrator, db):
    class Claim(Model):
        class Meta:
            database = db
            table_name = 'billing_claim'

    class UnderpaidLine(Model):
        claim = ForeignKeyField(Claim, on_delete='CASCADE')
        service_line_id = IntegerField()
        payer_id = IntegerField()
        line_number = SmallIntegerField()
        code = CharField(max_length=5, index=True)
        modifiers = CharField(max_length=11, default='')
        units = IntegerField()
        expected_cents = IntegerField()
        allowed_cents = IntegerField()
        paid_cents = IntegerField()
        difference_cents = IntegerField()
        answered_on = DateField(index=True)

        class Meta:
            database = db
            table_name = 'billing_underpaid_line'
            indexes = ((('claim', 'service_line_id'), True),)

    db.create_tables([UnderpaidLine])
    from medoffice.migrate import is_app_database
    if is_app_database(db):  # a copy (pgmove) takes the source's rows instead
        from medoffice_billing import underpayments
        underpayments.rebuild()


def down(migrator, db):
    db.execute_sql('DROP TABLE billing_underpaid_line')

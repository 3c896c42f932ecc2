"""The denial worklist kept (billing_denial_line), filled from the claims and 835 entries as they stand: the Denials
page joined every denied claim's 835 entries and sorted them on each request (75 ms with five years of denials)."""
from peewee import *
from medoffice.db import UTCDateTimeField

def up(migrator, db):
    class Claim(Model):
        class Meta:
            database = db
            table_name = 'billing_claim'

    class DenialLine(Model):
        claim = ForeignKeyField(Claim, on_delete='CASCADE')
        entry_id = IntegerField(null=True)
        carc = CharField(index=True, max_length=5, default='')
        denied_at = UTCDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'billing_denial_line'
    db.create_tables([DenialLine])
    # filled by 0018, which adds a column the kept rows now carry (denials.rebuild writes it)


def down(migrator, db):
    migrator.migrate(migrator.drop_table('billing_denial_line'))

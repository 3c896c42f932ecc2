"""records_retention"""
# Generated from a schema diff on 2026-12-03 22:10.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Patient(Model):
        class Meta:
            database = db
            table_name = 'core_patient'

    class Destruction(Model):
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        record_type = CharField(max_length=60)
        destroyed_on = DateField()
        method = CharField(max_length=120)
        witness = CharField(max_length=150)
        recorded_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_destruction'
    db.create_tables([Destruction])

    class LastService(Model):
        patient = ForeignKeyField(Patient, unique=True, on_delete='CASCADE')
        last_service_on = DateField(index=True)
        class Meta:
            database = db
            table_name = 'compliance_last_service'
    db.create_tables([LastService])

    class LegalHold(Model):
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        reason = CharField(max_length=300)
        placed_on = DateField()
        placed_by = CharField(max_length=150, default='')
        released_on = DateField(null=True)
        released_by = CharField(max_length=150, default='')
        class Meta:
            database = db
            table_name = 'compliance_legal_hold'
    db.create_tables([LegalHold])

    class RetentionRule(Model):
        record_type = CharField(max_length=60)
        state = CharField(max_length=2, default='')
        adult_years = IntegerField()
        majority_age = IntegerField(default=18)
        minor_years = IntegerField(default=0)
        note = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'compliance_retention_rule'
            indexes = ((('record_type', 'state'), True),)
    db.create_tables([RetentionRule])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('compliance_retention_rule'))
    migrator.migrate(migrator.drop_table('compliance_legal_hold'))
    migrator.migrate(migrator.drop_table('compliance_last_service'))
    migrator.migrate(migrator.drop_table('compliance_destruction'))

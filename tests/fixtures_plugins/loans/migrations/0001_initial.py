"""Devices and loans."""
from peewee import *


def up(migrator, db):
    class Patient(Model):
        class Meta:
            database = db
            table_name = 'core_patient'

    class Device(Model):
        name = CharField(max_length=80)
        serial = CharField(max_length=40, default='')
        in_service = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'loans_device'

    class Loan(Model):
        patient = ForeignKeyField(Patient)
        item = CharField(max_length=80)
        class Meta:
            database = db
            table_name = 'loans_loan'
    db.create_tables([Device, Loan])

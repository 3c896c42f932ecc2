"""Index the stored aging for the collection lists (owed since, amount, patient)"""
# Generated from a schema diff on 2026-11-27 07:03.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.drop_index('billing_patient_aging', 'patientaging_oldest_on'))
    migrator.migrate(migrator.add_index('billing_patient_aging', ('oldest_on', 'patient_cents', 'patient_id')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_patient_aging', 'billing_patient_aging_oldest_on_patient_cents_patient_id'))
    migrator.migrate(migrator.add_index('billing_patient_aging', ('oldest_on',), name='patientaging_oldest_on'))

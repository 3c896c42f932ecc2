"""Indexes for the list pages: encounters newest first, claims sent and not answered, accounts with an agency"""
from peewee import *
from playhouse.migrate import make_index_name

CLAIM_FOLLOW_UP = ('status', 'submitted_at', 'payer_id', 'total_charge_cents', 'service_date', 'on_hold',
                   'scrub_errors')


def up(migrator, db):
    migrator.migrate(migrator.add_index('billing_encounter', ('service_date',)))
    migrator.migrate(migrator.add_index('billing_claim', CLAIM_FOLLOW_UP))
    migrator.migrate(migrator.add_index('billing_collection_placement', ('status', 'patient_id', 'balance_cents')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_collection_placement',
                                         'billing_collection_placement_status_patient_id_balance_cents'))
    migrator.migrate(migrator.drop_index('billing_claim', make_index_name('billing_claim', CLAIM_FOLLOW_UP)))
    migrator.migrate(migrator.drop_index('billing_encounter', 'billing_encounter_service_date'))

"""Index claims by status and payer with their charges: the worklists' totals by payer read only the index"""
from peewee import *


def up(migrator, db):
    migrator.migrate(migrator.add_index('billing_claim', ('status', 'payer_id', 'total_charge_cents')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_claim', 'billing_claim_status_payer_id_total_charge_cents'))

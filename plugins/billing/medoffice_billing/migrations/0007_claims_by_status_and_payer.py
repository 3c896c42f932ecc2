"""Claims by status in date order carry payer and charge: the worklists' totals by payer read only the index"""
from peewee import *

WIDE = ('status', 'service_date', 'payer_id', 'total_charge_cents')


def up(migrator, db):
    migrator.migrate(migrator.drop_index('billing_claim', 'claim_status_service_date'))
    migrator.migrate(migrator.add_index('billing_claim', WIDE))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_claim', 'billing_claim_' + '_'.join(WIDE)))
    migrator.migrate(migrator.add_index('billing_claim', ('status', 'service_date'), name='claim_status_service_date'))

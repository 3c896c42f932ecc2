"""Desk payments keep the office that took them, and billing keeps days closed per office (0: the whole
practice), so finance can close each office's day on its own."""
# Generated from a schema diff on 2026-12-04 20:49.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.drop_index('billing_closed_day', 'closedday_day'))
    migrator.migrate(migrator.add_column('billing_closed_day', 'location_id', IntegerField(default=0)))
    migrator.migrate(migrator.add_column('billing_patient_payment', 'location_id', IntegerField(null=True)))
    migrator.migrate(migrator.add_index('billing_closed_day', ('day', 'location_id'), unique=True))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_closed_day', 'billing_closed_day_day_location_id'))
    migrator.migrate(migrator.drop_column('billing_patient_payment', 'location_id'))
    migrator.migrate(migrator.drop_column('billing_closed_day', 'location_id'))
    migrator.migrate(migrator.add_index('billing_closed_day', ('day',), unique=True, name='closedday_day'))

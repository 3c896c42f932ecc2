"""Booked payments keep the office whose desk took them, and a day closes per office (0: the whole practice)."""
# Generated from a schema diff on 2026-12-04 20:49.
from peewee import *

def up(migrator, db):
    migrator.migrate(migrator.drop_index('finance_day_close', 'dayclose_day'))
    migrator.migrate(migrator.add_column('finance_booked_event', 'location_id', IntegerField(null=True)))
    migrator.migrate(migrator.add_column('finance_day_close', 'location_id', IntegerField(default=0)))
    migrator.migrate(migrator.add_index('finance_day_close', ('day', 'location_id'), unique=True))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('finance_day_close', 'finance_day_close_day_location_id'))
    migrator.migrate(migrator.drop_column('finance_day_close', 'location_id'))
    migrator.migrate(migrator.drop_column('finance_booked_event', 'location_id'))
    migrator.migrate(migrator.add_index('finance_day_close', ('day',), unique=True, name='dayclose_day'))

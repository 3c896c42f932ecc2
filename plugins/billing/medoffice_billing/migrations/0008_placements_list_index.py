"""Placements by status in date order carry every column the collections lists show: their counts and
pages read only the index instead of a table row per placement"""
from peewee import *
from playhouse.migrate import make_index_name

WIDE = ('status', 'placed_on', 'patient_id', 'balance_cents', 'agency', 'exported_at', 'recalled_at',
        'recall_reason')


def up(migrator, db):
    migrator.migrate(migrator.drop_index('billing_collection_placement', 'collectionplacement_status_placed_on'))
    migrator.migrate(migrator.add_index('billing_collection_placement', WIDE))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('billing_collection_placement',
                                         make_index_name('billing_collection_placement', WIDE)))
    migrator.migrate(migrator.add_index('billing_collection_placement', ('status', 'placed_on'),
                                        name='collectionplacement_status_placed_on'))

"""Audit chain keyed (HMAC) from the next entry on: the switch-over point of existing chains"""
from peewee import BigIntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column('core_audit_head', 'keyed_from', BigIntegerField(default=1)))
    # Entries written so far keep their plain SHA-256 digests; the next one is the first keyed.
    db.execute_sql('UPDATE core_audit_head SET keyed_from = seq + 1')


def down(migrator, db):
    migrator.migrate(migrator.drop_column('core_audit_head', 'keyed_from'))

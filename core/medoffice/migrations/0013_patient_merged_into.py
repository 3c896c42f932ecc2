"""A duplicate patient merged into another keeps a pointer to the record that stayed"""
from peewee import IntegerField


def up(migrator, db):
    migrator.migrate(migrator.add_column("core_patient", "merged_into_id", IntegerField(null=True)))


def down(migrator, db):
    migrator.migrate(migrator.drop_column("core_patient", "merged_into_id"))

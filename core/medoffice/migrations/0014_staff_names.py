"""People: the staff record holds the legal middle name and the name a person goes by"""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("core_staff", "middle_name", CharField(max_length=60, default="")),
        migrator.add_column("core_staff", "preferred_name", CharField(max_length=60, default="")),
    )


def down(migrator, db):
    migrator.migrate(migrator.drop_column("core_staff", "middle_name"),
                     migrator.drop_column("core_staff", "preferred_name"))

"""Creates a table, then fails: the transaction must leave nothing behind."""
from peewee import *


def up(migrator, db):
    class Half(Model):
        value = IntegerField()
        class Meta:
            database = db
            table_name = 'bad_migration_half'
    db.create_tables([Half])
    raise RuntimeError("column 'value' cannot be converted")

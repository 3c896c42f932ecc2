"""The greetings table (hello_greeting)."""
# Generated from a schema diff on 2026-11-27 05:25.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Greeting(Model):
        message = TextField()
        created_at = UTCDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'hello_greeting'
    db.create_tables([Greeting])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('hello_greeting'))

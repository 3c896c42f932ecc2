"""Durable events: the event log (core_event) and the subscribers' cursors (core_event_subscriber)."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class EventRecord(Model):
        position = BigIntegerField(null=True, unique=True)
        name = CharField(max_length=120)
        version = IntegerField()
        payload = TextField()
        published_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_event'
            indexes = ((('name', 'position'), False),)

    class EventSubscriber(Model):
        name = CharField(max_length=120, unique=True)
        plugin = CharField(max_length=60)
        delivered_position = BigIntegerField(default=0)
        start_at = UTCDateTimeField(null=True)
        delivered_count = BigIntegerField(default=0)
        last_delivered_at = UTCDateTimeField(null=True)
        failing_position = BigIntegerField(null=True)
        error = TextField(default='')
        error_detail = TextField(default='')
        attempts = IntegerField(default=0)
        failed_at = UTCDateTimeField(null=True)
        next_attempt_at = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_event_subscriber'

    db.create_tables([EventRecord, EventSubscriber])
    # The counter whose row lock orders publishers' commits (medoffice.events.publishing).
    db.execute_sql("INSERT INTO core_counter (name, value) VALUES ('core.event_position', 0)")


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_event_subscriber'))
    migrator.migrate(migrator.drop_table('core_event'))
    db.execute_sql("DELETE FROM core_counter WHERE name = 'core.event_position'")

"""Background tasks with progress (core_task), for pages that start long-running work."""
# Generated from a schema diff on 2026-11-27 05:25.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class CoreTask(Model):
        title = CharField(max_length=200)
        permission = CharField(max_length=120)
        status = CharField(max_length=10, default='queued')
        percent = IntegerField(null=True)
        message = TextField(default='')
        error = TextField(default='')
        result_url = CharField(max_length=500, default='')
        created_by = CharField(max_length=60, default='')
        created_at = UTCDateTimeField()
        started_at = UTCDateTimeField(null=True)
        finished_at = UTCDateTimeField(null=True)
        heartbeat_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'core_task'
    db.create_tables([CoreTask])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_task'))

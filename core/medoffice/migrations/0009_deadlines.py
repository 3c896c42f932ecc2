"""Deadlines: the obligations plugins track (core_deadline), their history and the reminders sent"""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'core_user'

    class Deadline(Model):
        owner = CharField(max_length=60)
        key = CharField(max_length=200)
        kind = CharField(max_length=120)
        title = CharField(max_length=300)
        concerns_kind = CharField(max_length=60, default='')
        concerns_id = CharField(max_length=60, default='')
        concerns_endpoint = CharField(max_length=120, default='')
        concerns_args = TextField(default='{}')
        due = DateField()
        announce_on = DateField()
        assignee_user = ForeignKeyField(User, null=True, on_delete='SET NULL')
        assignee_role = CharField(max_length=40, default='')
        lead_days = CharField(max_length=80)
        escalation_role = CharField(max_length=40, default='')
        escalate_after_days = IntegerField(default=3)
        evidence = CharField(max_length=12, default='none')
        state = CharField(max_length=12, default='open')
        stage = CharField(max_length=20, default='coming')
        closed_at = UTCDateTimeField(null=True)
        closed_by = CharField(max_length=60, default='')
        close_note = TextField(default='')
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_deadline'
            indexes = ((('owner', 'key'), True), (('state', 'due'), False))

    class DeadlineHistory(Model):
        deadline = ForeignKeyField(Deadline)
        at = UTCDateTimeField()
        by = CharField(max_length=60)
        action = CharField(max_length=20)
        detail = TextField(default='{}')
        class Meta:
            database = db
            table_name = 'core_deadline_history'
            indexes = ((('deadline', 'at'), False),)

    class DeadlineNotice(Model):
        deadline = ForeignKeyField(Deadline)
        due = DateField()
        stage = CharField(max_length=20)
        sent_at = UTCDateTimeField()
        recipients = TextField(default='[]')
        queued = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'core_deadline_notice'
            indexes = ((('deadline', 'due', 'stage'), True),)

    db.create_tables([Deadline, DeadlineHistory, DeadlineNotice])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_deadline_notice'))
    migrator.migrate(migrator.drop_table('core_deadline_history'))
    migrator.migrate(migrator.drop_table('core_deadline'))

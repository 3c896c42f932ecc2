"""Messages: the mail server, the outbox, the consent register and staff's template wording"""
# Generated from a schema diff on 2026-12-03 14:42.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Patient(Model):
        class Meta:
            database = db
            table_name = 'core_patient'

    class StaffMember(Model):
        class Meta:
            database = db
            table_name = 'core_staff'

    class Consent(Model):
        patient = ForeignKeyField(Patient)
        channel = CharField(max_length=10)
        purpose = CharField(max_length=30)
        decision = CharField(max_length=10)
        source = CharField(max_length=30)
        given_on = DateField()
        note = TextField(default='')
        recorded_by = CharField(max_length=60, default='')
        recorded_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_message_consent'
            indexes = ((('patient', 'channel', 'purpose'), False),)
    db.create_tables([Consent])

    class MailServer(Model):
        host = CharField(max_length=200, default='')
        port = IntegerField(default=587)
        security = CharField(max_length=10, default='starttls')
        username = CharField(max_length=200, default='')
        password_sealed = TextField(default='')
        from_address = CharField(max_length=200, default='')
        from_name = CharField(max_length=200, default='')
        reply_to = CharField(max_length=200, default='')
        updated_at = UTCDateTimeField(null=True)
        updated_by = CharField(max_length=60, default='')
        class Meta:
            database = db
            table_name = 'core_message_server'
    db.create_tables([MailServer])

    class OutboxMessage(Model):
        channel = CharField(max_length=60)
        purpose = CharField(max_length=30)
        template_key = CharField(max_length=120, default='')
        urgent = BooleanField(default=False)
        recipient_kind = CharField(max_length=10)
        patient = ForeignKeyField(Patient, null=True)
        staff = ForeignKeyField(StaffMember, null=True, on_delete='SET NULL')
        to_name = CharField(max_length=200, default='')
        to_address = TextField()
        subject = CharField(max_length=300)
        body_text = TextField()
        body_html = TextField(default='')
        headers = TextField(default='{}')
        status = CharField(max_length=10, default='queued')
        attempts = IntegerField(default=0)
        next_attempt_at = UTCDateTimeField(null=True)
        claimed_at = UTCDateTimeField(null=True)
        note = TextField(default='')
        last_error = TextField(default='')
        server_reply = TextField(default='')
        created_at = UTCDateTimeField()
        created_by = CharField(max_length=60, default='')
        sent_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'core_message_outbox'
            indexes = ((('status', 'next_attempt_at'), False),)
    db.create_tables([OutboxMessage])

    class TemplateText(Model):
        key = CharField(unique=True, max_length=120)
        subject = CharField(max_length=300)
        body = TextField()
        updated_at = UTCDateTimeField()
        updated_by = CharField(max_length=60, default='')
        class Meta:
            database = db
            table_name = 'core_message_template'
    db.create_tables([TemplateText])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_message_template'))
    migrator.migrate(migrator.drop_table('core_message_outbox'))
    migrator.migrate(migrator.drop_table('core_message_server'))
    migrator.migrate(migrator.drop_table('core_message_consent'))

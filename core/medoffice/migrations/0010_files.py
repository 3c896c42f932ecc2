"""Files: stored contents (core_file_blob) and the attachments naming them (core_file)"""
# Generated from a schema diff on 2026-12-03 15:27.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Patient(Model):
        class Meta:
            database = db
            table_name = 'core_patient'

    class User(Model):
        class Meta:
            database = db
            table_name = 'core_user'

    class FileBlob(Model):
        digest = CharField(unique=True, max_length=64)
        mime = CharField(max_length=100)
        size = BigIntegerField()
        stored_size = BigIntegerField()
        stored_sha256 = CharField(max_length=64)
        salt = CharField(max_length=32)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_file_blob'
    db.create_tables([FileBlob])

    class Attachment(Model):
        blob = ForeignKeyField(FileBlob)
        kind = CharField(max_length=120)
        plugin = CharField(max_length=60)
        object_kind = CharField(max_length=60)
        object_id = CharField(max_length=60)
        name = CharField()
        patient = ForeignKeyField(Patient, null=True)
        uploaded_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        uploaded_at = UTCDateTimeField()
        deleted_at = UTCDateTimeField(null=True)
        deleted_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        delete_reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'core_file'
            indexes = ((('plugin', 'object_kind', 'object_id', 'kind'), False),)
    db.create_tables([Attachment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_file'))
    migrator.migrate(migrator.drop_table('core_file_blob'))

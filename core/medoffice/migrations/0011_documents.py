"""Versioned documents with acknowledgments: documents (core_document), who each is addressed to
(core_document_audience), their versions (core_document_version) and signatures (core_document_acknowledgment)"""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'core_user'

    class Role(Model):
        class Meta:
            database = db
            table_name = 'core_role'

    class Location(Model):
        class Meta:
            database = db
            table_name = 'core_location'

    class StaffMember(Model):
        class Meta:
            database = db
            table_name = 'core_staff'

    class Document(Model):
        kind = CharField(max_length=120)
        title = CharField(max_length=200)
        owner = ForeignKeyField(User)
        state = CharField(max_length=12, default='draft')
        current_number = IntegerField(null=True)
        ack_from = IntegerField(null=True)
        retire_reason = TextField(default='')
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_document'
            indexes = ((('state', 'kind'), False),)

    class DocumentAudience(Model):
        document = ForeignKeyField(Document, on_delete='CASCADE')
        role = ForeignKeyField(Role, null=True, on_delete='CASCADE')
        location = ForeignKeyField(Location, null=True, on_delete='CASCADE')
        staff = ForeignKeyField(StaffMember, null=True, on_delete='CASCADE')
        user = ForeignKeyField(User, null=True, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'core_document_audience'

    class DocumentVersion(Model):
        document = ForeignKeyField(Document, on_delete='CASCADE')
        number = IntegerField()
        state = CharField(max_length=12, default='draft')
        title = CharField(max_length=200)
        body = TextField(default='')
        summary = TextField(default='')
        effective_on = DateField(null=True)
        requires_acknowledgment = BooleanField(default=False)
        text_sha256 = CharField(max_length=64, default='')
        created_at = UTCDateTimeField()
        created_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        updated_at = UTCDateTimeField()
        published_at = UTCDateTimeField(null=True)
        published_by = ForeignKeyField(User, null=True, on_delete='SET NULL', backref='+')
        retired_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'core_document_version'
            indexes = ((('document', 'number'), True),)

    class Acknowledgment(Model):
        version = ForeignKeyField(DocumentVersion)
        user = ForeignKeyField(User)
        method = CharField(max_length=12)
        text_sha256 = CharField(max_length=64)
        at = UTCDateTimeField()
        signed_on = DateField()
        address = CharField(max_length=64, default='')
        recorded_by = ForeignKeyField(User, null=True, backref='+')
        note = TextField(default='')
        class Meta:
            database = db
            table_name = 'core_document_acknowledgment'
            indexes = ((('version', 'user'), True), (('user', 'at'), False))

    db.create_tables([Document, DocumentAudience, DocumentVersion, Acknowledgment])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_document_acknowledgment'))
    migrator.migrate(migrator.drop_table('core_document_version'))
    migrator.migrate(migrator.drop_table('core_document_audience'))
    migrator.migrate(migrator.drop_table('core_document'))

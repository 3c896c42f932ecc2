"""Server-side sessions (core_session), and the access version row (its triggers are kept by
medoffice.auth.access_version.ensure_triggers at every start)"""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'core_user'

    class EmergencyAccess(Model):
        class Meta:
            database = db
            table_name = 'core_emergency_access'

    class UserSession(Model):
        token_hash = CharField(max_length=64, unique=True)
        user = ForeignKeyField(User, on_delete='CASCADE')
        created_at = UTCDateTimeField()
        last_seen_at = UTCDateTimeField()
        address = CharField(max_length=64, default='')
        browser = CharField(max_length=80, default='')
        emergency_grant = ForeignKeyField(EmergencyAccess, null=True, on_delete='SET NULL')
        ended_at = UTCDateTimeField(null=True)
        ended_how = CharField(max_length=20, default='')
        class Meta:
            database = db
            table_name = 'core_session'
            indexes = ((('user', 'ended_at'), False),)
    db.create_tables([UserSession])
    db.execute_sql("INSERT INTO core_state_version (key, version) VALUES ('access', 1)")


def down(migrator, db):
    db.execute_sql("DELETE FROM core_state_version WHERE key = 'access'")
    migrator.migrate(migrator.drop_table('core_session'))

"""Security: break-glass grants, admin unlock anchor, login attempts by user name"""
# Generated from a schema diff on 2026-11-27 05:25.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class User(Model):
        class Meta:
            database = db
            table_name = 'core_user'

    class EmergencyAccess(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        reason = TextField()
        address = CharField(max_length=64, default='')
        started_at = UTCDateTimeField()
        expires_at = UTCDateTimeField()
        ended_at = UTCDateTimeField(index=True, null=True)
        ended_how = CharField(max_length=20, default='')
        class Meta:
            database = db
            table_name = 'core_emergency_access'
    db.create_tables([EmergencyAccess])

    migrator.migrate(migrator.add_column('core_user', 'lock_reset_at', UTCDateTimeField(null=True)))
    migrator.migrate(migrator.add_index('core_login_attempt', ('username', 'at')))


def down(migrator, db):
    migrator.migrate(migrator.drop_index('core_login_attempt', 'core_login_attempt_username_at'))
    migrator.migrate(migrator.drop_column('core_user', 'lock_reset_at'))
    migrator.migrate(migrator.drop_table('core_emergency_access'))

"""Two-factor sign-in: the user's TOTP secret (encrypted), its confirmation and last used step,
and single-use recovery codes (core_recovery_code)"""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('core_user', 'totp_secret', TextField(default='')),
        migrator.add_column('core_user', 'totp_confirmed_at', UTCDateTimeField(null=True)),
        migrator.add_column('core_user', 'totp_last_step', BigIntegerField(default=0)),
    )

    class User(Model):
        class Meta:
            database = db
            table_name = 'core_user'

    class RecoveryCode(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        code_hash = CharField(max_length=64)
        created_at = UTCDateTimeField()
        used_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'core_recovery_code'
            indexes = ((('user', 'code_hash'), True),)
    db.create_tables([RecoveryCode])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_recovery_code'))
    migrator.migrate(
        migrator.drop_column('core_user', 'totp_last_step'),
        migrator.drop_column('core_user', 'totp_confirmed_at'),
        migrator.drop_column('core_user', 'totp_secret'),
    )

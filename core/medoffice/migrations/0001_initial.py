"""Core tables: directory, accounts, plugin state, jobs, audit, backups."""
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class AuditEvent(Model):
        seq = BigIntegerField(unique=True)
        at = UTCDateTimeField(index=True)
        user_id = IntegerField(null=True)
        username = CharField(max_length=60, default='')
        address = CharField(max_length=64, default='')
        action = CharField(index=True, max_length=60)
        object_type = CharField(max_length=60, default='')
        object_id = CharField(max_length=60, default='')
        patient_id = IntegerField(index=True, null=True)
        detail = TextField(default='{}')
        prev_hash = CharField(max_length=64)
        hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'core_audit_event'
    db.create_tables([AuditEvent])

    class AuditHead(Model):
        seq = BigIntegerField(default=0)
        last_hash = CharField(max_length=64)
        class Meta:
            database = db
            table_name = 'core_audit_head'
    db.create_tables([AuditHead])

    class Backup(Model):
        at = UTCDateTimeField()
        path = CharField(max_length=500)
        size_bytes = BigIntegerField(default=0)
        sha256 = CharField(max_length=64)
        kind = CharField(max_length=10, default='manual')
        class Meta:
            database = db
            table_name = 'core_backup'
    db.create_tables([Backup])

    class Counter(Model):
        name = CharField(unique=True, max_length=80)
        value = BigIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'core_counter'
    db.create_tables([Counter])

    class JobRun(Model):
        job_id = CharField(index=True, max_length=120)
        started_at = UTCDateTimeField()
        finished_at = UTCDateTimeField(null=True)
        status = CharField(max_length=10, default='running')
        message = TextField(default='')
        error = TextField(default='')
        trigger = CharField(max_length=20, default='schedule')
        class Meta:
            database = db
            table_name = 'core_job_run'
            indexes = ((('job_id', 'started_at'), False),)
    db.create_tables([JobRun])

    class Location(Model):
        name = CharField(unique=True, max_length=120)
        address1 = CharField(max_length=120, default='')
        address2 = CharField(max_length=120, default='')
        city = CharField(max_length=80, default='')
        state = CharField(max_length=2, default='')
        zip = CharField(max_length=10, default='')
        phone = CharField(max_length=20, default='')
        npi = CharField(max_length=10, default='')
        place_of_service = CharField(max_length=2, default='11')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'core_location'
    db.create_tables([Location])

    class LoginAttempt(Model):
        at = UTCDateTimeField(index=True)
        username = CharField(max_length=60)
        address = CharField(index=True, max_length=64)
        success = BooleanField()
        class Meta:
            database = db
            table_name = 'core_login_attempt'
    db.create_tables([LoginAttempt])

    class StaffMember(Model):
        first_name = CharField(max_length=60)
        last_name = CharField(max_length=60)
        credentials = CharField(max_length=30, default='')
        job_title = CharField(max_length=80, default='')
        email = CharField(max_length=120, default='')
        phone = CharField(max_length=20, default='')
        is_provider = BooleanField(default=False)
        npi = CharField(max_length=10, default='')
        taxonomy = CharField(max_length=10, default='')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'core_staff'
            indexes = ((('last_name', 'first_name'), False),)
    db.create_tables([StaffMember])

    class Patient(Model):
        account_number = CharField(unique=True, max_length=20)
        first_name = CharField(max_length=60)
        middle_name = CharField(max_length=60, default='')
        last_name = CharField(max_length=60)
        date_of_birth = DateField()
        sex = CharField(max_length=1, default='U')
        address1 = CharField(max_length=120, default='')
        address2 = CharField(max_length=120, default='')
        city = CharField(max_length=80, default='')
        state = CharField(max_length=2, default='')
        zip = CharField(max_length=10, default='')
        phone = CharField(max_length=20, default='')
        mobile = CharField(max_length=20, default='')
        email = CharField(max_length=120, default='')
        preferred_contact = CharField(max_length=10, default='phone')
        ok_to_text = BooleanField(default=False)
        ok_to_email = BooleanField(default=False)
        marketing_opt_out = BooleanField(default=False)
        language = CharField(max_length=20, default='en')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        primary_provider = ForeignKeyField(StaffMember, null=True, on_delete='SET NULL')
        active = BooleanField(default=True)
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_patient'
            indexes = ((('last_name', 'first_name'), False), (('date_of_birth',), False))
    db.create_tables([Patient])

    class PermissionSeed(Model):
        permission = CharField(unique=True, max_length=120)
        seeded_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_permission_seed'
    db.create_tables([PermissionSeed])

    class PluginState(Model):
        name = CharField(unique=True, max_length=60)
        enabled = BooleanField()
        changed_at = UTCDateTimeField()
        changed_by = CharField(max_length=60, default='')
        class Meta:
            database = db
            table_name = 'core_plugin_state'
    db.create_tables([PluginState])

    class Role(Model):
        name = CharField(unique=True, max_length=40)
        title = CharField(max_length=80)
        description = TextField(default='')
        class Meta:
            database = db
            table_name = 'core_role'
    db.create_tables([Role])

    class RolePermission(Model):
        role = ForeignKeyField(Role, on_delete='CASCADE')
        permission = CharField(max_length=120)
        class Meta:
            database = db
            table_name = 'core_role_permission'
            indexes = ((('role', 'permission'), True),)
    db.create_tables([RolePermission])

    class Setting(Model):
        name = CharField(unique=True, max_length=120)
        value = TextField()
        class Meta:
            database = db
            table_name = 'core_setting'
    db.create_tables([Setting])

    class StateVersion(Model):
        key = CharField(unique=True, max_length=40)
        version = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'core_state_version'
    db.create_tables([StateVersion])

    class User(Model):
        username = CharField(unique=True, max_length=60)
        full_name = CharField(max_length=120)
        email = CharField(max_length=120, default='')
        password_hash = CharField()
        active = BooleanField(default=True)
        must_change_password = BooleanField(default=False)
        staff = ForeignKeyField(StaffMember, null=True, on_delete='SET NULL')
        failed_logins = IntegerField(default=0)
        locked_until = UTCDateTimeField(null=True)
        password_changed_at = UTCDateTimeField()
        last_login_at = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'core_user'
    db.create_tables([User])

    class UserRole(Model):
        user = ForeignKeyField(User, on_delete='CASCADE')
        role = ForeignKeyField(Role, on_delete='CASCADE')
        class Meta:
            database = db
            table_name = 'core_user_role'
            indexes = ((('user', 'role'), True),)
    db.create_tables([UserRole])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('core_user_role'))
    migrator.migrate(migrator.drop_table('core_user'))
    migrator.migrate(migrator.drop_table('core_state_version'))
    migrator.migrate(migrator.drop_table('core_setting'))
    migrator.migrate(migrator.drop_table('core_role_permission'))
    migrator.migrate(migrator.drop_table('core_role'))
    migrator.migrate(migrator.drop_table('core_plugin_state'))
    migrator.migrate(migrator.drop_table('core_permission_seed'))
    migrator.migrate(migrator.drop_table('core_patient'))
    migrator.migrate(migrator.drop_table('core_staff'))
    migrator.migrate(migrator.drop_table('core_login_attempt'))
    migrator.migrate(migrator.drop_table('core_location'))
    migrator.migrate(migrator.drop_table('core_job_run'))
    migrator.migrate(migrator.drop_table('core_counter'))
    migrator.migrate(migrator.drop_table('core_backup'))
    migrator.migrate(migrator.drop_table('core_audit_head'))
    migrator.migrate(migrator.drop_table('core_audit_event'))

"""initial"""
# Generated from a schema diff on 2026-12-03 19:44.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Location(Model):
        class Meta:
            database = db
            table_name = 'core_location'

    class StaffMember(Model):
        class Meta:
            database = db
            table_name = 'core_staff'

    class Department(Model):
        name = CharField(unique=True, max_length=80)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'hr_department'
    db.create_tables([Department])

    class Employment(Model):
        staff = ForeignKeyField(StaffMember, unique=True, on_delete='CASCADE')
        hire_date = DateField()
        end_date = DateField(null=True)
        status = CharField(max_length=20, default='active')
        employment_type = CharField(max_length=20, default='full_time')
        flsa_exempt = BooleanField(default=False)
        job_title = CharField(max_length=80, default='')
        department = ForeignKeyField(Department, null=True, on_delete='SET NULL')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        supervisor = ForeignKeyField(StaffMember, null=True, on_delete='SET NULL')
        ssn_sealed = TextField(default='')
        date_of_birth_sealed = TextField(default='')
        bank_routing_sealed = TextField(default='')
        bank_account_sealed = TextField(default='')
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_employment'
    db.create_tables([Employment])

    class EmergencyContact(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        name = CharField(max_length=120)
        relationship = CharField(max_length=60, default='')
        phone = CharField(max_length=30)
        email = CharField(max_length=120, default='')
        class Meta:
            database = db
            table_name = 'hr_emergency_contact'
    db.create_tables([EmergencyContact])

    class EmployeeDocument(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        kind = CharField(max_length=30)
        expires_on = DateField(null=True)
        note = CharField(max_length=200, default='')
        attachment_id = IntegerField(null=True)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        removed_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'hr_employee_document'
    db.create_tables([EmployeeDocument])

    class PayRate(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        effective_on = DateField()
        basis = CharField(max_length=10)
        amount_cents = BigIntegerField()
        reason = CharField(max_length=200, default='')
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_pay_rate'
            indexes = ((('employment', 'effective_on'), True),)
    db.create_tables([PayRate])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('hr_pay_rate'))
    migrator.migrate(migrator.drop_table('hr_employee_document'))
    migrator.migrate(migrator.drop_table('hr_emergency_contact'))
    migrator.migrate(migrator.drop_table('hr_employment'))
    migrator.migrate(migrator.drop_table('hr_department'))

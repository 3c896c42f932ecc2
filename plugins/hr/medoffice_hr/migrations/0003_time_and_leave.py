"""time_and_leave"""
# Generated from a schema diff on 2026-12-03 21:39.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Employment(Model):
        class Meta:
            database = db
            table_name = 'hr_employment'

    class KioskPin(Model):
        employment = ForeignKeyField(Employment, unique=True, on_delete='CASCADE')
        pin_hash = CharField()
        failures = IntegerField(default=0)
        locked_until = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'hr_kiosk_pin'
    db.create_tables([KioskPin])

    class LeavePolicy(Model):
        name = CharField(unique=True, max_length=80)
        accrual_method = CharField(max_length=16)
        earn_minutes = IntegerField()
        per_worked_minutes = IntegerField(default=0)
        cap_minutes = IntegerField(default=0)
        carryover_minutes = IntegerField(null=True)
        waiting_days = IntegerField(default=0)
        applies_to = CharField(max_length=20, default='all')
        paid = BooleanField(default=True)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'hr_leave_policy'
    db.create_tables([LeavePolicy])

    class LeaveLedger(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        policy = ForeignKeyField(LeavePolicy, on_delete='CASCADE')
        on = DateField()
        minutes = IntegerField()
        kind = CharField(max_length=12)
        reference = CharField(max_length=40)
        note = CharField(max_length=200, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_leave_ledger'
            indexes = ((('employment', 'policy', 'reference'), True),)
    db.create_tables([LeaveLedger])

    class LeaveRequest(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        policy = ForeignKeyField(LeavePolicy, on_delete='CASCADE')
        starts_on = DateField()
        ends_on = DateField()
        minutes = IntegerField()
        note = CharField(max_length=200, default='')
        status = CharField(index=True, max_length=10, default='pending')
        decided_by = CharField(max_length=150, default='')
        decided_at = UTCDateTimeField(null=True)
        decision_note = CharField(max_length=200, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_leave_request'
    db.create_tables([LeaveRequest])

    class TimeEntry(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        kind = CharField(max_length=6, default='work')
        started_at = UTCDateTimeField()
        ended_at = UTCDateTimeField(null=True)
        source = CharField(max_length=8, default='self')
        edited_by = CharField(max_length=150, default='')
        edit_reason = CharField(max_length=200, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_time_entry'
            indexes = ((('employment', 'started_at'), False),)
    db.create_tables([TimeEntry])

    class Timesheet(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        period_start = DateField()
        period_end = DateField()
        status = CharField(max_length=10, default='open')
        regular_minutes = IntegerField(default=0)
        overtime_minutes = IntegerField(default=0)
        approved_by = CharField(max_length=150, default='')
        approved_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'hr_timesheet'
            indexes = ((('employment', 'period_start'), True),)
    db.create_tables([Timesheet])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('hr_timesheet'))
    migrator.migrate(migrator.drop_table('hr_time_entry'))
    migrator.migrate(migrator.drop_table('hr_leave_request'))
    migrator.migrate(migrator.drop_table('hr_leave_ledger'))
    migrator.migrate(migrator.drop_table('hr_leave_policy'))
    migrator.migrate(migrator.drop_table('hr_kiosk_pin'))

"""HR's tables for time and leave: clocked time, kiosk PINs, timesheets per pay period, leave
policies, the leave ledger (every accrual, grant, use and forfeit as signed minutes) and requests."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow

from .models import Employment


class TimeEntry(BaseModel):
    """A stretch of work or of an unpaid break, open while ``ended_at`` is empty. ``source`` says how
    it was clocked (self, kiosk) or that a supervisor entered it (manual); edits keep the reason."""

    employment = pw.ForeignKeyField(Employment, backref="time_entries", on_delete="CASCADE")
    kind = pw.CharField(max_length=6, default="work")
    started_at = UTCDateTimeField()
    ended_at = UTCDateTimeField(null=True)
    source = pw.CharField(max_length=8, default="self")
    edited_by = pw.CharField(max_length=150, default="")
    edit_reason = pw.CharField(max_length=200, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_time_entry"
        indexes = ((("employment", "started_at"), False),)


class KioskPin(BaseModel):
    """An employee's personal PIN for the front-desk kiosk (hashed), and its failed tries."""

    employment = pw.ForeignKeyField(Employment, unique=True, on_delete="CASCADE")
    pin_hash = pw.CharField(max_length=255)
    failures = pw.IntegerField(default=0)
    locked_until = UTCDateTimeField(null=True)

    class Meta:
        table_name = "hr_kiosk_pin"


class Timesheet(BaseModel):
    """One employee's pay period: open, then approved by the supervisor (or HR) with the regular and
    overtime minutes it was approved with (what payroll pays)."""

    employment = pw.ForeignKeyField(Employment, backref="timesheets", on_delete="CASCADE")
    period_start = pw.DateField()
    period_end = pw.DateField()
    status = pw.CharField(max_length=10, default="open")
    regular_minutes = pw.IntegerField(default=0)
    overtime_minutes = pw.IntegerField(default=0)
    approved_by = pw.CharField(max_length=150, default="")
    approved_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "hr_timesheet"
        indexes = ((("employment", "period_start"), True),)


class LeavePolicy(BaseModel):
    """A kind of leave as data: how it is earned (per hour worked, per pay period or granted yearly),
    the cap on the balance, how much carries into a new year, and the waiting period."""

    name = pw.CharField(max_length=80, unique=True)
    accrual_method = pw.CharField(max_length=16)
    earn_minutes = pw.IntegerField()
    per_worked_minutes = pw.IntegerField(default=0)
    cap_minutes = pw.IntegerField(default=0)
    carryover_minutes = pw.IntegerField(null=True)
    waiting_days = pw.IntegerField(default=0)
    applies_to = pw.CharField(max_length=20, default="all")
    paid = pw.BooleanField(default=True)
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "hr_leave_policy"


class LeaveLedger(BaseModel):
    """One change of a leave balance in minutes (earned +, taken or forfeited -). ``reference`` makes
    each automatic entry once only (timesheet:12, grant:2026, request:7)."""

    employment = pw.ForeignKeyField(Employment, on_delete="CASCADE")
    policy = pw.ForeignKeyField(LeavePolicy, on_delete="CASCADE")
    on = pw.DateField()
    minutes = pw.IntegerField()
    kind = pw.CharField(max_length=12)
    reference = pw.CharField(max_length=40)
    note = pw.CharField(max_length=200, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_leave_ledger"
        indexes = ((("employment", "policy", "reference"), True),)


class LeaveRequest(BaseModel):
    """A request for leave, decided by the supervisor or HR."""

    employment = pw.ForeignKeyField(Employment, backref="leave_requests", on_delete="CASCADE")
    policy = pw.ForeignKeyField(LeavePolicy, on_delete="CASCADE")
    starts_on = pw.DateField()
    ends_on = pw.DateField()
    minutes = pw.IntegerField()
    note = pw.CharField(max_length=200, default="")
    status = pw.CharField(max_length=10, default="pending", index=True)
    decided_by = pw.CharField(max_length=150, default="")
    decided_at = UTCDateTimeField(null=True)
    decision_note = pw.CharField(max_length=200, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_leave_request"


TIME_MODELS = (TimeEntry, KioskPin, Timesheet, LeavePolicy, LeaveLedger, LeaveRequest)

# The clocked time that worked hours are added up from, and the timesheets approving them: kept per process until
# an entry is clocked, added or corrected or a sheet approved, reopened or paid (medoffice.data_versions).
TIME_ENTRIES = DataVersion("hr.time", [TimeEntry, Timesheet])
# Leave requests and policies the leave page lists: kept per process until one changes.
LEAVE = DataVersion("hr.leave", [LeaveRequest, LeavePolicy])

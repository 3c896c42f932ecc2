"""HR's tables. Employment hangs off core's staff record (one per staff member): HR never keeps a
second list of people. Sensitive fields are stored sealed (see ``sealing``), never in plaintext."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow
from medoffice.models import Location, StaffMember


class Department(BaseModel):
    """A department of the practice (front office, clinical, billing...)."""

    name = pw.CharField(max_length=80, unique=True)
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "hr_department"


class Employment(BaseModel):
    """A staff member's employment: dates, status, type, FLSA status, job, supervisor and the
    sealed sensitive fields (SSN, date of birth, direct-deposit account)."""

    staff = pw.ForeignKeyField(StaffMember, unique=True, on_delete="CASCADE")
    hire_date = pw.DateField()
    end_date = pw.DateField(null=True)
    status = pw.CharField(max_length=20, default="active")
    employment_type = pw.CharField(max_length=20, default="full_time")
    flsa_exempt = pw.BooleanField(default=False)
    job_title = pw.CharField(max_length=80, default="")
    department = pw.ForeignKeyField(Department, null=True, on_delete="SET NULL")
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    supervisor = pw.ForeignKeyField(StaffMember, null=True, on_delete="SET NULL", backref="reports", index=True)
    ssn_sealed = pw.TextField(default="")
    date_of_birth_sealed = pw.TextField(default="")
    bank_routing_sealed = pw.TextField(default="")
    bank_account_sealed = pw.TextField(default="")
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_employment"


class PayRate(BaseModel):
    """One pay rate from its effective date on: hourly (cents an hour) or salary (cents a year)."""

    employment = pw.ForeignKeyField(Employment, backref="pay_rates", on_delete="CASCADE")
    effective_on = pw.DateField()
    basis = pw.CharField(max_length=10)
    amount_cents = pw.BigIntegerField()
    reason = pw.CharField(max_length=200, default="")
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_pay_rate"
        indexes = ((("employment", "effective_on"), True),)


class EmergencyContact(BaseModel):
    """Someone to call for an employee in an emergency."""

    employment = pw.ForeignKeyField(Employment, backref="contacts", on_delete="CASCADE")
    name = pw.CharField(max_length=120)
    relationship = pw.CharField(max_length=60, default="")
    phone = pw.CharField(max_length=30)
    email = pw.CharField(max_length=120, default="")

    class Meta:
        table_name = "hr_emergency_contact"


class EmployeeDocument(BaseModel):
    """A document in an employee's file (I-9, W-4, licence...): its kind, expiry where the kind has
    one, and the file kept by core's files service under ("hr", "employee_document", id)."""

    employment = pw.ForeignKeyField(Employment, backref="documents", on_delete="CASCADE")
    kind = pw.CharField(max_length=30)
    expires_on = pw.DateField(null=True)
    note = pw.CharField(max_length=200, default="")
    attachment_id = pw.IntegerField(null=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)
    removed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "hr_employee_document"


HR_MODELS = (Department, Employment, PayRate, EmergencyContact, EmployeeDocument)
# Who works here in which job and department: lists of people are kept per process until these (or core's staff
# list) change (medoffice.data_versions).
PEOPLE = DataVersion("hr.people", [Employment, Department])
# What an employee file shows besides the employment: its pay rates, emergency contacts and documents.
FILES = DataVersion("hr.files", [PayRate, EmergencyContact, EmployeeDocument])

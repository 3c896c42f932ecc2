"""HR's benefits tables: plans with tiers and their monthly employee and employer costs, open
enrollment windows, and each employee's enrollments with effective dates."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow

from .models import Employment


class BenefitPlan(BaseModel):
    """A plan the practice offers: health, dental, vision, retirement (a 401(k) percent) or HSA."""

    name = pw.CharField(max_length=120, unique=True)
    kind = pw.CharField(max_length=12)
    pretax = pw.BooleanField(default=True)
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "hr_benefit_plan"


class BenefitTier(BaseModel):
    """A coverage tier of a plan (employee only, employee and spouse, family) and its monthly costs."""

    plan = pw.ForeignKeyField(BenefitPlan, backref="tiers", on_delete="CASCADE")
    name = pw.CharField(max_length=60)
    employee_monthly_cents = pw.BigIntegerField()
    employer_monthly_cents = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "hr_benefit_tier"
        indexes = ((("plan", "name"), True),)


class EnrollmentWindow(BaseModel):
    """Open enrollment: while open, employees choose their plans themselves, effective on a date."""

    name = pw.CharField(max_length=120)
    opens_on = pw.DateField()
    closes_on = pw.DateField()
    effective_on = pw.DateField()

    class Meta:
        table_name = "hr_enrollment_window"


class Enrollment(BaseModel):
    """An employee in a plan (a tier, or a deferral percent for retirement) from a date on; a change
    ends the previous enrollment the day before the new one starts."""

    employment = pw.ForeignKeyField(Employment, backref="enrollments", on_delete="CASCADE")
    plan = pw.ForeignKeyField(BenefitPlan, on_delete="CASCADE")
    tier = pw.ForeignKeyField(BenefitTier, null=True, on_delete="SET NULL")
    percent_bp = pw.IntegerField(default=0)
    starts_on = pw.DateField()
    ends_on = pw.DateField(null=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_enrollment"


BENEFITS_MODELS = (BenefitPlan, BenefitTier, EnrollmentWindow, Enrollment)
# Plans, tiers, enrollment windows and enrollments: a person's benefits page is kept until one changes.
BENEFITS = DataVersion("hr.benefits", [BenefitPlan, BenefitTier, EnrollmentWindow, Enrollment])

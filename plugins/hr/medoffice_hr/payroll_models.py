"""HR's payroll tables: imported tax tables (versioned per year), each employee's W-4 and standing
deductions, pay runs (draft, then posted and immutable) with one pay stub per employee, and the
bonuses entered on a draft run."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow

from .models import Employment


class TaxTable(BaseModel):
    """One version of a year's tax table, imported with ``medoffice hr tax-tables import`` (the
    newest version of a year wins; the shipped file is used for a year never imported)."""

    year = pw.IntegerField()
    version = pw.IntegerField()
    sha256 = pw.CharField(max_length=64)
    data = pw.TextField()
    source = pw.TextField(default="")
    imported_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_tax_table"
        indexes = ((("year", "version"), True),)


class W4Record(BaseModel):
    """An employee's Form W-4 (2020 or later) and state allowances."""

    employment = pw.ForeignKeyField(Employment, unique=True, on_delete="CASCADE")
    filing_status = pw.CharField(max_length=8)
    step2 = pw.BooleanField(default=False)
    step3_cents = pw.BigIntegerField(default=0)
    step4a_cents = pw.BigIntegerField(default=0)
    step4b_cents = pw.BigIntegerField(default=0)
    step4c_cents = pw.BigIntegerField(default=0)
    state_allowances = pw.IntegerField(default=0)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_w4"


class Deduction(BaseModel):
    """A standing deduction from each paycheck: a 401(k) deferral (cents or a percent of gross in
    basis points), a section 125 or HSA amount, or a post-tax amount, between two dates."""

    employment = pw.ForeignKeyField(Employment, backref="deductions", on_delete="CASCADE")
    kind = pw.CharField(max_length=10)
    description = pw.CharField(max_length=120, default="")
    amount_cents = pw.BigIntegerField(default=0)
    percent_bp = pw.IntegerField(default=0)
    starts_on = pw.DateField()
    ends_on = pw.DateField(null=True)

    class Meta:
        table_name = "hr_deduction"


class PayRun(BaseModel):
    """A pay run for one pay period: a draft is recomputed freely; a posted run never changes (a
    mistake is fixed by a correcting run for the same period)."""

    period_start = pw.DateField()
    period_end = pw.DateField()
    pay_date = pw.DateField(index=True)
    frequency = pw.CharField(max_length=12)
    kind = pw.CharField(max_length=10, default="regular")
    corrects = pw.ForeignKeyField("self", null=True, on_delete="SET NULL")
    status = pw.CharField(max_length=8, default="draft")
    tax_year = pw.IntegerField()
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)
    posted_by = pw.CharField(max_length=150, default="")
    posted_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "hr_pay_run"


class PayStub(BaseModel):
    """One employee's paycheck in a run: hours, rate, every amount in cents."""

    run = pw.ForeignKeyField(PayRun, backref="stubs", on_delete="CASCADE")
    employment = pw.ForeignKeyField(Employment, backref="stubs", on_delete="CASCADE")
    basis = pw.CharField(max_length=10)
    rate_cents = pw.BigIntegerField()
    regular_minutes = pw.IntegerField(default=0)
    overtime_minutes = pw.IntegerField(default=0)
    leave_minutes = pw.IntegerField(default=0)
    regular_cents = pw.BigIntegerField(default=0)
    overtime_cents = pw.BigIntegerField(default=0)
    leave_cents = pw.BigIntegerField(default=0)
    bonus_cents = pw.BigIntegerField(default=0)
    gross_cents = pw.BigIntegerField()
    pretax_401k_cents = pw.BigIntegerField(default=0)
    pretax_125_cents = pw.BigIntegerField(default=0)
    federal_wages_cents = pw.BigIntegerField(default=0)
    fica_wages_cents = pw.BigIntegerField(default=0)
    federal_income_tax_cents = pw.BigIntegerField(default=0)
    social_security_cents = pw.BigIntegerField(default=0)
    medicare_cents = pw.BigIntegerField(default=0)
    additional_medicare_cents = pw.BigIntegerField(default=0)
    state_income_tax_cents = pw.BigIntegerField(default=0)
    posttax_cents = pw.BigIntegerField(default=0)
    net_cents = pw.BigIntegerField()
    employer_social_security_cents = pw.BigIntegerField(default=0)
    employer_medicare_cents = pw.BigIntegerField(default=0)
    employer_futa_cents = pw.BigIntegerField(default=0)
    employer_suta_cents = pw.BigIntegerField(default=0)

    class Meta:
        table_name = "hr_pay_stub"
        indexes = ((("run", "employment"), True),)


class PayRunBonus(BaseModel):
    """A bonus (or other supplemental pay) entered on a draft run for one employee."""

    run = pw.ForeignKeyField(PayRun, backref="bonuses", on_delete="CASCADE")
    employment = pw.ForeignKeyField(Employment, on_delete="CASCADE")
    amount_cents = pw.BigIntegerField()
    note = pw.CharField(max_length=120, default="")

    class Meta:
        table_name = "hr_pay_run_bonus"


PAYROLL_MODELS = (TaxTable, W4Record, Deduction, PayRun, PayStub, PayRunBonus)
# The pay runs the payroll page lists: kept per process until a run is created, posted or corrected.
PAY_RUNS = DataVersion("hr.pay_runs", [PayRun])
# What the Form 941 and W-2 figures are summed from: kept until a run, a stub or a tax table changes.
PAY_FIGURES = DataVersion("hr.pay_figures", [PayRun, PayStub, TaxTable])
# A person's W-4 and standing deductions, as their payroll page shows them.
WITHHOLDING = DataVersion("hr.withholding", [W4Record, Deduction])

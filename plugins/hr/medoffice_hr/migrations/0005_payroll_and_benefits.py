"""payroll_and_benefits"""
# Generated from a schema diff on 2026-12-03 22:02.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Employment(Model):
        class Meta:
            database = db
            table_name = 'hr_employment'

    class BenefitPlan(Model):
        name = CharField(unique=True, max_length=120)
        kind = CharField(max_length=12)
        pretax = BooleanField(default=True)
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'hr_benefit_plan'
    db.create_tables([BenefitPlan])

    class BenefitTier(Model):
        plan = ForeignKeyField(BenefitPlan, on_delete='CASCADE')
        name = CharField(max_length=60)
        employee_monthly_cents = BigIntegerField()
        employer_monthly_cents = BigIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'hr_benefit_tier'
            indexes = ((('plan', 'name'), True),)
    db.create_tables([BenefitTier])

    class Deduction(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        kind = CharField(max_length=10)
        description = CharField(max_length=120, default='')
        amount_cents = BigIntegerField(default=0)
        percent_bp = IntegerField(default=0)
        starts_on = DateField()
        ends_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'hr_deduction'
    db.create_tables([Deduction])

    class Enrollment(Model):
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        plan = ForeignKeyField(BenefitPlan, on_delete='CASCADE')
        tier = ForeignKeyField(BenefitTier, null=True, on_delete='SET NULL')
        percent_bp = IntegerField(default=0)
        starts_on = DateField()
        ends_on = DateField(null=True)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_enrollment'
    db.create_tables([Enrollment])

    class EnrollmentWindow(Model):
        name = CharField(max_length=120)
        opens_on = DateField()
        closes_on = DateField()
        effective_on = DateField()
        class Meta:
            database = db
            table_name = 'hr_enrollment_window'
    db.create_tables([EnrollmentWindow])

    class PayRun(Model):
        period_start = DateField()
        period_end = DateField()
        pay_date = DateField(index=True)
        frequency = CharField(max_length=12)
        kind = CharField(max_length=10, default='regular')
        corrects = ForeignKeyField('self', null=True, on_delete='SET NULL')
        status = CharField(max_length=8, default='draft')
        tax_year = IntegerField()
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        posted_by = CharField(max_length=150, default='')
        posted_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'hr_pay_run'
    db.create_tables([PayRun])

    class PayRunBonus(Model):
        run = ForeignKeyField(PayRun, on_delete='CASCADE')
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        amount_cents = BigIntegerField()
        note = CharField(max_length=120, default='')
        class Meta:
            database = db
            table_name = 'hr_pay_run_bonus'
    db.create_tables([PayRunBonus])

    class PayStub(Model):
        run = ForeignKeyField(PayRun, on_delete='CASCADE')
        employment = ForeignKeyField(Employment, on_delete='CASCADE')
        basis = CharField(max_length=10)
        rate_cents = BigIntegerField()
        regular_minutes = IntegerField(default=0)
        overtime_minutes = IntegerField(default=0)
        leave_minutes = IntegerField(default=0)
        regular_cents = BigIntegerField(default=0)
        overtime_cents = BigIntegerField(default=0)
        leave_cents = BigIntegerField(default=0)
        bonus_cents = BigIntegerField(default=0)
        gross_cents = BigIntegerField()
        pretax_401k_cents = BigIntegerField(default=0)
        pretax_125_cents = BigIntegerField(default=0)
        federal_wages_cents = BigIntegerField(default=0)
        fica_wages_cents = BigIntegerField(default=0)
        federal_income_tax_cents = BigIntegerField(default=0)
        social_security_cents = BigIntegerField(default=0)
        medicare_cents = BigIntegerField(default=0)
        additional_medicare_cents = BigIntegerField(default=0)
        state_income_tax_cents = BigIntegerField(default=0)
        posttax_cents = BigIntegerField(default=0)
        net_cents = BigIntegerField()
        employer_social_security_cents = BigIntegerField(default=0)
        employer_medicare_cents = BigIntegerField(default=0)
        employer_futa_cents = BigIntegerField(default=0)
        employer_suta_cents = BigIntegerField(default=0)
        class Meta:
            database = db
            table_name = 'hr_pay_stub'
            indexes = ((('run', 'employment'), True),)
    db.create_tables([PayStub])

    class TaxTable(Model):
        year = IntegerField()
        version = IntegerField()
        sha256 = CharField(max_length=64)
        data = TextField()
        source = TextField(default='')
        imported_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_tax_table'
            indexes = ((('year', 'version'), True),)
    db.create_tables([TaxTable])

    class W4Record(Model):
        employment = ForeignKeyField(Employment, unique=True, on_delete='CASCADE')
        filing_status = CharField(max_length=8)
        step2 = BooleanField(default=False)
        step3_cents = BigIntegerField(default=0)
        step4a_cents = BigIntegerField(default=0)
        step4b_cents = BigIntegerField(default=0)
        step4c_cents = BigIntegerField(default=0)
        state_allowances = IntegerField(default=0)
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'hr_w4'
    db.create_tables([W4Record])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('hr_w4'))
    migrator.migrate(migrator.drop_table('hr_tax_table'))
    migrator.migrate(migrator.drop_table('hr_pay_stub'))
    migrator.migrate(migrator.drop_table('hr_pay_run_bonus'))
    migrator.migrate(migrator.drop_table('hr_pay_run'))
    migrator.migrate(migrator.drop_table('hr_enrollment_window'))
    migrator.migrate(migrator.drop_table('hr_enrollment'))
    migrator.migrate(migrator.drop_table('hr_deduction'))
    migrator.migrate(migrator.drop_table('hr_benefit_tier'))
    migrator.migrate(migrator.drop_table('hr_benefit_plan'))

"""Billing tables: payers, fees, code lists, coverage, encounters, claims, ledger"""
# Generated from a schema diff on 2026-11-27 05:34.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Encounter(Model):
        patient_id = IntegerField()
        service_date = DateField()
        place_of_service = CharField(max_length=2, default='11')
        location_id = IntegerField(null=True)
        rendering_provider_id = IntegerField(null=True)
        referring_provider_id = IntegerField(null=True)
        prior_authorization = CharField(max_length=50, default='')
        status = CharField(max_length=10, default='open')
        notes = TextField(default='')
        created_by_user_id = IntegerField(null=True)
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_encounter'
            indexes = ((('patient_id', 'service_date'), False), (('status', 'service_date'), False))
    db.create_tables([Encounter])

    class Payer(Model):
        name = CharField(unique=True, max_length=120)
        payer_id = CharField(index=True, max_length=20, default='')
        address1 = CharField(max_length=120, default='')
        address2 = CharField(max_length=120, default='')
        city = CharField(max_length=80, default='')
        state = CharField(max_length=2, default='')
        zip = CharField(max_length=10, default='')
        phone = CharField(max_length=20, default='')
        filing_indicator = CharField(max_length=2, default='CI')
        timely_filing_days = IntegerField(default=365)
        electronic = BooleanField(default=True)
        secondary_electronic = BooleanField(default=True)
        active = BooleanField(default=True)
        notes = TextField(default='')
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_payer'
    db.create_tables([Payer])

    class Coverage(Model):
        patient_id = IntegerField(index=True)
        payer = ForeignKeyField(Payer, on_delete='RESTRICT')
        rank = SmallIntegerField(default=1)
        member_id = CharField(max_length=40)
        group_number = CharField(max_length=40, default='')
        plan_name = CharField(max_length=80, default='')
        relationship = CharField(max_length=2, default='18')
        subscriber_first_name = CharField(max_length=60, default='')
        subscriber_last_name = CharField(max_length=60, default='')
        subscriber_date_of_birth = DateField(null=True)
        subscriber_sex = CharField(max_length=1, default='U')
        subscriber_address1 = CharField(max_length=120, default='')
        subscriber_address2 = CharField(max_length=120, default='')
        subscriber_city = CharField(max_length=80, default='')
        subscriber_state = CharField(max_length=2, default='')
        subscriber_zip = CharField(max_length=10, default='')
        effective_date = DateField()
        end_date = DateField(null=True)
        copay_cents = IntegerField(default=0)
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_coverage'
            indexes = ((('patient_id', 'rank'), False),)
    db.create_tables([Coverage])

    class Claim(Model):
        claim_number = CharField(unique=True, max_length=20)
        encounter = ForeignKeyField(Encounter, on_delete='RESTRICT')
        patient_id = IntegerField(index=True)
        coverage = ForeignKeyField(Coverage, on_delete='RESTRICT')
        payer = ForeignKeyField(Payer, on_delete='RESTRICT')
        responsibility = CharField(max_length=1, default='P')
        service_date = DateField()
        total_charge_cents = IntegerField(default=0)
        status = CharField(max_length=16, default='draft')
        frequency_code = CharField(max_length=1, default='1')
        original_claim = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        payer_claim_number = CharField(max_length=50, default='')
        on_hold = BooleanField(default=False)
        hold_reason = CharField(max_length=200, default='')
        assigned_user_id = IntegerField(index=True, null=True)
        scrub_errors = IntegerField(null=True)
        scrubbed_at = UTCDateTimeField(null=True)
        submitted_at = UTCDateTimeField(null=True)
        status_changed_at = UTCDateTimeField()
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_claim'
            indexes = ((('status', 'service_date'), False), (('payer', 'status'), False))
    db.create_tables([Claim])

    class ClaimEvent(Model):
        claim = ForeignKeyField(Claim, on_delete='CASCADE')
        at = UTCDateTimeField()
        user_id = IntegerField(null=True)
        username = CharField(max_length=60, default='')
        action = CharField(max_length=20)
        from_status = CharField(max_length=16, default='')
        to_status = CharField(max_length=16, default='')
        reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'billing_claim_event'
            indexes = ((('claim', 'at'), False),)
    db.create_tables([ClaimEvent])

    class ServiceLine(Model):
        encounter = ForeignKeyField(Encounter, on_delete='CASCADE')
        patient_id = IntegerField(index=True)
        line_number = SmallIntegerField()
        service_date = DateField(index=True)
        code = CharField(max_length=5)
        modifier1 = CharField(max_length=2, default='')
        modifier2 = CharField(max_length=2, default='')
        modifier3 = CharField(max_length=2, default='')
        modifier4 = CharField(max_length=2, default='')
        units = IntegerField(default=1)
        charge_cents = IntegerField()
        pointer1 = SmallIntegerField(default=1)
        pointer2 = SmallIntegerField(null=True)
        pointer3 = SmallIntegerField(null=True)
        pointer4 = SmallIntegerField(null=True)
        control_number = CharField(unique=True, max_length=30)
        active = BooleanField(default=True)
        created_at = UTCDateTimeField()
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_service_line'
            indexes = ((('encounter', 'line_number'), False),)
    db.create_tables([ServiceLine])

    class ClaimLine(Model):
        claim = ForeignKeyField(Claim, on_delete='CASCADE')
        service_line = ForeignKeyField(ServiceLine, on_delete='RESTRICT')
        line_number = SmallIntegerField()
        code = CharField(max_length=5)
        modifiers = CharField(max_length=11, default='')
        units = IntegerField(default=1)
        charge_cents = IntegerField()
        class Meta:
            database = db
            table_name = 'billing_claim_line'
            indexes = ((('claim', 'line_number'), True),)
    db.create_tables([ClaimLine])

    class CodeEntry(Model):
        kind = CharField(max_length=10)
        code = CharField(max_length=8)
        description = CharField(default='')
        imported_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_code'
            indexes = ((('kind', 'code'), True),)
    db.create_tables([CodeEntry])

    class Diagnosis(Model):
        encounter = ForeignKeyField(Encounter, on_delete='CASCADE')
        position = SmallIntegerField()
        code = CharField(max_length=8)
        class Meta:
            database = db
            table_name = 'billing_diagnosis'
            indexes = ((('encounter', 'position'), True),)
    db.create_tables([Diagnosis])

    class Fee(Model):
        code = CharField(max_length=5)
        modifier = CharField(max_length=2, default='')
        description = CharField(max_length=120, default='')
        charge_cents = IntegerField()
        active = BooleanField(default=True)
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_fee'
            indexes = ((('code', 'modifier'), True),)
    db.create_tables([Fee])

    class ExpectedAmount(Model):
        fee = ForeignKeyField(Fee, on_delete='CASCADE')
        payer = ForeignKeyField(Payer, on_delete='CASCADE')
        allowed_cents = IntegerField()
        class Meta:
            database = db
            table_name = 'billing_fee_expected'
            indexes = ((('fee', 'payer'), True),)
    db.create_tables([ExpectedAmount])

    class LineTransaction(Model):
        kind = CharField(max_length=16)
        party = CharField(max_length=10, default='insurance')
        patient_id = IntegerField()
        service_line = ForeignKeyField(ServiceLine, null=True, on_delete='RESTRICT')
        claim = ForeignKeyField(Claim, null=True, on_delete='RESTRICT')
        payer = ForeignKeyField(Payer, null=True, on_delete='RESTRICT')
        amount_cents = IntegerField()
        group_code = CharField(max_length=2, default='')
        carc = CharField(max_length=5, default='')
        remark_codes = CharField(max_length=60, default='')
        method = CharField(max_length=10, default='')
        source = CharField(max_length=12, default='manual')
        reference = CharField(max_length=60, default='')
        effective_date = DateField()
        posted_at = UTCDateTimeField(index=True)
        posted_by_user_id = IntegerField(null=True)
        reverses = ForeignKeyField('self', null=True, on_delete='RESTRICT')
        memo = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'billing_line_transaction'
            indexes = ((('patient_id', 'party', 'effective_date'), False), (('kind', 'effective_date'), False))
    db.create_tables([LineTransaction])

    class PatientAccount(Model):
        patient_id = IntegerField(unique=True)
        guarantor_relationship = CharField(max_length=2, default='18')
        guarantor_first_name = CharField(max_length=60, default='')
        guarantor_last_name = CharField(max_length=60, default='')
        guarantor_address1 = CharField(max_length=120, default='')
        guarantor_address2 = CharField(max_length=120, default='')
        guarantor_city = CharField(max_length=80, default='')
        guarantor_state = CharField(max_length=2, default='')
        guarantor_zip = CharField(max_length=10, default='')
        guarantor_phone = CharField(max_length=20, default='')
        guarantor_email = CharField(max_length=120, default='')
        updated_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_patient_account'
    db.create_tables([PatientAccount])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('billing_patient_account'))
    migrator.migrate(migrator.drop_table('billing_line_transaction'))
    migrator.migrate(migrator.drop_table('billing_fee_expected'))
    migrator.migrate(migrator.drop_table('billing_fee'))
    migrator.migrate(migrator.drop_table('billing_diagnosis'))
    migrator.migrate(migrator.drop_table('billing_code'))
    migrator.migrate(migrator.drop_table('billing_claim_line'))
    migrator.migrate(migrator.drop_table('billing_service_line'))
    migrator.migrate(migrator.drop_table('billing_claim_event'))
    migrator.migrate(migrator.drop_table('billing_claim'))
    migrator.migrate(migrator.drop_table('billing_coverage'))
    migrator.migrate(migrator.drop_table('billing_payer'))
    migrator.migrate(migrator.drop_table('billing_encounter'))

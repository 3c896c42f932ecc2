"""claim batches and 835 remittances"""
# Generated from a schema diff on 2026-11-27 05:41.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Claim(Model):
        class Meta:
            database = db
            table_name = 'billing_claim'

    class Payer(Model):
        class Meta:
            database = db
            table_name = 'billing_payer'

    class ClaimBatch(Model):
        kind = CharField(max_length=8)
        payer = ForeignKeyField(Payer, null=True, on_delete='RESTRICT')
        control_number = BigIntegerField(unique=True, null=True)
        usage_indicator = CharField(max_length=1, default='')
        file_name = CharField(max_length=120)
        sha256 = CharField(max_length=64)
        claim_count = IntegerField()
        total_charge_cents = IntegerField()
        content = BlobField()
        created_by_user_id = IntegerField(null=True)
        created_by = CharField(max_length=60, default='')
        created_at = UTCDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'billing_claim_batch'
    db.create_tables([ClaimBatch])

    class ClaimBatchItem(Model):
        batch = ForeignKeyField(ClaimBatch, on_delete='CASCADE')
        claim = ForeignKeyField(Claim, on_delete='RESTRICT')
        class Meta:
            database = db
            table_name = 'billing_claim_batch_item'
            indexes = ((('batch', 'claim'), True),)
    db.create_tables([ClaimBatchItem])

    class Remittance(Model):
        file_sha256 = CharField(max_length=64)
        position = SmallIntegerField(default=1)
        file_name = CharField(max_length=200, default='')
        payer = ForeignKeyField(Payer, on_delete='RESTRICT')
        payer_name = CharField(max_length=120, default='')
        trace_number = CharField(max_length=50)
        handling_code = CharField(max_length=2, default='')
        payment_method = CharField(max_length=3, default='')
        payment_date = DateField(null=True)
        total_paid_cents = IntegerField()
        claim_count = IntegerField(default=0)
        matched_count = IntegerField(default=0)
        unmatched_count = IntegerField(default=0)
        paid_cents = IntegerField(default=0)
        adjustment_cents = IntegerField(default=0)
        patient_cents = IntegerField(default=0)
        plb_cents = IntegerField(default=0)
        imported_by_user_id = IntegerField(null=True)
        imported_by = CharField(max_length=60, default='')
        imported_at = UTCDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'billing_remittance'
            indexes = ((('file_sha256', 'position'), True), (('payer', 'trace_number'), True))
    db.create_tables([Remittance])

    class ProviderAdjustment(Model):
        remittance = ForeignKeyField(Remittance, on_delete='CASCADE')
        payer = ForeignKeyField(Payer, on_delete='RESTRICT')
        provider_identifier = CharField(max_length=50, default='')
        fiscal_period_end = DateField(null=True)
        reason_code = CharField(max_length=2)
        reference = CharField(max_length=50, default='')
        amount_cents = IntegerField()
        effective_date = DateField()
        posted_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_provider_adjustment'
            indexes = ((('payer', 'effective_date'), False),)
    db.create_tables([ProviderAdjustment])

    class RemitClaim(Model):
        remittance = ForeignKeyField(Remittance, on_delete='CASCADE')
        position = IntegerField()
        claim = ForeignKeyField(Claim, null=True, on_delete='RESTRICT')
        matched_by = CharField(max_length=20, default='')
        patient_control_number = CharField(max_length=50)
        payer_claim_number = CharField(max_length=50, default='')
        status_code = CharField(max_length=2)
        outcome = CharField(max_length=16, default='')
        patient_name = CharField(max_length=120, default='')
        member_id = CharField(max_length=80, default='')
        service_date = DateField(null=True)
        charge_cents = IntegerField()
        paid_cents = IntegerField(default=0)
        adjustment_cents = IntegerField(default=0)
        patient_cents = IntegerField(default=0)
        next_payer_cents = IntegerField(default=0)
        reason_codes = CharField(max_length=200, default='')
        remark_codes = CharField(max_length=200, default='')
        raw = TextField()
        problem = TextField(default='')
        queue = CharField(max_length=10, default='')
        resolved = BooleanField(default=False)
        resolution = TextField(default='')
        resolved_by = CharField(max_length=60, default='')
        resolved_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'billing_remit_claim'
            indexes = ((('remittance', 'position'), True), (('queue', 'resolved'), False))
    db.create_tables([RemitClaim])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('billing_remit_claim'))
    migrator.migrate(migrator.drop_table('billing_provider_adjustment'))
    migrator.migrate(migrator.drop_table('billing_remittance'))
    migrator.migrate(migrator.drop_table('billing_claim_batch_item'))
    migrator.migrate(migrator.drop_table('billing_claim_batch'))

"""clearinghouse, acknowledgments, eligibility and good faith estimates"""
# Generated from a schema diff on 2026-12-03 21:42.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Claim(Model):
        class Meta:
            database = db
            table_name = 'billing_claim'

    class ClaimBatch(Model):
        class Meta:
            database = db
            table_name = 'billing_claim_batch'

    class Coverage(Model):
        class Meta:
            database = db
            table_name = 'billing_coverage'

    class Acknowledgment(Model):
        file_sha256 = CharField(max_length=64)
        position = SmallIntegerField(default=1)
        kind = CharField(max_length=6)
        file_name = CharField(max_length=200, default='')
        batch = ForeignKeyField(ClaimBatch, null=True, on_delete='RESTRICT')
        reference = CharField(max_length=50, default='')
        status = CharField(max_length=2, default='')
        payer_name = CharField(max_length=120, default='')
        accepted = IntegerField(default=0)
        rejected = IntegerField(default=0)
        claims_updated = IntegerField(default=0)
        reasons = TextField(default='')
        imported_by = CharField(max_length=60, default='')
        imported_at = UTCDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'billing_acknowledgment'
            indexes = ((('file_sha256', 'position'), True),)
    db.create_tables([Acknowledgment])

    class ClaimAcknowledgment(Model):
        acknowledgment = ForeignKeyField(Acknowledgment, on_delete='CASCADE')
        claim = ForeignKeyField(Claim, null=True, on_delete='RESTRICT')
        claim_number = CharField(max_length=50)
        outcome = CharField(max_length=10)
        statuses = CharField(max_length=60, default='')
        payer_claim_number = CharField(max_length=50, default='')
        reason = TextField(default='')
        class Meta:
            database = db
            table_name = 'billing_claim_ack'
            indexes = ((('claim',), False),)
    db.create_tables([ClaimAcknowledgment])

    class Clearinghouse(Model):
        host = CharField(default='')
        port = IntegerField(default=22)
        username = CharField(max_length=100, default='')
        auth_kind = CharField(max_length=8, default='password')
        secret_sealed = TextField(default='')
        host_key = TextField(default='')
        host_key_seen = TextField(default='')
        outbound_dir = CharField(default='outbound')
        inbound_dir = CharField(default='inbound')
        inbound_pattern = CharField(max_length=60, default='*')
        name_pattern = CharField(max_length=120, default='{kind}-{control}-{date}.x12')
        after_fetch = CharField(max_length=8, default='leave')
        archive_dir = CharField(default='archive')
        enabled = BooleanField(default=False)
        updated_by = CharField(max_length=60, default='')
        updated_at = UTCDateTimeField()
        last_sync_at = UTCDateTimeField(null=True)
        last_error = TextField(default='')
        last_error_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'billing_clearinghouse'
    db.create_tables([Clearinghouse])

    class ClearinghouseFile(Model):
        direction = CharField(max_length=3)
        name = CharField(max_length=200)
        sha256 = CharField(max_length=64, default='')
        kind = CharField(max_length=8, default='')
        status = CharField(max_length=10)
        message = TextField(default='')
        batch_id = IntegerField(null=True)
        at = UTCDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'billing_clearinghouse_file'
            indexes = ((('direction', 'name'), False), (('direction', 'sha256'), False), (('status',), False))
    db.create_tables([ClearinghouseFile])

    class EligibilityBatch(Model):
        control_number = BigIntegerField(unique=True)
        file_name = CharField(max_length=120)
        sha256 = CharField(max_length=64)
        inquiries = IntegerField()
        content = BlobField()
        created_by = CharField(max_length=60, default='')
        created_at = UTCDateTimeField(index=True)
        class Meta:
            database = db
            table_name = 'billing_eligibility_batch'
    db.create_tables([EligibilityBatch])

    class EligibilityCheck(Model):
        coverage = ForeignKeyField(Coverage, on_delete='CASCADE')
        patient_id = IntegerField(index=True)
        batch = ForeignKeyField(EligibilityBatch, null=True, on_delete='CASCADE')
        trace_number = CharField(unique=True, max_length=50)
        service_date = DateField()
        requested_at = UTCDateTimeField()
        answered_at = UTCDateTimeField(null=True)
        answer_sha256 = CharField(max_length=64, default='')
        active = BooleanField(null=True)
        plan_name = CharField(max_length=80, default='')
        plan_begin = DateField(null=True)
        plan_end = DateField(null=True)
        benefits = TextField(default='[]')
        rejections = TextField(default='')
        class Meta:
            database = db
            table_name = 'billing_eligibility'
            indexes = ((('coverage', 'answered_at'), False),)
    db.create_tables([EligibilityCheck])

    class GoodFaithEstimate(Model):
        number = CharField(unique=True, max_length=12)
        patient_id = IntegerField(index=True)
        provider_id = IntegerField(null=True)
        location_id = IntegerField(null=True)
        service_date = DateField(null=True)
        scheduled_on = DateField()
        requested = BooleanField(default=False)
        due_by = DateField(null=True)
        diagnosis_codes = CharField(max_length=120, default='')
        notes = TextField(default='')
        total_cents = IntegerField(default=0)
        status = CharField(max_length=10, default='draft')
        delivered_at = UTCDateTimeField(null=True)
        delivered_how = CharField(max_length=10, default='')
        delivered_by = CharField(max_length=60, default='')
        billed_cents = IntegerField(null=True)
        dispute_flagged_on = DateField(null=True)
        dispute_closed_on = DateField(null=True)
        dispute_note = CharField(max_length=200, default='')
        created_by = CharField(max_length=60, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_gfe'
            indexes = ((('status', 'due_by'), False),)
    db.create_tables([GoodFaithEstimate])

    class GoodFaithEstimateItem(Model):
        estimate = ForeignKeyField(GoodFaithEstimate, on_delete='CASCADE')
        position = SmallIntegerField()
        code = CharField(max_length=5)
        description = CharField(max_length=120, default='')
        units = IntegerField(default=1)
        unit_cents = IntegerField()
        class Meta:
            database = db
            table_name = 'billing_gfe_item'
            indexes = ((('estimate', 'position'), True),)
    db.create_tables([GoodFaithEstimateItem])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('billing_gfe_item'))
    migrator.migrate(migrator.drop_table('billing_gfe'))
    migrator.migrate(migrator.drop_table('billing_eligibility'))
    migrator.migrate(migrator.drop_table('billing_eligibility_batch'))
    migrator.migrate(migrator.drop_table('billing_clearinghouse_file'))
    migrator.migrate(migrator.drop_table('billing_clearinghouse'))
    migrator.migrate(migrator.drop_table('billing_claim_ack'))
    migrator.migrate(migrator.drop_table('billing_acknowledgment'))

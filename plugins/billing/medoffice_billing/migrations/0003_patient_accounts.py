"""Desk payments and receipts, statements, payment plans, collections and aging snapshots"""
# Generated from a schema diff on 2026-11-27 06:08.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class AgingSnapshot(Model):
        snapshot_date = DateField()
        party = CharField(max_length=10)
        payer_id = IntegerField(null=True)
        b0 = IntegerField(default=0)
        b1 = IntegerField(default=0)
        b2 = IntegerField(default=0)
        b3 = IntegerField(default=0)
        b4 = IntegerField(default=0)
        total_cents = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'billing_aging_snapshot'
            indexes = ((('snapshot_date', 'party'), False),)
    db.create_tables([AgingSnapshot])

    class CollectionPlacement(Model):
        patient_id = IntegerField(index=True)
        agency = CharField(max_length=120)
        status = CharField(max_length=10, default='placed')
        balance_cents = IntegerField()
        placed_on = DateField()
        placed_by = CharField(max_length=60, default='')
        placed_at = UTCDateTimeField()
        note = CharField(max_length=200, default='')
        exported_at = UTCDateTimeField(null=True)
        recalled_at = UTCDateTimeField(null=True)
        recalled_by = CharField(max_length=60, default='')
        recall_reason = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'billing_collection_placement'
            indexes = ((('status', 'placed_on'), False),)
    db.create_tables([CollectionPlacement])

    class DunningStage(Model):
        days = IntegerField(unique=True)
        name = CharField(max_length=60)
        class Meta:
            database = db
            table_name = 'billing_dunning_stage'
    db.create_tables([DunningStage])

    class PatientAging(Model):
        patient_id = IntegerField(unique=True)
        as_of = DateField()
        patient_cents = IntegerField(default=0)
        insurance_cents = IntegerField(default=0)
        credit_cents = IntegerField(default=0)
        b0 = IntegerField(default=0)
        b1 = IntegerField(default=0)
        b2 = IntegerField(default=0)
        b3 = IntegerField(default=0)
        b4 = IntegerField(default=0)
        oldest_on = DateField(index=True, null=True)
        refreshed_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_patient_aging'
    db.create_tables([PatientAging])

    class PaymentPlan(Model):
        patient_id = IntegerField(index=True)
        status = CharField(max_length=10, default='active')
        total_cents = IntegerField()
        installment_cents = IntegerField()
        frequency = CharField(max_length=10, default='monthly')
        start_date = DateField()
        note = CharField(max_length=200, default='')
        created_by = CharField(max_length=60, default='')
        created_at = UTCDateTimeField()
        ended_at = UTCDateTimeField(null=True)
        end_reason = CharField(max_length=200, default='')
        missed_flagged_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'billing_payment_plan'
            indexes = ((('status', 'patient_id'), False),)
    db.create_tables([PaymentPlan])

    class PatientPayment(Model):
        receipt_number = CharField(unique=True, max_length=20)
        kind = CharField(max_length=8, default='payment')
        patient_id = IntegerField(index=True)
        amount_cents = IntegerField()
        applied_cents = IntegerField(default=0)
        method = CharField(max_length=10)
        reference = CharField(max_length=60, default='')
        received_on = DateField()
        memo = CharField(max_length=200, default='')
        plan = ForeignKeyField(PaymentPlan, null=True, on_delete='RESTRICT')
        user_id = IntegerField(null=True)
        username = CharField(max_length=60, default='')
        posted_at = UTCDateTimeField()
        voided_at = UTCDateTimeField(null=True)
        voided_by = CharField(max_length=60, default='')
        void_reason = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'billing_patient_payment'
            indexes = ((('received_on', 'method'), False),)
    db.create_tables([PatientPayment])

    class PlanInstallment(Model):
        plan = ForeignKeyField(PaymentPlan, on_delete='CASCADE')
        number = SmallIntegerField()
        due_date = DateField()
        amount_cents = IntegerField()
        class Meta:
            database = db
            table_name = 'billing_plan_installment'
            indexes = ((('plan', 'number'), True),)
    db.create_tables([PlanInstallment])

    class StatementRun(Model):
        run_date = DateField()
        trigger = CharField(max_length=10, default='web')
        user_id = IntegerField(null=True)
        username = CharField(max_length=60, default='')
        started_at = UTCDateTimeField(index=True)
        finished_at = UTCDateTimeField(null=True)
        considered = IntegerField(default=0)
        statements = IntegerField(default=0)
        total_cents = IntegerField(default=0)
        below_minimum = IntegerField(default=0)
        not_due = IntegerField(default=0)
        held_insurance = IntegerField(default=0)
        held_plan = IntegerField(default=0)
        held_manual = IntegerField(default=0)
        held_collections = IntegerField(default=0)
        output = CharField(max_length=500, default='')
        class Meta:
            database = db
            table_name = 'billing_statement_run'
    db.create_tables([StatementRun])

    class Statement(Model):
        run = ForeignKeyField(StatementRun, on_delete='CASCADE')
        patient_id = IntegerField()
        statement_date = DateField()
        amount_cents = IntegerField()
        bucket = CharField(max_length=8)
        dunning_stage = CharField(max_length=60, default='')
        content = TextField()
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_statement'
            indexes = ((('patient_id', 'statement_date'), False),)
    db.create_tables([Statement])

    class StatementHold(Model):
        patient_id = IntegerField(unique=True)
        reason = CharField(max_length=200)
        until = DateField(null=True)
        created_by = CharField(max_length=60, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'billing_statement_hold'
    db.create_tables([StatementHold])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('billing_statement_hold'))
    migrator.migrate(migrator.drop_table('billing_statement'))
    migrator.migrate(migrator.drop_table('billing_statement_run'))
    migrator.migrate(migrator.drop_table('billing_plan_installment'))
    migrator.migrate(migrator.drop_table('billing_patient_payment'))
    migrator.migrate(migrator.drop_table('billing_payment_plan'))
    migrator.migrate(migrator.drop_table('billing_patient_aging'))
    migrator.migrate(migrator.drop_table('billing_dunning_stage'))
    migrator.migrate(migrator.drop_table('billing_collection_placement'))
    migrator.migrate(migrator.drop_table('billing_aging_snapshot'))

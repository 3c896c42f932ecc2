"""initial"""
# Generated from a schema diff on 2026-12-03 21:41.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Patient(Model):
        class Meta:
            database = db
            table_name = 'core_patient'

    class StaffMember(Model):
        class Meta:
            database = db
            table_name = 'core_staff'

    class Authorization(Model):
        patient = ForeignKeyField(Patient)
        use = CharField(max_length=15)
        scope = TextField()
        signed_on = DateField()
        expires_on = DateField()
        revoked_on = DateField(null=True)
        revoke_note = CharField(max_length=200, default='')
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_authorization'
    db.create_tables([Authorization])

    class Campaign(Model):
        name = CharField(max_length=120)
        channel = CharField(max_length=30)
        code = CharField(unique=True, max_length=30)
        starts_on = DateField()
        ends_on = DateField(null=True)
        target = CharField(max_length=200, default='')
        budget_cents = BigIntegerField(default=0)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_campaign'
    db.create_tables([Campaign])

    class Complaint(Model):
        patient = ForeignKeyField(Patient, null=True)
        received_on = DateField(index=True)
        channel = CharField(max_length=15)
        category = CharField(index=True, max_length=15)
        summary = TextField()
        provider = ForeignKeyField(StaffMember, null=True, on_delete='SET NULL')
        acknowledge_by = DateField()
        resolve_by = DateField()
        acknowledged_on = DateField(null=True)
        resolved_on = DateField(null=True)
        root_cause = TextField(default='')
        resolution_letter = TextField(default='')
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_complaint'
    db.create_tables([Complaint])

    class SurveyResponse(Model):
        patient = ForeignKeyField(Patient, null=True)
        source = CharField(max_length=10)
        visit_on = DateField(null=True)
        answered_on = DateField(index=True)
        nps = IntegerField()
        wait_time = IntegerField(null=True)
        staff = IntegerField(null=True)
        provider = IntegerField(null=True)
        facility = IntegerField(null=True)
        comment = TextField(default='')
        external_id = CharField(unique=True, null=True, max_length=80)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_survey'
    db.create_tables([SurveyResponse])

    class RecoveryItem(Model):
        patient = ForeignKeyField(Patient, null=True)
        survey = ForeignKeyField(SurveyResponse, unique=True, null=True, on_delete='SET NULL')
        complaint = ForeignKeyField(Complaint, unique=True, null=True, on_delete='SET NULL')
        reason = CharField(max_length=200)
        owner_user_id = IntegerField(null=True)
        owner_role = CharField(max_length=60, default='')
        opened_on = DateField(index=True)
        due_on = DateField()
        state = CharField(index=True, max_length=10, default='open')
        outcome = CharField(max_length=20, default='')
        outcome_note = TextField(default='')
        closed_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'marketing_recovery'
    db.create_tables([RecoveryItem])

    class ContactAttempt(Model):
        item = ForeignKeyField(RecoveryItem, on_delete='CASCADE')
        attempted_at = UTCDateTimeField()
        channel = CharField(max_length=15)
        reached = BooleanField(default=False)
        note = TextField(default='')
        by = CharField(max_length=150, default='')
        class Meta:
            database = db
            table_name = 'marketing_contact_attempt'
    db.create_tables([ContactAttempt])

    class KioskDevice(Model):
        name = CharField(max_length=80)
        token_sha256 = CharField(unique=True, max_length=64)
        enrolled_by = CharField(max_length=150, default='')
        enrolled_at = UTCDateTimeField()
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'marketing_kiosk'
    db.create_tables([KioskDevice])

    class KioskHandoff(Model):
        device = ForeignKeyField(KioskDevice, on_delete='CASCADE')
        patient = ForeignKeyField(Patient)
        visit_on = DateField()
        created_at = UTCDateTimeField()
        used_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'marketing_kiosk_handoff'
    db.create_tables([KioskHandoff])

    class Material(Model):
        document_id = IntegerField(unique=True)
        kind = CharField(max_length=15)
        clinical = BooleanField(default=False)
        review_on = DateField(null=True)
        approved_version = IntegerField(null=True)
        approved_by = CharField(max_length=150, default='')
        approved_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'marketing_material'
    db.create_tables([Material])

    class ReferringProvider(Model):
        name = CharField(max_length=120)
        practice = CharField(max_length=120, default='')
        npi = CharField(max_length=10, default='')
        email = CharField(max_length=200, default='')
        phone = CharField(max_length=30, default='')
        active = BooleanField(default=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_referring_provider'
    db.create_tables([ReferringProvider])

    class PatientSource(Model):
        patient = ForeignKeyField(Patient, unique=True)
        channel = CharField(index=True, max_length=30)
        campaign = ForeignKeyField(Campaign, null=True, on_delete='SET NULL')
        referring_provider = ForeignKeyField(ReferringProvider, null=True, on_delete='SET NULL')
        referring_patient = ForeignKeyField(Patient, null=True, on_delete='SET NULL')
        new_on = DateField(index=True)
        detail = CharField(max_length=200, default='')
        recorded_by = CharField(max_length=150, default='')
        recorded_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_patient_source'
    db.create_tables([PatientSource])

    class RecallRule(Model):
        name = CharField(max_length=120)
        kind = CharField(max_length=15, default='recall')
        visit_type = CharField(max_length=60, default='')
        interval_months = IntegerField()
        message_label = CharField(max_length=120, default='')
        active = BooleanField(default=True)
        class Meta:
            database = db
            table_name = 'marketing_recall_rule'
    db.create_tables([RecallRule])

    class RecallList(Model):
        rule = ForeignKeyField(RecallRule, on_delete='CASCADE')
        as_of = DateField()
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_recall_list'
    db.create_tables([RecallList])

    class RecallEntry(Model):
        recall_list = ForeignKeyField(RecallList, on_delete='CASCADE')
        patient = ForeignKeyField(Patient)
        last_visit_on = DateField(null=True)
        due_on = DateField()
        contact = CharField(max_length=20, default='')
        contact_note = CharField(max_length=300, default='')
        message_id = BigIntegerField(null=True)
        outcome = CharField(max_length=15, default='')
        outcome_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'marketing_recall_entry'
            indexes = ((('recall_list', 'patient'), True),)
    db.create_tables([RecallEntry])

    class RevenueLine(Model):
        position = BigIntegerField(unique=True)
        patient = ForeignKeyField(Patient)
        kind = CharField(max_length=10)
        amount_cents = BigIntegerField()
        effective_date = DateField()
        class Meta:
            database = db
            table_name = 'marketing_revenue'
            indexes = ((('patient', 'kind', 'effective_date'), False),)
    db.create_tables([RevenueLine])

    class Review(Model):
        site = CharField(max_length=60)
        rating = IntegerField()
        reviewed_on = DateField(index=True)
        reviewer = CharField(max_length=120, default='')
        text = TextField(default='')
        reply = TextField(default='')
        reply_state = CharField(max_length=10, default='none')
        approved_by = CharField(max_length=150, default='')
        approved_at = UTCDateTimeField(null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_review'
    db.create_tables([Review])

    class SpendEntry(Model):
        campaign = ForeignKeyField(Campaign, on_delete='CASCADE')
        spent_on = DateField(index=True)
        amount_cents = BigIntegerField()
        vendor = CharField(max_length=120)
        description = CharField(max_length=200, default='')
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_spend'
    db.create_tables([SpendEntry])

    class Testimonial(Model):
        patient = ForeignKeyField(Patient)
        use = CharField(max_length=15)
        text = TextField(default='')
        authorization = ForeignKeyField(Authorization, null=True, on_delete='SET NULL')
        usable = BooleanField(default=False)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_testimonial'
    db.create_tables([Testimonial])

    class Visit(Model):
        patient = ForeignKeyField(Patient)
        visit_on = DateField()
        visit_type = CharField(max_length=60, default='')
        source = CharField(max_length=10, default='manual')
        encounter_id = BigIntegerField(unique=True, null=True)
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'marketing_visit'
            indexes = ((('patient', 'visit_on'), False),)
    db.create_tables([Visit])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('marketing_visit'))
    migrator.migrate(migrator.drop_table('marketing_testimonial'))
    migrator.migrate(migrator.drop_table('marketing_spend'))
    migrator.migrate(migrator.drop_table('marketing_review'))
    migrator.migrate(migrator.drop_table('marketing_revenue'))
    migrator.migrate(migrator.drop_table('marketing_recall_entry'))
    migrator.migrate(migrator.drop_table('marketing_recall_list'))
    migrator.migrate(migrator.drop_table('marketing_recall_rule'))
    migrator.migrate(migrator.drop_table('marketing_patient_source'))
    migrator.migrate(migrator.drop_table('marketing_referring_provider'))
    migrator.migrate(migrator.drop_table('marketing_material'))
    migrator.migrate(migrator.drop_table('marketing_kiosk_handoff'))
    migrator.migrate(migrator.drop_table('marketing_kiosk'))
    migrator.migrate(migrator.drop_table('marketing_contact_attempt'))
    migrator.migrate(migrator.drop_table('marketing_recovery'))
    migrator.migrate(migrator.drop_table('marketing_survey'))
    migrator.migrate(migrator.drop_table('marketing_complaint'))
    migrator.migrate(migrator.drop_table('marketing_campaign'))
    migrator.migrate(migrator.drop_table('marketing_authorization'))

"""initial"""
# Generated from a schema diff on 2026-12-03 21:37.
from peewee import *
from medoffice.db import UTCDateTimeField


def up(migrator, db):
    class Location(Model):
        class Meta:
            database = db
            table_name = 'core_location'

    class Patient(Model):
        class Meta:
            database = db
            table_name = 'core_patient'

    class StaffMember(Model):
        class Meta:
            database = db
            table_name = 'core_staff'

    class BusinessAssociate(Model):
        name = CharField(max_length=200)
        services = CharField(max_length=300, default='')
        contact = CharField(max_length=200, default='')
        npi = CharField(max_length=10, default='')
        signed_on = DateField(null=True)
        review_on = DateField(null=True)
        terminated_on = DateField(null=True)
        return_destroy_confirmed_on = DateField(null=True)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_business_associate'
    db.create_tables([BusinessAssociate])

    class Credential(Model):
        staff = ForeignKeyField(StaffMember, null=True, on_delete='CASCADE')
        location = ForeignKeyField(Location, null=True, on_delete='SET NULL')
        kind = CharField(index=True, max_length=30)
        state = CharField(max_length=2, default='')
        number = CharField(max_length=60, default='')
        issuer = CharField(max_length=120, default='')
        payer_id = CharField(index=True, max_length=40, default='')
        status = CharField(max_length=20, default='')
        effective_on = DateField(null=True)
        expires_on = DateField(null=True)
        due_on = DateField(index=True, null=True)
        limit_per_claim_cents = BigIntegerField(null=True)
        limit_aggregate_cents = BigIntegerField(null=True)
        note = CharField(max_length=200, default='')
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        removed_at = UTCDateTimeField(null=True)
        removed_reason = CharField(max_length=200, default='')
        class Meta:
            database = db
            table_name = 'compliance_credential'
    db.create_tables([Credential])

    class Disclosure(Model):
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        disclosed_on = DateField()
        recipient = CharField(max_length=200)
        description = CharField(max_length=300)
        purpose = CharField(max_length=300)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_disclosure'
            indexes = ((('patient', 'disclosed_on'), False),)
    db.create_tables([Disclosure])

    class ExclusionList(Model):
        source = CharField(max_length=10)
        list_date = DateField()
        file_sha256 = CharField(max_length=64)
        file_name = CharField(max_length=200, default='')
        row_count = IntegerField()
        current = BooleanField(default=True)
        imported_by = CharField(max_length=150, default='')
        imported_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_exclusion_list'
    db.create_tables([ExclusionList])

    class ExclusionEntry(Model):
        exclusion_list = ForeignKeyField(ExclusionList, on_delete='CASCADE')
        last_name = CharField(max_length=100, default='')
        first_name = CharField(max_length=100, default='')
        middle_name = CharField(max_length=100, default='')
        business_name = CharField(max_length=200, default='')
        npi = CharField(index=True, max_length=10, default='')
        date_of_birth = DateField(null=True)
        state = CharField(max_length=2, default='')
        exclusion_type = CharField(max_length=40, default='')
        excluded_on = DateField(null=True)
        name_key = CharField(index=True, max_length=120, default='')
        class Meta:
            database = db
            table_name = 'compliance_exclusion_entry'
    db.create_tables([ExclusionEntry])

    class Incident(Model):
        title = CharField(max_length=200)
        description = TextField(default='')
        occurred_on = DateField(null=True)
        discovered_on = DateField(index=True)
        reported_by = CharField(max_length=150, default='')
        phi_involved = BooleanField(default=True)
        factor_nature = TextField(default='')
        factor_recipient = TextField(default='')
        factor_acquired = TextField(default='')
        factor_mitigation = TextField(default='')
        decision = CharField(max_length=20, default='')
        decision_reasoning = TextField(default='')
        decided_by = CharField(max_length=150, default='')
        decided_on = DateField(null=True)
        individuals_notified_on = DateField(null=True)
        hhs_notified_on = DateField(null=True)
        media_notified_on = DateField(null=True)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_incident'
    db.create_tables([Incident])

    class IncidentPatient(Model):
        incident = ForeignKeyField(Incident, on_delete='CASCADE')
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        message_id = IntegerField(null=True)
        notified_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'compliance_incident_patient'
            indexes = ((('incident', 'patient'), True),)
    db.create_tables([IncidentPatient])

    class IncidentState(Model):
        incident = ForeignKeyField(Incident, on_delete='CASCADE')
        state = CharField(max_length=2)
        affected = IntegerField()
        class Meta:
            database = db
            table_name = 'compliance_incident_state'
            indexes = ((('incident', 'state'), True),)
    db.create_tables([IncidentState])

    class PrivacyRequest(Model):
        patient = ForeignKeyField(Patient, on_delete='CASCADE')
        kind = CharField(max_length=30)
        received_on = DateField()
        identity_verified = BooleanField(default=False)
        details = TextField(default='')
        access_format = CharField(max_length=20, default='')
        fee_cents = BigIntegerField(default=0)
        due_on = DateField(index=True, null=True)
        extended_on = DateField(null=True)
        extension_reason = CharField(max_length=300, default='')
        extension_message_id = IntegerField(null=True)
        status = CharField(index=True, max_length=20, default='open')
        decided_on = DateField(null=True)
        decision_reason = TextField(default='')
        answer_message_id = IntegerField(null=True)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_privacy_request'
    db.create_tables([PrivacyRequest])

    class RiskAssessment(Model):
        title = CharField(max_length=120)
        started_on = DateField()
        completed_on = DateField(null=True)
        created_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_risk_assessment'
    db.create_tables([RiskAssessment])

    class RiskItem(Model):
        assessment = ForeignKeyField(RiskAssessment, on_delete='CASCADE')
        question_key = CharField(max_length=40)
        answer = CharField(max_length=10, default='')
        likelihood = IntegerField(default=0)
        impact = IntegerField(default=0)
        note = TextField(default='')
        remediation = CharField(max_length=300, default='')
        owner_user_id = IntegerField(null=True)
        remediation_due_on = DateField(null=True)
        remediated_on = DateField(null=True)
        class Meta:
            database = db
            table_name = 'compliance_risk_item'
            indexes = ((('assessment', 'question_key'), True),)
    db.create_tables([RiskItem])

    class ScreeningRun(Model):
        run_at = UTCDateTimeField()
        run_by = CharField(max_length=150, default='')
        lists = CharField(max_length=200, default='')
        screened = IntegerField(default=0)
        possible_matches = IntegerField(default=0)
        class Meta:
            database = db
            table_name = 'compliance_screening_run'
    db.create_tables([ScreeningRun])

    class ScreeningMatch(Model):
        run = ForeignKeyField(ScreeningRun, on_delete='CASCADE')
        subject_kind = CharField(max_length=20)
        subject_id = IntegerField()
        subject_name = CharField(max_length=200)
        entry = ForeignKeyField(ExclusionEntry, null=True, on_delete='SET NULL')
        source = CharField(max_length=10)
        list_date = DateField()
        entry_name = CharField(max_length=250)
        matched_on = CharField(max_length=20)
        status = CharField(index=True, max_length=20, default='open')
        note = CharField(max_length=300, default='')
        reviewed_by = CharField(max_length=150, default='')
        reviewed_at = UTCDateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'compliance_screening_match'
    db.create_tables([ScreeningMatch])

    class TrainingCompletion(Model):
        staff = ForeignKeyField(StaffMember, on_delete='CASCADE')
        course = CharField(max_length=120)
        completed_on = DateField()
        recorded_by = CharField(max_length=150, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_training'
    db.create_tables([TrainingCompletion])

    class Verification(Model):
        credential = ForeignKeyField(Credential, on_delete='CASCADE')
        verified_on = DateField()
        verified_by = CharField(max_length=150)
        source = CharField(max_length=200)
        result = CharField(max_length=200, default='')
        created_at = UTCDateTimeField()
        class Meta:
            database = db
            table_name = 'compliance_verification'
    db.create_tables([Verification])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('compliance_verification'))
    migrator.migrate(migrator.drop_table('compliance_training'))
    migrator.migrate(migrator.drop_table('compliance_screening_match'))
    migrator.migrate(migrator.drop_table('compliance_screening_run'))
    migrator.migrate(migrator.drop_table('compliance_risk_item'))
    migrator.migrate(migrator.drop_table('compliance_risk_assessment'))
    migrator.migrate(migrator.drop_table('compliance_privacy_request'))
    migrator.migrate(migrator.drop_table('compliance_incident_state'))
    migrator.migrate(migrator.drop_table('compliance_incident_patient'))
    migrator.migrate(migrator.drop_table('compliance_incident'))
    migrator.migrate(migrator.drop_table('compliance_exclusion_entry'))
    migrator.migrate(migrator.drop_table('compliance_exclusion_list'))
    migrator.migrate(migrator.drop_table('compliance_disclosure'))
    migrator.migrate(migrator.drop_table('compliance_credential'))
    migrator.migrate(migrator.drop_table('compliance_business_associate'))

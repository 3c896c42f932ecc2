"""Compliance's tables. Providers and staff are core's staff records, patients core's patients;
files live in core's files service, due dates in core's deadlines, policies in core's documents.
Nothing here is deleted: removed rows are marked, so the six-year documentation rule holds."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow
from medoffice.models import Location, Patient, StaffMember


class Credential(BaseModel):
    """A provider's credential (licence, DEA, malpractice, enrollment...) or, without a provider,
    one of the practice's (CLIA, facility licence...). Its document is a file of kind
    ``compliance.credential`` on ("compliance", "credential", id); its next due date a deadline."""

    staff = pw.ForeignKeyField(StaffMember, null=True, on_delete="CASCADE", index=True)
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    kind = pw.CharField(max_length=30, index=True)
    state = pw.CharField(max_length=2, default="")
    number = pw.CharField(max_length=60, default="")
    issuer = pw.CharField(max_length=120, default="")
    payer_id = pw.CharField(max_length=40, default="", index=True)
    status = pw.CharField(max_length=20, default="")
    effective_on = pw.DateField(null=True)
    expires_on = pw.DateField(null=True)
    due_on = pw.DateField(null=True, index=True)
    limit_per_claim_cents = pw.BigIntegerField(null=True)
    limit_aggregate_cents = pw.BigIntegerField(null=True)
    note = pw.CharField(max_length=200, default="")
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)
    removed_at = UTCDateTimeField(null=True)
    removed_reason = pw.CharField(max_length=200, default="")

    class Meta:
        table_name = "compliance_credential"


class Verification(BaseModel):
    """A primary-source verification of a credential: who checked, when, where, what was found;
    the evidence is a file on ("compliance", "verification", id)."""

    credential = pw.ForeignKeyField(Credential, backref="verifications", on_delete="CASCADE")
    verified_on = pw.DateField()
    verified_by = pw.CharField(max_length=150)
    source = pw.CharField(max_length=200)
    result = pw.CharField(max_length=200, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_verification"


class PrivacyRequest(BaseModel):
    """A patient's privacy-rights request (access, amendment, accounting, restriction,
    confidential communications) with its legal clock and its answer."""

    patient = pw.ForeignKeyField(Patient, on_delete="CASCADE", index=True)
    kind = pw.CharField(max_length=30)
    received_on = pw.DateField()
    identity_verified = pw.BooleanField(default=False)
    details = pw.TextField(default="")
    access_format = pw.CharField(max_length=20, default="")
    fee_cents = pw.BigIntegerField(default=0)
    due_on = pw.DateField(null=True, index=True)
    extended_on = pw.DateField(null=True)
    extension_reason = pw.CharField(max_length=300, default="")
    extension_message_id = pw.IntegerField(null=True)
    status = pw.CharField(max_length=20, default="open", index=True)
    decided_on = pw.DateField(null=True)
    decision_reason = pw.TextField(default="")
    answer_message_id = pw.IntegerField(null=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_privacy_request"


class Disclosure(BaseModel):
    """A disclosure of a patient's PHI that an accounting of disclosures must list."""

    patient = pw.ForeignKeyField(Patient, on_delete="CASCADE")
    disclosed_on = pw.DateField()
    recipient = pw.CharField(max_length=200)
    description = pw.CharField(max_length=300)
    purpose = pw.CharField(max_length=300)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_disclosure"
        indexes = ((("patient", "disclosed_on"), False),)


class Incident(BaseModel):
    """A privacy or security incident, its four-factor risk assessment and, when it is a breach,
    the notices it owes and when each went."""

    title = pw.CharField(max_length=200)
    description = pw.TextField(default="")
    occurred_on = pw.DateField(null=True)
    discovered_on = pw.DateField(index=True)
    reported_by = pw.CharField(max_length=150, default="")
    phi_involved = pw.BooleanField(default=True)
    factor_nature = pw.TextField(default="")
    factor_recipient = pw.TextField(default="")
    factor_acquired = pw.TextField(default="")
    factor_mitigation = pw.TextField(default="")
    decision = pw.CharField(max_length=20, default="")
    decision_reasoning = pw.TextField(default="")
    decided_by = pw.CharField(max_length=150, default="")
    decided_on = pw.DateField(null=True)
    individuals_notified_on = pw.DateField(null=True)
    hhs_notified_on = pw.DateField(null=True)
    media_notified_on = pw.DateField(null=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_incident"


class IncidentState(BaseModel):
    """How many residents of one state an incident affects."""

    incident = pw.ForeignKeyField(Incident, backref="states", on_delete="CASCADE")
    state = pw.CharField(max_length=2)
    affected = pw.IntegerField()

    class Meta:
        table_name = "compliance_incident_state"
        indexes = ((("incident", "state"), True),)


class IncidentPatient(BaseModel):
    """A patient an incident affects, and the notice letter queued for them."""

    incident = pw.ForeignKeyField(Incident, backref="patients", on_delete="CASCADE")
    patient = pw.ForeignKeyField(Patient, on_delete="CASCADE")
    message_id = pw.IntegerField(null=True)
    notified_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "compliance_incident_patient"
        indexes = ((("incident", "patient"), True),)


class TrainingCompletion(BaseModel):
    """A staff member completed a HIPAA training course (compliance's own log)."""

    staff = pw.ForeignKeyField(StaffMember, on_delete="CASCADE", index=True)
    course = pw.CharField(max_length=120)
    completed_on = pw.DateField()
    recorded_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_training"


class RiskAssessment(BaseModel):
    """One security risk assessment (after the HHS SRA tool), usually yearly."""

    title = pw.CharField(max_length=120)
    started_on = pw.DateField()
    completed_on = pw.DateField(null=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_risk_assessment"


class RiskItem(BaseModel):
    """One question of an assessment: the answer, the threat's likelihood x impact (1-3 each)
    and, when it needs one, the remediation task with its owner and due date (a deadline)."""

    assessment = pw.ForeignKeyField(RiskAssessment, backref="items", on_delete="CASCADE")
    question_key = pw.CharField(max_length=40)
    answer = pw.CharField(max_length=10, default="")
    likelihood = pw.IntegerField(default=0)
    impact = pw.IntegerField(default=0)
    note = pw.TextField(default="")
    remediation = pw.CharField(max_length=300, default="")
    owner_user_id = pw.IntegerField(null=True)
    remediation_due_on = pw.DateField(null=True)
    remediated_on = pw.DateField(null=True)

    class Meta:
        table_name = "compliance_risk_item"
        indexes = ((("assessment", "question_key"), True),)


class BusinessAssociate(BaseModel):
    """A vendor that touches PHI: its BAA (file on ("compliance", "business_associate", id)),
    services, review date (a deadline), termination and return-or-destroy confirmation."""

    name = pw.CharField(max_length=200)
    services = pw.CharField(max_length=300, default="")
    contact = pw.CharField(max_length=200, default="")
    npi = pw.CharField(max_length=10, default="")
    signed_on = pw.DateField(null=True)
    review_on = pw.DateField(null=True)
    terminated_on = pw.DateField(null=True)
    return_destroy_confirmed_on = pw.DateField(null=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_business_associate"


class ExclusionList(BaseModel):
    """One imported exclusion list (OIG LEIE or a SAM extract): its date, file hash and size.
    Importing a newer one replaces the previous list's entries in one transaction."""

    source = pw.CharField(max_length=10)
    list_date = pw.DateField()
    file_sha256 = pw.CharField(max_length=64)
    file_name = pw.CharField(max_length=200, default="")
    row_count = pw.IntegerField()
    current = pw.BooleanField(default=True)
    imported_by = pw.CharField(max_length=150, default="")
    imported_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_exclusion_list"


class ExclusionEntry(BaseModel):
    """A person or business on an exclusion list, with the keys screening matches on."""

    exclusion_list = pw.ForeignKeyField(ExclusionList, on_delete="CASCADE", index=True)
    last_name = pw.CharField(max_length=100, default="")
    first_name = pw.CharField(max_length=100, default="")
    middle_name = pw.CharField(max_length=100, default="")
    business_name = pw.CharField(max_length=200, default="")
    npi = pw.CharField(max_length=10, default="", index=True)
    date_of_birth = pw.DateField(null=True)
    state = pw.CharField(max_length=2, default="")
    exclusion_type = pw.CharField(max_length=40, default="")
    excluded_on = pw.DateField(null=True)
    name_key = pw.CharField(max_length=120, default="", index=True)

    class Meta:
        table_name = "compliance_exclusion_entry"


class ScreeningRun(BaseModel):
    """One screening of everyone against the current lists: kept as evidence."""

    run_at = UTCDateTimeField(default=utcnow)
    run_by = pw.CharField(max_length=150, default="")
    lists = pw.CharField(max_length=200, default="")
    screened = pw.IntegerField(default=0)
    possible_matches = pw.IntegerField(default=0)

    class Meta:
        table_name = "compliance_screening_run"


class ScreeningMatch(BaseModel):
    """A possible match of a screened person with a list entry, waiting to be cleared or
    confirmed with a note."""

    run = pw.ForeignKeyField(ScreeningRun, backref="matches", on_delete="CASCADE")
    subject_kind = pw.CharField(max_length=20)
    subject_id = pw.IntegerField()
    subject_name = pw.CharField(max_length=200)
    entry = pw.ForeignKeyField(ExclusionEntry, null=True, on_delete="SET NULL")
    source = pw.CharField(max_length=10)
    list_date = pw.DateField()
    entry_name = pw.CharField(max_length=250)
    matched_on = pw.CharField(max_length=20)
    status = pw.CharField(max_length=20, default="open", index=True)
    note = pw.CharField(max_length=300, default="")
    reviewed_by = pw.CharField(max_length=150, default="")
    reviewed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "compliance_screening_match"


class RetentionRule(BaseModel):
    """How long a type of record is kept in a state ("" for the practice's default): adults'
    records a number of years after the last visit; minors' until the age of majority plus years
    (whichever ends later). Data the practice edits."""

    record_type = pw.CharField(max_length=60)
    state = pw.CharField(max_length=2, default="")
    adult_years = pw.IntegerField()
    majority_age = pw.IntegerField(default=18)
    minor_years = pw.IntegerField(default=0)
    note = pw.CharField(max_length=200, default="")

    class Meta:
        table_name = "compliance_retention_rule"
        indexes = ((("record_type", "state"), True),)


class LastService(BaseModel):
    """A patient's latest date of service, kept from billing's charge events (retention counts
    from it)."""

    patient = pw.ForeignKeyField(Patient, unique=True, on_delete="CASCADE")
    last_service_on = pw.DateField(index=True)

    class Meta:
        table_name = "compliance_last_service"


class LegalHold(BaseModel):
    """A legal hold on a patient's records: nothing of theirs is destroyed while it stands."""

    patient = pw.ForeignKeyField(Patient, on_delete="CASCADE", index=True)
    reason = pw.CharField(max_length=300)
    placed_on = pw.DateField()
    placed_by = pw.CharField(max_length=150, default="")
    released_on = pw.DateField(null=True)
    released_by = pw.CharField(max_length=150, default="")

    class Meta:
        table_name = "compliance_legal_hold"


class Destruction(BaseModel):
    """A record destroyed at the end of its retention: what, when, how, witnessed by whom; the
    certificate is a file on ("compliance", "destruction", id)."""

    patient = pw.ForeignKeyField(Patient, on_delete="CASCADE", index=True)
    record_type = pw.CharField(max_length=60)
    destroyed_on = pw.DateField()
    method = pw.CharField(max_length=120)
    witness = pw.CharField(max_length=150)
    recorded_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "compliance_destruction"


COMPLIANCE_MODELS = (Credential, Verification, PrivacyRequest, Disclosure, Incident, IncidentState, IncidentPatient,
                     TrainingCompletion, RiskAssessment, RiskItem, BusinessAssociate, ExclusionList, ExclusionEntry,
                     ScreeningRun, ScreeningMatch, RetentionRule, LastService, LegalHold, Destruction)

# The credentialing board's colours and chips: kept per process until a credential changes (with core's staff list
# for the providers).
CREDENTIALS_VERSION = DataVersion("compliance.credentials", [Credential])
# A credential's verifications, as its page shows them: with the credential's, its page is kept until one changes.
VERIFICATIONS_VERSION = DataVersion("compliance.verifications", [Verification])

# The retention schedule the records page shows and counts from, and what the page lists (records due, holds, the
# destruction log): kept per process until a rule, or a last date of service, hold or destruction (or, with core's
# patients, a patient's record) changes.
RETENTION_VERSION = DataVersion("compliance.retention", [RetentionRule])
RECORDS_VERSION = DataVersion("compliance.records", [LastService, LegalHold, Destruction])

# The privacy requests list and the incident log: their page of rows, count and HTML kept per process until a
# request (with core's patients for the names) or an incident changes (``medoffice.web.tables.paginate``'s kept_by).
PRIVACY_VERSION = DataVersion("compliance.privacy", [PrivacyRequest])
# The disclosure log, as an accounting request's page shows it: with the request's, that page is kept until one
# changes.
DISCLOSURES_VERSION = DataVersion("compliance.disclosures", [Disclosure])
INCIDENTS_VERSION = DataVersion("compliance.incidents", [Incident])
# An incident's people, as its page shows them (affected by state, the patients named and their notices): with the
# incident's, its page's content is kept until one changes.
INCIDENT_PEOPLE_VERSION = DataVersion("compliance.incident_people", [IncidentState, IncidentPatient])

# Who trained when, as the HIPAA program page shows it: kept per process until the log changes (with core's staff
# list and the data versions other modules' training records name through ``compliance_training_versions``).
TRAINING_VERSION = DataVersion("compliance.training", [TrainingCompletion])

# Risk assessments and their answers, as an assessment's page shows them (with last year's beside): its register
# and answer forms kept per process until an assessment or an answer changes (with users, for the owners).
ASSESSMENTS_VERSION = DataVersion("compliance.assessments", [RiskAssessment, RiskItem])
# The business associates register: an associate's form, filled in, kept per process until one changes.
ASSOCIATES_VERSION = DataVersion("compliance.associates", [BusinessAssociate])
# Exclusion screening's matches: the review queue Today counts, kept per process until a match changes.
SCREENING_MATCHES_VERSION = DataVersion("compliance.screening_matches", [ScreeningMatch])

"""Marketing's tables (``marketing_*``). Patients, staff and users are core's rows; billing's facts
arrive as durable events and are kept here as visits and revenue lines (plugins never read each
other's tables). Money is integer cents."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow
from medoffice.models import Patient, StaffMember

CHANNELS = {
    "referring_provider": "Referring provider",
    "patient_referral": "Another patient",
    "web_search": "Web search",
    "insurance_directory": "Insurance directory",
    "sign": "Sign or walk-by",
    "event": "Community event",
    "campaign": "Campaign",
    "social": "Social media",
    "other": "Other",
}


class ReferringProvider(BaseModel):
    """A clinician outside the practice who sends patients; thanked by e-mail through core messages."""

    name = pw.CharField(max_length=120)
    practice = pw.CharField(max_length=120, default="")
    npi = pw.CharField(max_length=10, default="")
    email = pw.CharField(max_length=200, default="")
    phone = pw.CharField(max_length=30, default="")
    active = pw.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_referring_provider"


class Campaign(BaseModel):
    """A piece of marketing with a channel, dates, budget and a code new patients give."""

    name = pw.CharField(max_length=120)
    channel = pw.CharField(max_length=30)
    code = pw.CharField(max_length=30, unique=True)
    starts_on = pw.DateField()
    ends_on = pw.DateField(null=True)
    target = pw.CharField(max_length=200, default="")
    budget_cents = pw.BigIntegerField(default=0)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_campaign"


class SpendEntry(BaseModel):
    """Money spent on a campaign (its invoice is a file of kind ``marketing.invoice``)."""

    campaign = pw.ForeignKeyField(Campaign, backref="spend", on_delete="CASCADE")
    spent_on = pw.DateField(index=True)
    amount_cents = pw.BigIntegerField()
    vendor = pw.CharField(max_length=120)
    description = pw.CharField(max_length=200, default="")
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_spend"


class PatientSource(BaseModel):
    """Where one new patient came from: one row per patient, dated the day they became one."""

    patient = pw.ForeignKeyField(Patient, unique=True)
    channel = pw.CharField(max_length=30, index=True)
    campaign = pw.ForeignKeyField(Campaign, null=True, on_delete="SET NULL", index=True)
    # Indexed with new_on: the referrers list counts each one's patients from the index alone.
    referring_provider = pw.ForeignKeyField(ReferringProvider, null=True, on_delete="SET NULL", index=False)
    referring_patient = pw.ForeignKeyField(Patient, null=True, on_delete="SET NULL", backref="referrals")
    new_on = pw.DateField(index=True)
    detail = pw.CharField(max_length=200, default="")
    recorded_by = pw.CharField(max_length=150, default="")
    recorded_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_patient_source"
        indexes = ((("referring_provider", "new_on"), False),)


class SourceFigures(BaseModel):
    """Abstract (no table): the figures kept per period, channel and campaign (0 for none) in ``SourceDay``
    and ``SourceMonth``: new patients with their charges and collections in their first 12 months. Each
    subclass adds its period column and says its table."""

    channel = pw.CharField(max_length=30)
    campaign_id = pw.IntegerField()
    new_patients = pw.IntegerField(default=0)
    charges_cents = pw.BigIntegerField(default=0)
    collections_cents = pw.BigIntegerField(default=0)


class SourceMonth(SourceFigures):
    """Kept: the ``SourceDay`` rows of a month added up (``month`` is its first day), kept by the same writers,
    so a year's figures add up a dozen months and the days of the months it only partly covers."""

    month = pw.DateField()

    class Meta:
        table_name = "marketing_source_month"
        indexes = ((("month", "channel", "campaign_id"), True), (("campaign_id", "month"), False))


class ReferrerYear(BaseModel):
    """Kept: how many new patients each referring provider sent per year (of their ``new_on``), kept by every
    writer of sources (``sourcedays.keep_referrer``) and recounted with the source days, so the referrers
    list adds up a row per year instead of counting every referral. A merge moves sources between patients
    without changing their referrer or day: it leaves these counts right."""

    referring_provider_id = pw.IntegerField()
    year = pw.IntegerField()
    new_patients = pw.IntegerField(default=0)

    class Meta:
        table_name = "marketing_referrer_year"
        indexes = ((("referring_provider_id", "year"), True),)


class Visit(BaseModel):
    """A visit: from billing's posted encounters (``encounter_id``) or entered by hand."""

    patient = pw.ForeignKeyField(Patient, index=True)
    visit_on = pw.DateField()
    visit_type = pw.CharField(max_length=60, default="")
    source = pw.CharField(max_length=10, default="manual")
    encounter_id = pw.BigIntegerField(null=True, unique=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_visit"
        indexes = ((("patient", "visit_on"), False),)


class LastVisit(BaseModel):
    """Kept: a patient's last visit of a type ("" for a visit of any type), refreshed by every writer of
    visits (``recall.keep_last_visit``) so a recall list reads a row per patient instead of grouping every
    visit. A patient merge can leave the survivor two rows of a type: the latest (then the highest id) counts.
    ``counted``: the row is one a due list counts (its patient's latest of the type, of an active unmerged
    patient), kept with it (``lastvisits``) so a list is counted from an index range alone."""

    patient = pw.ForeignKeyField(Patient, index=False)  # the first column of the first index
    visit_type = pw.CharField(max_length=60)
    last_visit_on = pw.DateField()
    counted = pw.BooleanField(default=False)

    class Meta:
        table_name = "marketing_last_visit"
        indexes = ((("patient", "visit_type", "last_visit_on"), False), (("visit_type", "last_visit_on"), False),
                   (("visit_type", "counted", "last_visit_on"), False))


class SourceDay(SourceFigures):
    """Kept: the new patients of a day, channel and campaign (0 for none) with their charges and
    collections in their first 12 months, refreshed by every writer of sources and revenue lines
    (``sourcedays``) so the return figures add up a row per day instead of following every new patient's
    revenue."""

    new_on = pw.DateField()

    class Meta:
        table_name = "marketing_source_day"
        indexes = ((("new_on", "channel", "campaign_id"), True), (("campaign_id", "new_on"), False))


class RevenueLine(BaseModel):
    """A charge or a collection for a patient, copied from one billing event (``position`` is unique)."""

    position = pw.BigIntegerField(unique=True)
    patient = pw.ForeignKeyField(Patient, index=True)
    kind = pw.CharField(max_length=10)
    amount_cents = pw.BigIntegerField()
    effective_date = pw.DateField()

    class Meta:
        table_name = "marketing_revenue"
        indexes = ((("patient", "kind", "effective_date"), False),)


class RecallRule(BaseModel):
    """A recall (due ``interval_months`` after the last visit of a type) or reactivation (no visit in
    ``interval_months``) rule."""

    name = pw.CharField(max_length=120)
    kind = pw.CharField(max_length=15, default="recall")
    visit_type = pw.CharField(max_length=60, default="")
    interval_months = pw.IntegerField()
    message_label = pw.CharField(max_length=120, default="")
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "marketing_recall_rule"


class RecallList(BaseModel):
    """The patients one rule found on a day, kept so outcomes and conversion can be counted.

    Kept with it: its entries counted by contact and outcome, those who came back (a visit since the
    list) and those converted (booked or came back), refreshed by every change to an entry and every
    visit (``recall``) so a page reads one row instead of following every patient on the list."""

    rule = pw.ForeignKeyField(RecallRule, backref="lists", on_delete="CASCADE")
    as_of = pw.DateField()
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)
    patients = pw.IntegerField(default=0)
    contacted = pw.IntegerField(default=0)
    refused = pw.IntegerField(default=0)
    booked = pw.IntegerField(default=0)
    declined = pw.IntegerField(default=0)
    unreachable = pw.IntegerField(default=0)
    moved = pw.IntegerField(default=0)
    came_back = pw.IntegerField(default=0)
    converted = pw.IntegerField(default=0)

    class Meta:
        table_name = "marketing_recall_list"


class RecallEntry(BaseModel):
    """One patient on a recall list, with what was sent and what came of it."""

    recall_list = pw.ForeignKeyField(RecallList, backref="entries", on_delete="CASCADE")
    patient = pw.ForeignKeyField(Patient, index=True)
    last_visit_on = pw.DateField(null=True)
    due_on = pw.DateField()
    contact = pw.CharField(max_length=20, default="")
    contact_note = pw.CharField(max_length=300, default="")
    message_id = pw.BigIntegerField(null=True)
    outcome = pw.CharField(max_length=15, default="")
    outcome_on = pw.DateField(null=True)
    came_back = pw.BooleanField(default=False)  # kept: a visit on or after the list's day

    class Meta:
        table_name = "marketing_recall_entry"
        indexes = ((("recall_list", "patient"), True),)


class KioskDevice(BaseModel):
    """A browser in the office enrolled by an admin to show the survey (its cookie's hash only)."""

    name = pw.CharField(max_length=80)
    token_sha256 = pw.CharField(max_length=64, unique=True)
    enrolled_by = pw.CharField(max_length=150, default="")
    enrolled_at = UTCDateTimeField(default=utcnow)
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "marketing_kiosk"


class KioskHandoff(BaseModel):
    """A survey the desk handed to a kiosk for a patient: the kiosk shows no patient data, the answer
    is filed under the patient."""

    device = pw.ForeignKeyField(KioskDevice, on_delete="CASCADE")
    patient = pw.ForeignKeyField(Patient)
    visit_on = pw.DateField()
    created_at = UTCDateTimeField(default=utcnow)
    used_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "marketing_kiosk_handoff"


class SurveyResponse(BaseModel):
    """A post-visit survey: NPS 0-10, four 1-5 satisfaction questions and a comment."""

    patient = pw.ForeignKeyField(Patient, null=True, index=True)
    source = pw.CharField(max_length=10)
    visit_on = pw.DateField(null=True)
    answered_on = pw.DateField(index=False)  # the first column of an index with the score
    nps = pw.IntegerField()
    wait_time = pw.IntegerField(null=True)
    staff = pw.IntegerField(null=True)
    provider = pw.IntegerField(null=True)
    facility = pw.IntegerField(null=True)
    comment = pw.TextField(default="")
    external_id = pw.CharField(max_length=80, null=True, unique=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_survey"
        # With the score: the NPS by month is counted from the index alone.
        indexes = ((("answered_on", "nps"), False),)


class Complaint(BaseModel):
    """A complaint or grievance with its acknowledgment and resolution clocks."""

    patient = pw.ForeignKeyField(Patient, null=True, index=True)
    received_on = pw.DateField(index=True)
    channel = pw.CharField(max_length=15)
    category = pw.CharField(max_length=15, index=True)
    summary = pw.TextField()
    provider = pw.ForeignKeyField(StaffMember, null=True, on_delete="SET NULL")
    acknowledge_by = pw.DateField()
    resolve_by = pw.DateField()
    acknowledged_on = pw.DateField(null=True)
    resolved_on = pw.DateField(null=True)
    root_cause = pw.TextField(default="")
    resolution_letter = pw.TextField(default="")
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_complaint"


class RecoveryItem(BaseModel):
    """Service recovery: an unhappy patient (detractor or complaint) as work with an owner and a deadline."""

    patient = pw.ForeignKeyField(Patient, null=True, index=True)
    survey = pw.ForeignKeyField(SurveyResponse, null=True, unique=True, on_delete="SET NULL")
    complaint = pw.ForeignKeyField(Complaint, null=True, unique=True, on_delete="SET NULL")
    reason = pw.CharField(max_length=200)
    owner_user_id = pw.IntegerField(null=True)
    owner_role = pw.CharField(max_length=60, default="")
    opened_on = pw.DateField(index=True)
    due_on = pw.DateField()
    state = pw.CharField(max_length=10, default="open", index=False)  # the first column of two indexes
    outcome = pw.CharField(max_length=20, default="")
    outcome_note = pw.TextField(default="")
    closed_on = pw.DateField(null=True)

    class Meta:
        table_name = "marketing_recovery"
        # The list walks a state's items by due date; the dashboard's days to close read the index alone.
        indexes = ((("state", "due_on"), False), (("state", "closed_on", "opened_on"), False))


class ContactAttempt(BaseModel):
    """One try at reaching the patient of a recovery item."""

    item = pw.ForeignKeyField(RecoveryItem, backref="attempts", on_delete="CASCADE")
    attempted_at = UTCDateTimeField(default=utcnow)
    channel = pw.CharField(max_length=15)
    reached = pw.BooleanField(default=False)
    note = pw.TextField(default="")
    by = pw.CharField(max_length=150, default="")

    class Meta:
        table_name = "marketing_contact_attempt"


class Review(BaseModel):
    """An online review logged by hand, and the practice's reply (guarded, approved before posting)."""

    site = pw.CharField(max_length=60)
    rating = pw.IntegerField()
    reviewed_on = pw.DateField(index=True)
    reviewer = pw.CharField(max_length=120, default="")
    text = pw.TextField(default="")
    reply = pw.TextField(default="")
    reply_state = pw.CharField(max_length=10, default="none")
    approved_by = pw.CharField(max_length=150, default="")
    approved_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_review"


class Material(BaseModel):
    """A piece in the library (handout, ad, web copy, letter); its text lives in a core document."""

    document_id = pw.IntegerField(unique=True)
    kind = pw.CharField(max_length=15)
    clinical = pw.BooleanField(default=False)
    review_on = pw.DateField(null=True)
    approved_version = pw.IntegerField(null=True)
    approved_by = pw.CharField(max_length=150, default="")
    approved_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "marketing_material"


class Authorization(BaseModel):
    """A HIPAA 164.508 authorization to use a patient's testimonial or photo (signed form as a file)."""

    patient = pw.ForeignKeyField(Patient, index=True)
    use = pw.CharField(max_length=15)
    scope = pw.TextField()
    signed_on = pw.DateField()
    expires_on = pw.DateField()
    revoked_on = pw.DateField(null=True)
    revoke_note = pw.CharField(max_length=200, default="")
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_authorization"


class Testimonial(BaseModel):
    """A patient's testimonial or photo, usable only while an authorization covering it holds."""

    patient = pw.ForeignKeyField(Patient, index=True)
    use = pw.CharField(max_length=15)
    text = pw.TextField(default="")
    authorization = pw.ForeignKeyField(Authorization, null=True, on_delete="SET NULL")
    usable = pw.BooleanField(default=False)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "marketing_testimonial"


MARKETING_MODELS = (ReferringProvider, Campaign, SpendEntry, PatientSource, SourceDay, SourceMonth, ReferrerYear, Visit,
                    LastVisit, RevenueLine, RecallRule, RecallList, RecallEntry, KioskDevice, KioskHandoff,
                    SurveyResponse, Complaint, RecoveryItem, ContactAttempt, Review, Material, Authorization,
                    Testimonial)

# The tables marketing's figures (the patient-experience dashboard, returns by channel) are computed from:
# they are kept per process until one of these changes (medoffice.data_versions).
MARKETING_FIGURES = DataVersion("marketing.figures", [SurveyResponse, Complaint, RecoveryItem, SpendEntry, Campaign,
                                                      SourceDay, SourceMonth])
# The referring providers with the new patients they sent, and the online reviews logged: their lists are kept per
# process until one of these changes.
REFERRERS = DataVersion("marketing.referrers", [ReferringProvider, ReferrerYear])
REVIEWS = DataVersion("marketing.reviews", [Review])
# What a recovery item's page shows beside the item, a material's page beside core's documents, and a recall list's
# page: each is kept per process until one of these changes.
ATTEMPTS = DataVersion("marketing.attempts", [ContactAttempt])
MATERIALS = DataVersion("marketing.materials", [Material])
RECALL = DataVersion("marketing.recall", [RecallRule, RecallList, RecallEntry])
# Who a recall rule finds due: the kept last visits (the morning job rewrites them in bulk: the triggers add about
# 15% to it on SQLite, nothing per row on PostgreSQL).
LAST_VISITS = DataVersion("marketing.last_visits", [LastVisit])

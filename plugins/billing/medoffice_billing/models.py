"""Billing tables, all prefixed ``billing_``.

Patients, staff, locations and users belong to core and are referenced by integer id columns
(``patient_id``, ``rendering_provider_id``...), never by foreign keys into core tables.
Money is integer cents; dates are dates; timestamps are aware UTC.
"""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow


# --- Reference data ------------------------------------------------------------------------

class Payer(BaseModel):
    """An insurance payer: where claims go, how they are filed and how long the practice has."""

    name = pw.CharField(max_length=120, unique=True)
    payer_id = pw.CharField(max_length=20, default="", index=True)  # the clearinghouse payer id
    address1 = pw.CharField(max_length=120, default="")
    address2 = pw.CharField(max_length=120, default="")
    city = pw.CharField(max_length=80, default="")
    state = pw.CharField(max_length=2, default="")
    zip = pw.CharField(max_length=10, default="")
    phone = pw.CharField(max_length=20, default="")
    filing_indicator = pw.CharField(max_length=2, default="CI")  # SBR09 claim filing indicator
    timely_filing_days = pw.IntegerField(default=365)
    electronic = pw.BooleanField(default=True)  # takes 837P claims at all (False: paper only)
    secondary_electronic = pw.BooleanField(default=True)  # takes secondary claims electronically
    active = pw.BooleanField(default=True)
    notes = pw.TextField(default="")
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_payer"


class Fee(BaseModel):
    """One fee-schedule entry: the practice's charge for a CPT/HCPCS code (with a modifier or not)."""

    code = pw.CharField(max_length=5)
    modifier = pw.CharField(max_length=2, default="")
    description = pw.CharField(max_length=120, default="")  # the practice's own words, never AMA text
    charge_cents = pw.IntegerField()
    active = pw.BooleanField(default=True)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_fee"
        indexes = ((("code", "modifier"), True),)


class ExpectedAmount(BaseModel):
    """What one payer is expected to allow for a fee-schedule entry (flags underpayments)."""

    fee = pw.ForeignKeyField(Fee, backref="expected", on_delete="CASCADE")
    payer = pw.ForeignKeyField(Payer, backref="expected_amounts", on_delete="CASCADE")
    allowed_cents = pw.IntegerField()

    class Meta:
        table_name = "billing_fee_expected"
        indexes = ((("fee", "payer"), True),)


class CodeEntry(BaseModel):
    """A code from a list the practice imported: ``kind`` cpt (diagnoses come from the ICD-10-CM code set)."""

    kind = pw.CharField(max_length=10)
    code = pw.CharField(max_length=8)
    description = pw.CharField(max_length=255, default="")
    imported_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_code"
        indexes = ((("kind", "code"), True),)


# --- Patients' insurance and accounts --------------------------------------------------------

class Coverage(BaseModel):
    """One insurance policy of a patient, ranked 1 (primary), 2 (secondary) or 3 (tertiary).

    ``relationship`` is the patient's relationship to the subscriber (X12: 18 self, 01 spouse,
    19 child, 20 employee, G8 other); the subscriber fields matter when it is not 18.
    ``msp_type`` is the Medicare Secondary Payer type (X12 insurance type code, SBR05) of a
    Medicare policy that is not primary: why another payer pays first.
    """

    patient_id = pw.IntegerField(index=True)
    payer = pw.ForeignKeyField(Payer, backref="coverages", on_delete="RESTRICT")
    rank = pw.SmallIntegerField(default=1)
    member_id = pw.CharField(max_length=40)
    group_number = pw.CharField(max_length=40, default="")
    plan_name = pw.CharField(max_length=80, default="")
    relationship = pw.CharField(max_length=2, default="18")
    subscriber_first_name = pw.CharField(max_length=60, default="")
    subscriber_last_name = pw.CharField(max_length=60, default="")
    subscriber_date_of_birth = pw.DateField(null=True)
    subscriber_sex = pw.CharField(max_length=1, default="U")
    subscriber_address1 = pw.CharField(max_length=120, default="")
    subscriber_address2 = pw.CharField(max_length=120, default="")
    subscriber_city = pw.CharField(max_length=80, default="")
    subscriber_state = pw.CharField(max_length=2, default="")
    subscriber_zip = pw.CharField(max_length=10, default="")
    effective_date = pw.DateField()
    end_date = pw.DateField(null=True)
    copay_cents = pw.IntegerField(default=0)
    msp_type = pw.CharField(max_length=2, default="")
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_coverage"
        indexes = ((("patient_id", "rank"), False),)

    @property
    def rank_label(self) -> str:
        """Primary, Secondary or Tertiary."""
        return {1: "Primary", 2: "Secondary", 3: "Tertiary"}.get(self.rank, f"Rank {self.rank}")

    def covers(self, day) -> bool:
        """True when the policy is in force on ``day``."""
        return self.effective_date <= day and (self.end_date is None or day <= self.end_date)


class PatientAccount(BaseModel):
    """A patient's billing account: who guarantees the balance (``relationship`` 18 = the patient)."""

    patient_id = pw.IntegerField(unique=True)
    guarantor_relationship = pw.CharField(max_length=2, default="18")
    guarantor_first_name = pw.CharField(max_length=60, default="")
    guarantor_last_name = pw.CharField(max_length=60, default="")
    guarantor_address1 = pw.CharField(max_length=120, default="")
    guarantor_address2 = pw.CharField(max_length=120, default="")
    guarantor_city = pw.CharField(max_length=80, default="")
    guarantor_state = pw.CharField(max_length=2, default="")
    guarantor_zip = pw.CharField(max_length=10, default="")
    guarantor_phone = pw.CharField(max_length=20, default="")
    guarantor_email = pw.CharField(max_length=120, default="")
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_patient_account"


# --- Charge capture ----------------------------------------------------------------------------

class Encounter(BaseModel):
    """One visit's charges. ``status``: open (not on the ledger yet) or posted (charges posted)."""

    patient_id = pw.IntegerField()
    service_date = pw.DateField()
    place_of_service = pw.CharField(max_length=2, default="11")
    location_id = pw.IntegerField(null=True)
    rendering_provider_id = pw.IntegerField(null=True)
    referring_provider_id = pw.IntegerField(null=True)
    prior_authorization = pw.CharField(max_length=50, default="")
    status = pw.CharField(max_length=10, default="open")
    notes = pw.TextField(default="")
    created_by_user_id = pw.IntegerField(null=True)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_encounter"
        indexes = (
            (("patient_id", "service_date"), False),
            (("status", "service_date"), False),
            (("service_date",), False),
        )


class Diagnosis(BaseModel):
    """One of an encounter's up to 12 ICD-10-CM diagnoses; ``position`` is what pointers name."""

    encounter = pw.ForeignKeyField(Encounter, backref="diagnoses", on_delete="CASCADE")
    position = pw.SmallIntegerField()
    code = pw.CharField(max_length=8)  # upper case, without the dot

    class Meta:
        table_name = "billing_diagnosis"
        indexes = ((("encounter", "position"), True),)


class ServiceLine(BaseModel):
    """One billed service of an encounter.

    ``control_number`` is the line control number sent as REF*6R and echoed by 835s.
    A line removed after its charge reached the ledger is kept with ``active`` False.
    """

    encounter = pw.ForeignKeyField(Encounter, backref="lines", on_delete="CASCADE")
    patient_id = pw.IntegerField(index=True)
    line_number = pw.SmallIntegerField()
    service_date = pw.DateField(index=True)
    code = pw.CharField(max_length=5)
    modifier1 = pw.CharField(max_length=2, default="")
    modifier2 = pw.CharField(max_length=2, default="")
    modifier3 = pw.CharField(max_length=2, default="")
    modifier4 = pw.CharField(max_length=2, default="")
    units = pw.IntegerField(default=1)
    charge_cents = pw.IntegerField()
    pointer1 = pw.SmallIntegerField(default=1)
    pointer2 = pw.SmallIntegerField(null=True)
    pointer3 = pw.SmallIntegerField(null=True)
    pointer4 = pw.SmallIntegerField(null=True)
    control_number = pw.CharField(max_length=30, unique=True)
    active = pw.BooleanField(default=True)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_service_line"
        indexes = ((("encounter", "line_number"), False),)

    @property
    def modifiers(self) -> list[str]:
        """The modifiers that are set, in order."""
        return [m for m in (self.modifier1, self.modifier2, self.modifier3, self.modifier4) if m]

    @property
    def pointers(self) -> list[int]:
        """The diagnosis pointers that are set, in order."""
        return [p for p in (self.pointer1, self.pointer2, self.pointer3, self.pointer4) if p is not None]


# --- Claims ----------------------------------------------------------------------------------

CLAIM_STATES = ("draft", "ready", "submitted", "accepted", "rejected", "paid", "partially_paid",
                "denied", "appealed", "closed")
OPEN_STATES = ("draft", "ready")  # still being prepared: lines follow the encounter
SENT_STATES = ("submitted", "accepted", "paid", "partially_paid", "denied", "appealed")


class Claim(BaseModel):
    """A claim billing an encounter's lines to one payer.

    ``claim_number`` is the patient control number (CLM01), echoed as CLP01 by 835s.
    Frequency 7 (replacement) and 8 (void) claims point at ``original_claim`` and carry the
    payer's claim number (``payer_claim_number``, CLP07 of the original's 835).
    """

    claim_number = pw.CharField(max_length=20, unique=True)
    encounter = pw.ForeignKeyField(Encounter, backref="claims", on_delete="RESTRICT")
    patient_id = pw.IntegerField(index=True)
    coverage = pw.ForeignKeyField(Coverage, backref="claims", on_delete="RESTRICT")
    payer = pw.ForeignKeyField(Payer, backref="claims", on_delete="RESTRICT")
    responsibility = pw.CharField(max_length=1, default="P")  # SBR01: P, S or T
    service_date = pw.DateField()
    total_charge_cents = pw.IntegerField(default=0)
    status = pw.CharField(max_length=16, default="draft")
    frequency_code = pw.CharField(max_length=1, default="1")
    original_claim = pw.ForeignKeyField("self", null=True, backref="replacements", on_delete="RESTRICT")
    payer_claim_number = pw.CharField(max_length=50, default="")
    on_hold = pw.BooleanField(default=False)
    hold_reason = pw.CharField(max_length=200, default="")
    assigned_user_id = pw.IntegerField(null=True, index=True)
    scrub_errors = pw.IntegerField(null=True)  # errors found by the last scrub; None: never scrubbed
    scrubbed_at = UTCDateTimeField(null=True)
    submitted_at = UTCDateTimeField(null=True)
    status_changed_at = UTCDateTimeField(default=utcnow)
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_claim"
        indexes = (
            # Lists by state in date order; the payer and charge make the worklists' totals by payer
            # index-only (an index led by (status, payer) instead took over the lists' date order).
            (("status", "service_date", "payer", "total_charge_cents"), False),
            (("payer", "status"), False),
            # Covers the follow-up worklist and the Today counts (claims sent and not answered).
            (("status", "submitted_at", "payer", "total_charge_cents", "service_date", "on_hold", "scrub_errors"),
             False),
        )


class ClaimLine(BaseModel):
    """A service line as billed on one claim (code, modifiers, units, charge and diagnosis pointers as sent).

    The pointers name positions in the claim's own ``ClaimDiagnosis`` rows, so a claim shows what
    it billed even after the encounter changes.
    """

    claim = pw.ForeignKeyField(Claim, backref="lines", on_delete="CASCADE")
    service_line = pw.ForeignKeyField(ServiceLine, backref="claim_lines", on_delete="RESTRICT")
    line_number = pw.SmallIntegerField()
    code = pw.CharField(max_length=5)
    modifiers = pw.CharField(max_length=11, default="")  # colon-separated, as in SV101
    units = pw.IntegerField(default=1)
    charge_cents = pw.IntegerField()
    diagnosis_pointers = pw.CharField(max_length=11, default="")  # colon-separated, as in SV107

    class Meta:
        table_name = "billing_claim_line"
        indexes = ((("claim", "line_number"), True),)

    @property
    def pointers(self) -> list[int]:
        """The diagnosis pointers as billed, in order."""
        return [int(p) for p in self.diagnosis_pointers.split(":") if p]


class ClaimDiagnosis(BaseModel):
    """One diagnosis as billed on a claim, in the order sent (HI); ``position`` is what pointers name."""

    claim = pw.ForeignKeyField(Claim, backref="diagnoses", on_delete="CASCADE")
    position = pw.SmallIntegerField()
    code = pw.CharField(max_length=8)  # upper case, without the dot

    class Meta:
        table_name = "billing_claim_diagnosis"
        indexes = ((("claim", "position"), True),)


class ClaimEvent(BaseModel):
    """One entry of a claim's history: who did what, when, and why."""

    claim = pw.ForeignKeyField(Claim, backref="events", on_delete="CASCADE")
    at = UTCDateTimeField(default=utcnow)
    user_id = pw.IntegerField(null=True)
    username = pw.CharField(max_length=60, default="")
    action = pw.CharField(max_length=20)
    from_status = pw.CharField(max_length=16, default="")
    to_status = pw.CharField(max_length=16, default="")
    reason = pw.TextField(default="")

    class Meta:
        table_name = "billing_claim_event"
        indexes = ((("claim", "at"), False),)


# --- The ledger ----------------------------------------------------------------------------

TRANSACTION_KINDS = ("charge", "payment", "adjustment", "transfer", "patient_payment", "writeoff", "refund")
PARTIES = ("insurance", "patient")


class LineTransaction(BaseModel):
    """One ledger entry, usually against a service line.

    ``amount_cents`` is the signed effect on what ``party`` owes: charges and refunds are
    positive; payments, adjustments and write-offs negative; a transfer of patient
    responsibility is a pair (insurance negative, patient positive). A balance is a SUM.
    Entries are never edited: a mistake is undone by an entry that ``reverses`` it.
    """

    kind = pw.CharField(max_length=16)
    party = pw.CharField(max_length=10, default="insurance")
    patient_id = pw.IntegerField()
    service_line = pw.ForeignKeyField(ServiceLine, null=True, backref="transactions", on_delete="RESTRICT")
    claim = pw.ForeignKeyField(Claim, null=True, backref="transactions", on_delete="RESTRICT")
    payer = pw.ForeignKeyField(Payer, null=True, backref="transactions", on_delete="RESTRICT")
    amount_cents = pw.IntegerField()
    group_code = pw.CharField(max_length=2, default="")  # CAS group: CO, PR, OA, PI, CR
    carc = pw.CharField(max_length=5, default="")
    remark_codes = pw.CharField(max_length=60, default="")
    method = pw.CharField(max_length=10, default="")  # cash, check, card, eft
    source = pw.CharField(max_length=12, default="manual")  # charge_entry, era, desk, manual
    reference = pw.CharField(max_length=60, default="")  # check or EFT trace number, receipt, file
    effective_date = pw.DateField()  # service date for charges, payment or deposit date for money
    posted_at = UTCDateTimeField(default=utcnow, index=True)
    posted_by_user_id = pw.IntegerField(null=True)
    reverses = pw.ForeignKeyField("self", null=True, backref="reversals", on_delete="RESTRICT")
    memo = pw.CharField(max_length=200, default="")

    class Meta:
        table_name = "billing_line_transaction"
        indexes = (
            (("patient_id", "party", "effective_date"), False),
            (("kind", "effective_date"), False),
        )


BILLING_MODELS = [
    Payer, Fee, ExpectedAmount, CodeEntry, Coverage, PatientAccount, Encounter, Diagnosis,
    ServiceLine, Claim, ClaimLine, ClaimDiagnosis, ClaimEvent, LineTransaction,
]


# --- Claims out (837P files, CMS-1500 forms) and payments in (835 remittances) ----------------

class ClaimBatch(BaseModel):
    """Claims that went out together: one 837P file (``kind`` 837p) or one stack of CMS-1500 forms.

    The file itself is kept (``content``) so a batch can be downloaded again. An 837P batch's
    ``control_number`` is its ISA13, GS06 and ST02 (from a core counter, never reused).
    """

    kind = pw.CharField(max_length=8)
    payer = pw.ForeignKeyField(Payer, null=True, backref="batches", on_delete="RESTRICT")  # None: all payers
    control_number = pw.BigIntegerField(null=True, unique=True)
    usage_indicator = pw.CharField(max_length=1, default="")  # ISA15: T test, P production
    file_name = pw.CharField(max_length=120)
    sha256 = pw.CharField(max_length=64)
    claim_count = pw.IntegerField()
    total_charge_cents = pw.IntegerField()
    content = pw.BlobField()
    created_by_user_id = pw.IntegerField(null=True)
    created_by = pw.CharField(max_length=60, default="")
    created_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "billing_claim_batch"


class ClaimBatchItem(BaseModel):
    """A claim that went out in a batch (a claim sent again after a rejection is in two)."""

    batch = pw.ForeignKeyField(ClaimBatch, backref="items", on_delete="CASCADE")
    claim = pw.ForeignKeyField(Claim, backref="batch_items", on_delete="RESTRICT")

    class Meta:
        table_name = "billing_claim_batch_item"
        indexes = ((("batch", "claim"), True),)


class Remittance(BaseModel):
    """One imported 835 payment (an ST..SE transaction): where it came from, and what it held.

    A file is never posted twice: its SHA-256 (with the transaction's position in it) and the
    payer's trace number (TRN02, the check or EFT number) are both unique.
    """

    file_sha256 = pw.CharField(max_length=64)
    position = pw.SmallIntegerField(default=1)
    file_name = pw.CharField(max_length=200, default="")
    payer = pw.ForeignKeyField(Payer, backref="remittances", on_delete="RESTRICT")
    payer_name = pw.CharField(max_length=120, default="")  # as the file names the payer
    trace_number = pw.CharField(max_length=50)
    handling_code = pw.CharField(max_length=2, default="")  # BPR01
    payment_method = pw.CharField(max_length=3, default="")  # BPR04
    payment_date = pw.DateField(null=True)
    total_paid_cents = pw.IntegerField()  # BPR02
    claim_count = pw.IntegerField(default=0)
    matched_count = pw.IntegerField(default=0)
    unmatched_count = pw.IntegerField(default=0)
    paid_cents = pw.IntegerField(default=0)
    adjustment_cents = pw.IntegerField(default=0)
    patient_cents = pw.IntegerField(default=0)
    plb_cents = pw.IntegerField(default=0)
    imported_by_user_id = pw.IntegerField(null=True)
    imported_by = pw.CharField(max_length=60, default="")
    imported_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "billing_remittance"
        indexes = (
            (("file_sha256", "position"), True),
            (("payer", "trace_number"), True),
        )


REMITTANCES = DataVersion("billing.remittances", [Remittance, Payer])  # the remittances list
REMIT_QUEUES = ("", "exception", "denial")


class RemitClaim(BaseModel):
    """One claim payment (CLP) of an imported 835 and what became of it.

    ``claim`` None means it matched no claim: it waits in the exceptions queue (``queue``
    exception) with the payer's data kept as JSON in ``raw``. Denied claims wait in the denial
    queue. ``resolved`` closes the queue entry, with ``resolution`` saying how.
    """

    remittance = pw.ForeignKeyField(Remittance, backref="claims", on_delete="CASCADE")
    position = pw.IntegerField()
    claim = pw.ForeignKeyField(Claim, null=True, backref="remittances", on_delete="RESTRICT")
    matched_by = pw.CharField(max_length=20, default="")  # claim_number, payer_claim_number, member, manual
    patient_control_number = pw.CharField(max_length=50)  # CLP01
    payer_claim_number = pw.CharField(max_length=50, default="")  # CLP07
    status_code = pw.CharField(max_length=2)  # CLP02
    outcome = pw.CharField(max_length=16, default="")  # paid, partially_paid, denied, reversed, unmatched, held
    patient_name = pw.CharField(max_length=120, default="")  # as the payer wrote it
    member_id = pw.CharField(max_length=80, default="")
    service_date = pw.DateField(null=True)
    charge_cents = pw.IntegerField()
    paid_cents = pw.IntegerField(default=0)
    adjustment_cents = pw.IntegerField(default=0)  # CO, PI and OA posted
    patient_cents = pw.IntegerField(default=0)  # PR moved to the patient
    next_payer_cents = pw.IntegerField(default=0)  # PR moved on to the next payer
    reason_codes = pw.CharField(max_length=200, default="")  # "CO-45 PR-1"
    remark_codes = pw.CharField(max_length=200, default="")
    raw = pw.TextField()
    problem = pw.TextField(default="")
    queue = pw.CharField(max_length=10, default="")
    resolved = pw.BooleanField(default=False)
    resolution = pw.TextField(default="")
    resolved_by = pw.CharField(max_length=60, default="")
    resolved_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "billing_remit_claim"
        indexes = (
            (("remittance", "position"), True),
            (("queue", "resolved"), False),
        )


class ProviderAdjustment(BaseModel):
    """A provider-level adjustment (835 PLB): not tied to a patient; positive amounts reduced the payment."""

    remittance = pw.ForeignKeyField(Remittance, backref="provider_adjustments", on_delete="CASCADE")
    payer = pw.ForeignKeyField(Payer, backref="provider_adjustments", on_delete="RESTRICT")
    provider_identifier = pw.CharField(max_length=50, default="")
    fiscal_period_end = pw.DateField(null=True)
    reason_code = pw.CharField(max_length=2)
    reference = pw.CharField(max_length=50, default="")
    amount_cents = pw.IntegerField()
    effective_date = pw.DateField()
    posted_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_provider_adjustment"
        indexes = ((("payer", "effective_date"), False),)


BILLING_MODELS.extend([ClaimBatch, ClaimBatchItem, Remittance, RemitClaim, ProviderAdjustment])
# The batches sent (the Send claims page's history), kept until a batch or a payer changes.
BATCHES = DataVersion("billing.batches", [ClaimBatch, Payer])


# --- The patient side: desk payments, statements, payment plans, collections, aging snapshots --

class PaymentPlan(BaseModel):
    """An agreement that a patient pays a balance in installments (``status`` active, completed, cancelled).

    ``missed_flagged_on`` is the due date of the last installment the follow-up job found missed.
    """

    patient_id = pw.IntegerField(index=True)
    status = pw.CharField(max_length=10, default="active")
    total_cents = pw.IntegerField()
    installment_cents = pw.IntegerField()
    frequency = pw.CharField(max_length=10, default="monthly")  # weekly, biweekly, monthly
    start_date = pw.DateField()
    note = pw.CharField(max_length=200, default="")
    created_by = pw.CharField(max_length=60, default="")
    created_at = UTCDateTimeField(default=utcnow)
    ended_at = UTCDateTimeField(null=True)
    end_reason = pw.CharField(max_length=200, default="")
    missed_flagged_on = pw.DateField(null=True)

    class Meta:
        table_name = "billing_payment_plan"
        indexes = ((("status", "patient_id"), False),)


class PlanInstallment(BaseModel):
    """One installment of a payment plan: what is due, and when."""

    plan = pw.ForeignKeyField(PaymentPlan, backref="installments", on_delete="CASCADE")
    number = pw.SmallIntegerField()
    due_date = pw.DateField()
    amount_cents = pw.IntegerField()

    class Meta:
        table_name = "billing_plan_installment"
        indexes = ((("plan", "number"), True),)


class PatientPayment(BaseModel):
    """Money taken from a patient at the desk (``kind`` payment), or paid back (``kind`` refund).

    The receipt. The money itself is on the ledger: ``LineTransaction`` rows (kind
    patient_payment or refund, source desk) whose ``reference`` is ``receipt_number``.
    ``amount_cents`` is positive; ``applied_cents`` went to charges, the rest is credit on the
    account. A voided receipt had its ledger entries reversed. ``plan`` is the payment plan the
    payment counts toward.
    """

    receipt_number = pw.CharField(max_length=20, unique=True)
    kind = pw.CharField(max_length=8, default="payment")
    patient_id = pw.IntegerField(index=True)
    amount_cents = pw.IntegerField()
    applied_cents = pw.IntegerField(default=0)
    method = pw.CharField(max_length=10)  # cash, check, card
    reference = pw.CharField(max_length=60, default="")  # check number, card authorization or last four
    received_on = pw.DateField()
    location_id = pw.IntegerField(null=True)  # the office whose desk took it (None: before offices were kept)
    memo = pw.CharField(max_length=200, default="")
    plan = pw.ForeignKeyField(PaymentPlan, null=True, backref="payments", on_delete="RESTRICT")
    user_id = pw.IntegerField(null=True)
    username = pw.CharField(max_length=60, default="")
    posted_at = UTCDateTimeField(default=utcnow)
    voided_at = UTCDateTimeField(null=True)
    voided_by = pw.CharField(max_length=60, default="")
    void_reason = pw.CharField(max_length=200, default="")

    class Meta:
        table_name = "billing_patient_payment"
        indexes = ((("received_on", "method"), False),)


class StatementRun(BaseModel):
    """One statement run (a batch, or one patient's statement printed from the ledger) and its counts.

    ``trigger``: web, cli, job or patient. Patients held back are counted by reason; none of
    them gets a ``Statement`` row.
    """

    run_date = pw.DateField()
    trigger = pw.CharField(max_length=10, default="web")
    user_id = pw.IntegerField(null=True)
    username = pw.CharField(max_length=60, default="")
    started_at = UTCDateTimeField(default=utcnow, index=True)
    finished_at = UTCDateTimeField(null=True)
    considered = pw.IntegerField(default=0)  # patients owing at least the minimum balance
    statements = pw.IntegerField(default=0)
    total_cents = pw.IntegerField(default=0)
    below_minimum = pw.IntegerField(default=0)
    not_due = pw.IntegerField(default=0)  # statemented within the cycle
    held_insurance = pw.IntegerField(default=0)
    held_plan = pw.IntegerField(default=0)
    held_manual = pw.IntegerField(default=0)
    held_collections = pw.IntegerField(default=0)
    output = pw.CharField(max_length=500, default="")  # the folder the PDFs were written to

    class Meta:
        table_name = "billing_statement_run"


STATEMENT_RUNS = DataVersion("billing.statement_runs", [StatementRun])  # the statements page's runs


class Statement(BaseModel):
    """One patient's statement: the amount due, its aging bucket and dunning stage, and what it showed.

    ``content`` is the statement as printed (JSON), so a reprint shows the same document.
    """

    run = pw.ForeignKeyField(StatementRun, backref="items", on_delete="CASCADE")
    patient_id = pw.IntegerField()
    statement_date = pw.DateField()
    amount_cents = pw.IntegerField()
    bucket = pw.CharField(max_length=8)
    dunning_stage = pw.CharField(max_length=60, default="")
    content = pw.TextField()
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_statement"
        indexes = ((("patient_id", "statement_date"), False),)


STATEMENTS = DataVersion("billing.statements", [StatementRun, Statement])  # a run's page: the run and its statements


class StatementHold(BaseModel):
    """A manual hold: no statements for the patient (until ``until``, when set)."""

    patient_id = pw.IntegerField(unique=True)
    reason = pw.CharField(max_length=200)
    until = pw.DateField(null=True)
    created_by = pw.CharField(max_length=60, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_statement_hold"


class DunningStage(BaseModel):
    """A dunning stage: from ``days`` past due the account is at this stage (the last one: pre-collections)."""

    days = pw.IntegerField(unique=True)
    name = pw.CharField(max_length=60)

    class Meta:
        table_name = "billing_dunning_stage"


class CollectionPlacement(BaseModel):
    """A patient's account placed with an outside collection agency (``status`` placed or recalled)."""

    patient_id = pw.IntegerField(index=True)
    agency = pw.CharField(max_length=120)
    status = pw.CharField(max_length=10, default="placed")
    balance_cents = pw.IntegerField()  # what the patient owed when placed
    placed_on = pw.DateField()
    placed_by = pw.CharField(max_length=60, default="")
    placed_at = UTCDateTimeField(default=utcnow)
    note = pw.CharField(max_length=200, default="")
    exported_at = UTCDateTimeField(null=True)
    recalled_at = UTCDateTimeField(null=True)
    recalled_by = pw.CharField(max_length=60, default="")
    recall_reason = pw.CharField(max_length=200, default="")

    class Meta:
        table_name = "billing_collection_placement"
        # The first covers the collections lists (count and page read the index alone).
        indexes = ((("status", "placed_on", "patient_id", "balance_cents", "agency", "exported_at", "recalled_at",
                     "recall_reason"), False),
                   (("status", "patient_id", "balance_cents"), False))


class PatientAging(BaseModel):
    """Each patient's balances and patient-responsibility aging, as of ``as_of`` (refreshed nightly
    and after every desk action on the account); the collection lists read it.

    ``b0``..``b4`` are the buckets 0-30, 31-60, 61-90, 91-120 and over 120 days, aged from the
    day the amount became the patient's; ``oldest_on`` is that day for the oldest open amount.
    """

    patient_id = pw.IntegerField(unique=True)
    as_of = pw.DateField()
    patient_cents = pw.IntegerField(default=0)
    insurance_cents = pw.IntegerField(default=0)
    credit_cents = pw.IntegerField(default=0)
    b0 = pw.IntegerField(default=0)
    b1 = pw.IntegerField(default=0)
    b2 = pw.IntegerField(default=0)
    b3 = pw.IntegerField(default=0)
    b4 = pw.IntegerField(default=0)
    oldest_on = pw.DateField(null=True)
    refreshed_at = UTCDateTimeField(default=utcnow)
    # With an agency or on an active payment plan (kept current by placements and plans): such an
    # account is no pre-collections candidate, and the list reads this instead of two lookups per account.
    placed_or_planned = pw.BooleanField(default=False)

    class Meta:
        table_name = "billing_patient_aging"
        # Cover the collection lists' filter and count (owed since, at least the minimum): past due,
        # and pre-collections (neither placed nor on a plan).
        indexes = ((("oldest_on", "patient_cents", "patient_id"), False),
                   (("placed_or_planned", "oldest_on", "patient_cents", "patient_id"), False))


class AgingSnapshot(BaseModel):
    """The nightly AR aging totals: one row per payer (``party`` insurance) and one for patients."""

    snapshot_date = pw.DateField()
    party = pw.CharField(max_length=10)
    payer_id = pw.IntegerField(null=True)
    b0 = pw.IntegerField(default=0)
    b1 = pw.IntegerField(default=0)
    b2 = pw.IntegerField(default=0)
    b3 = pw.IntegerField(default=0)
    b4 = pw.IntegerField(default=0)
    total_cents = pw.IntegerField(default=0)

    class Meta:
        table_name = "billing_aging_snapshot"
        indexes = ((("snapshot_date", "party"), False),)


BILLING_MODELS.extend([PaymentPlan, PlanInstallment, PatientPayment, StatementRun, Statement, StatementHold,
                       DunningStage, CollectionPlacement, PatientAging, AgingSnapshot])
# What a payment plan's standing is worked out from: counts of missed plans are kept per process until a plan,
# an installment or a patient payment changes (medoffice.data_versions).
PLANS = DataVersion("billing.plans", [PaymentPlan, PlanInstallment, PatientPayment])
# What the claims list shows of a claim and its payer: its pages are kept per process until a claim or a payer
# changes (a claim row costs SQLite half a microsecond more to write, PostgreSQL nothing per row).
CLAIMS = DataVersion("billing.claims", [Claim, Payer])
# The encounters list (a visit and the charges of its active lines), kept until an encounter or a line changes.
ENCOUNTERS = DataVersion("billing.encounters", [Encounter, ServiceLine])
LEDGER = DataVersion("billing.ledger", [LineTransaction, ServiceLine, Encounter])  # a patient ledger's lines
# The desk's receipts: the day's list and its totals are kept until a payment is taken, voided or refunded.
PAYMENTS = DataVersion("billing.payments", [PatientPayment])


class ProviderFavorite(BaseModel):
    """An ICD-10-CM code (without the dot) a provider uses often: charge entry offers it first on the
    encounters they render."""

    staff_id = pw.IntegerField()
    code = pw.CharField(max_length=8)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_provider_favorite"
        indexes = ((("staff_id", "code"), True),)


BILLING_MODELS.append(ProviderFavorite)


class SavedFilter(BaseModel):
    """A list view a user saved by name: which list (``page``) and its query string (filters, sort, search)."""

    user_id = pw.IntegerField()
    page = pw.CharField(max_length=40)
    name = pw.CharField(max_length=60)
    query = pw.CharField(max_length=500, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_saved_filter"
        indexes = ((("user_id", "page", "name"), True),)


BILLING_MODELS.append(SavedFilter)
# Each user's saved views of the lists, and the payers the lists name and filter by: read on every list page,
# kept until they change.
SAVED_FILTERS = DataVersion("billing.saved_filters", [SavedFilter])
PAYERS = DataVersion("billing.payers", [Payer])
FEES = DataVersion("billing.fees", [Fee])  # the fee schedule's list


class AccountNote(BaseModel):
    """A note on a patient's billing account; an ``alert`` is shown wherever staff take the patient's
    payments. A removed note is kept (``removed_at``) for the record."""

    patient_id = pw.IntegerField(index=True)
    text = pw.CharField(max_length=500)
    alert = pw.BooleanField(default=False)
    created_by = pw.CharField(max_length=60, default="")
    created_at = UTCDateTimeField(default=utcnow)
    removed_at = UTCDateTimeField(null=True)
    removed_by = pw.CharField(max_length=60, default="")

    class Meta:
        table_name = "billing_account_note"


BILLING_MODELS.append(AccountNote)
ACCOUNT_NOTES = DataVersion("billing.account_notes", [AccountNote])  # the notes a patient's ledger shows


# --- The clearinghouse connection, acknowledgments, eligibility and Good Faith Estimates ------------

class Clearinghouse(BaseModel):
    """The practice's SFTP connection to its clearinghouse (one row).

    ``secret_sealed`` is the password or private key, sealed under a key derived from the instance's
    ``backup_key`` (``clearinghouse_secrets``). ``host_key`` is the server's public key the manager
    confirmed (OpenSSH form); ``host_key_seen`` a key the server offered that nobody confirmed yet.
    ``after_fetch``: leave, move (to ``archive_dir``) or delete the remote copy of a fetched file.
    """

    host = pw.CharField(max_length=255, default="")
    port = pw.IntegerField(default=22)
    username = pw.CharField(max_length=100, default="")
    auth_kind = pw.CharField(max_length=8, default="password")  # password, key
    secret_sealed = pw.TextField(default="")
    host_key = pw.TextField(default="")
    host_key_seen = pw.TextField(default="")
    outbound_dir = pw.CharField(max_length=255, default="outbound")
    inbound_dir = pw.CharField(max_length=255, default="inbound")
    inbound_pattern = pw.CharField(max_length=60, default="*")
    name_pattern = pw.CharField(max_length=120, default="{kind}-{control}-{date}.x12")
    after_fetch = pw.CharField(max_length=8, default="leave")
    archive_dir = pw.CharField(max_length=255, default="archive")
    enabled = pw.BooleanField(default=False)
    updated_by = pw.CharField(max_length=60, default="")
    updated_at = UTCDateTimeField(default=utcnow)
    last_sync_at = UTCDateTimeField(null=True)
    last_error = pw.TextField(default="")
    last_error_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "billing_clearinghouse"


class ClearinghouseFile(BaseModel):
    """A file sent to (``direction`` out) or fetched from (in) the clearinghouse, and what became of it.

    ``status``: queued and sent (out); imported, duplicate or refused (in). A fetched file is imported
    once: its name and its SHA-256 are remembered.
    """

    direction = pw.CharField(max_length=3)
    name = pw.CharField(max_length=200)
    sha256 = pw.CharField(max_length=64, default="")
    kind = pw.CharField(max_length=8, default="")  # 837P, 270, 999, 277CA, 835, 271
    status = pw.CharField(max_length=10)
    message = pw.TextField(default="")
    batch_id = pw.IntegerField(null=True)  # the claim batch (837P) or eligibility batch (270) sent
    at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "billing_clearinghouse_file"
        indexes = ((("direction", "name"), False), (("direction", "sha256"), False), (("status",), False))


class Acknowledgment(BaseModel):
    """One imported acknowledgment transaction: a 999 (about a batch we sent) or a 277CA (about claims).

    ``status`` is the 999's AK901 (A, E, P, R...); ``reasons`` the errors in plain words, one a line.
    """

    file_sha256 = pw.CharField(max_length=64)
    position = pw.SmallIntegerField(default=1)
    kind = pw.CharField(max_length=6)
    file_name = pw.CharField(max_length=200, default="")
    batch = pw.ForeignKeyField(ClaimBatch, null=True, backref="acknowledgments", on_delete="RESTRICT")
    reference = pw.CharField(max_length=50, default="")
    status = pw.CharField(max_length=2, default="")
    payer_name = pw.CharField(max_length=120, default="")
    accepted = pw.IntegerField(default=0)
    rejected = pw.IntegerField(default=0)
    claims_updated = pw.IntegerField(default=0)
    reasons = pw.TextField(default="")
    imported_by = pw.CharField(max_length=60, default="")
    imported_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "billing_acknowledgment"
        indexes = ((("file_sha256", "position"), True),)


class ClaimAcknowledgment(BaseModel):
    """What an acknowledgment said about one claim (``claim`` None: a claim number we never sent)."""

    acknowledgment = pw.ForeignKeyField(Acknowledgment, backref="claims", on_delete="CASCADE")
    claim = pw.ForeignKeyField(Claim, null=True, backref="acknowledgments", on_delete="RESTRICT")
    claim_number = pw.CharField(max_length=50)
    outcome = pw.CharField(max_length=10)  # accepted, rejected, pending, unmatched (a claim number not ours)
    statuses = pw.CharField(max_length=60, default="")  # "A7:21:QC A7:164:IL"
    payer_claim_number = pw.CharField(max_length=50, default="")
    reason = pw.TextField(default="")

    class Meta:
        table_name = "billing_claim_ack"
        indexes = ((("claim",), False),)


class EligibilityBatch(BaseModel):
    """A 270 file we wrote: its control number (ISA13, GS06, ST02) and the file itself."""

    control_number = pw.BigIntegerField(unique=True)
    file_name = pw.CharField(max_length=120)
    sha256 = pw.CharField(max_length=64)
    inquiries = pw.IntegerField()
    content = pw.BlobField()
    created_by = pw.CharField(max_length=60, default="")
    created_at = UTCDateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "billing_eligibility_batch"


class EligibilityCheck(BaseModel):
    """One eligibility question about a policy (a 270 inquiry) and the payer's answer (271).

    ``active`` None: not answered, or the payer could not say (``rejections`` tells why).
    ``benefits`` is the 271's EB segments as JSON (``x12.eligibility.Benefit.as_dict``).
    """

    coverage = pw.ForeignKeyField(Coverage, backref="eligibility_checks", on_delete="CASCADE")
    patient_id = pw.IntegerField(index=True)
    batch = pw.ForeignKeyField(EligibilityBatch, null=True, backref="checks", on_delete="CASCADE")
    trace_number = pw.CharField(max_length=50, unique=True)
    service_date = pw.DateField()
    requested_at = UTCDateTimeField(default=utcnow)
    answered_at = UTCDateTimeField(null=True)
    answer_sha256 = pw.CharField(max_length=64, default="")
    active = pw.BooleanField(null=True)
    plan_name = pw.CharField(max_length=80, default="")
    plan_begin = pw.DateField(null=True)
    plan_end = pw.DateField(null=True)
    benefits = pw.TextField(default="[]")
    rejections = pw.TextField(default="")

    class Meta:
        table_name = "billing_eligibility"
        indexes = ((("coverage", "answered_at"), False),)


class GoodFaithEstimate(BaseModel):
    """A No Surprises Act Good Faith Estimate for an uninsured or self-pay patient.

    ``due_by`` is when it must reach the patient (from ``scheduled_on`` and ``service_date``, or the
    request; None when the service is too close for one to be required). A delivered estimate is not
    edited. ``dispute_flagged_on`` is set when the billed charges of its provider exceed the estimate by
    $400 or more: the patient may use the dispute process, and statements and collections hold until
    the manager closes the flag (``dispute_closed_on``, ``dispute_note``).
    """

    number = pw.CharField(max_length=12, unique=True)
    patient_id = pw.IntegerField(index=True)
    provider_id = pw.IntegerField(null=True)
    location_id = pw.IntegerField(null=True)
    service_date = pw.DateField(null=True)
    scheduled_on = pw.DateField()
    requested = pw.BooleanField(default=False)
    due_by = pw.DateField(null=True)
    diagnosis_codes = pw.CharField(max_length=120, default="")
    notes = pw.TextField(default="")
    total_cents = pw.IntegerField(default=0)
    status = pw.CharField(max_length=10, default="draft")  # draft, delivered, void
    delivered_at = UTCDateTimeField(null=True)
    delivered_how = pw.CharField(max_length=10, default="")  # paper, email, portal
    delivered_by = pw.CharField(max_length=60, default="")
    billed_cents = pw.IntegerField(null=True)
    dispute_flagged_on = pw.DateField(null=True)
    dispute_closed_on = pw.DateField(null=True)
    dispute_note = pw.CharField(max_length=200, default="")
    created_by = pw.CharField(max_length=60, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_gfe"
        indexes = ((("status", "due_by"), False),)


class GoodFaithEstimateItem(BaseModel):
    """One item or service of an estimate, priced from the fee schedule."""

    estimate = pw.ForeignKeyField(GoodFaithEstimate, backref="items", on_delete="CASCADE")
    position = pw.SmallIntegerField()
    code = pw.CharField(max_length=5)
    description = pw.CharField(max_length=120, default="")
    units = pw.IntegerField(default=1)
    unit_cents = pw.IntegerField()

    class Meta:
        table_name = "billing_gfe_item"
        indexes = ((("estimate", "position"), True),)


BILLING_MODELS.extend([Clearinghouse, ClearinghouseFile, Acknowledgment, ClaimAcknowledgment, EligibilityBatch,
                       EligibilityCheck, GoodFaithEstimate, GoodFaithEstimateItem])
# What the Today queue counts besides claims and plans: the 835 queues, the clearinghouse's sync state and the Good
# Faith Estimates due, kept until one of them changes.
QUEUES = DataVersion("billing.queues", [RemitClaim, Clearinghouse, GoodFaithEstimate])
ESTIMATES = DataVersion("billing.estimates", [GoodFaithEstimate])  # the Good Faith Estimates list
# The clearinghouse page: the connection, the files exchanged and the acknowledgments imported.
CLEARINGHOUSE = DataVersion("billing.clearinghouse", [Clearinghouse, ClearinghouseFile, Acknowledgment])
# The Collections page and Today's pre-collections count: stored aging, holds, estimate disputes, dunning stages,
# plans and placements (and the day of the last aging snapshot), kept until one of them changes.
COLLECTIONS = DataVersion("billing.collections", [PatientAging, AgingSnapshot, StatementHold, GoodFaithEstimate,
                                                  DunningStage, PaymentPlan, CollectionPlacement])


# --- Days the books closed (from finance's durable events) ---------------------------------------

class ClosedDay(BaseModel):
    """A day finance closed (its desk payments counted and deposited) for one office, or for the whole
    practice (``location_id`` 0): no payment is taken there dated that day and none of that day's is voided,
    until finance reopens it. Kept from ``finance.day_closed`` and ``finance.day_reopened`` events; billing
    never reads finance's tables."""

    day = pw.DateField()
    location_id = pw.IntegerField(default=0)
    closed_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "billing_closed_day"
        indexes = ((("day", "location_id"), True),)


BILLING_MODELS.append(ClosedDay)


class UnderpaidLine(BaseModel):
    """A claim line its payer allowed less for than the fee schedule expects (``underpayments``), kept by
    posting and by fee schedule edits so the Underpayments page reads these few rows, not the ledger."""

    claim = pw.ForeignKeyField(Claim, on_delete="CASCADE")
    service_line_id = pw.IntegerField()
    payer_id = pw.IntegerField()
    line_number = pw.SmallIntegerField()
    code = pw.CharField(max_length=5, index=True)
    modifiers = pw.CharField(max_length=11, default="")
    units = pw.IntegerField()
    expected_cents = pw.IntegerField()
    allowed_cents = pw.IntegerField()
    paid_cents = pw.IntegerField()
    difference_cents = pw.IntegerField()
    answered_on = pw.DateField(index=True)

    class Meta:
        table_name = "billing_underpaid_line"
        # The page's default order (largest shortfall first) walks the first, checking the day in the index, instead
        # of sorting a year of lines; its totals per payer read the second alone, in payer order.
        indexes = ((("claim", "service_line_id"), True), (("difference_cents", "answered_on"), False),
                   (("payer_id", "answered_on", "difference_cents"), False))


BILLING_MODELS.append(UnderpaidLine)
# The Underpayments page (its lines, their claims and payers, the totals per payer), kept until one changes.
UNDERPAYMENTS = DataVersion("billing.underpayments", [UnderpaidLine, Claim, Payer])


class DenialLine(BaseModel):
    """A row of the denial worklist (``denials``): a denied line of a claim on it, or the whole claim when it has
    none, with when it was denied and its reason. Kept by whatever moves a claim's state, posts an 835 or works
    the denial queue, so the Denials page reads a page of these by age instead of joining every denied claim's
    835 entries on each request."""

    claim = pw.ForeignKeyField(Claim, on_delete="CASCADE")
    entry_id = pw.IntegerField(null=True)  # the ledger entry of the denied line; none for a whole claim
    carc = pw.CharField(max_length=5, default="", index=True)
    denied_at = UTCDateTimeField(index=True)
    # The claim's date of service, on one row of each claim (its first; NULL on the others), so the Worklists'
    # Denied tab pages its claims by date walking this index, not looking up and sorting every claim on the list.
    service_date = pw.DateField(null=True, index=True)

    class Meta:
        table_name = "billing_denial_line"


BILLING_MODELS.append(DenialLine)
# The Denials page (the kept rows, their claims, lines, ledger entries and payers), kept until one changes.
DENIALS = DataVersion("billing.denials", [DenialLine, Claim, ClaimLine, LineTransaction, Payer])

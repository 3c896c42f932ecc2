"""The HIPAA program: the policy library (core documents of kind ``compliance.policy``, each
acknowledged by its audience and reviewed yearly through a deadline), HIPAA training (compliance's
own completion log; who is overdue), the security risk assessment after the HHS SRA tool (a risk
register of likelihood x impact with remediation tasks as deadlines, compared with the previous
one) and the register of business associates with their BAAs and review dates."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice import audit, deadlines, documents, files, prepared, settings
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.db import transaction
from medoffice.documents.models import Document, DocumentVersion
from medoffice.documents.status import STATUSES, status_counts_of_kind
from medoffice.models import StaffMember
from medoffice.prepared import slot
from peewee import JOIN, fn

from . import rules
from .models import TRAINING_VERSION, BusinessAssociate, RiskAssessment, RiskItem, TrainingCompletion

OWNER = "compliance"
POLICY_KIND = "compliance.policy"
POLICY_REVIEW_KIND = "compliance.policy_review"
REMEDIATION_KIND = "compliance.remediation"
BAA_REVIEW_KIND = "compliance.baa_review"
BAA_FILE_KIND = "compliance.baa"
TRAINING_VALID_DAYS = 365
DEFAULT_POLICIES = ("Privacy", "Security", "Breach notification", "Sanctions", "Minimum necessary",
                    "Patients' rights", "Contingency plan")


class ProgramError(ValueError):
    """Input refused, with the field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


# --- policies -------------------------------------------------------------------------------------

def sync_policy_reviews() -> int:
    """Put each published policy's yearly review on the deadlines: a year after its version in
    force took effect (a new version moves it on). Returns how many policies were checked."""
    count = 0
    for document in documents.published(POLICY_KIND):
        version = documents.current_of(document)
        if version is None or version.effective_on is None:
            continue
        deadlines.upsert(OWNER, f"policy-review:{document.id}", title=f"Yearly review of the policy {document.title}",
                         due=rules.add_years(version.effective_on, 1), kind=POLICY_REVIEW_KIND,
                         concerns=("core_document", document.id, "core.document", {"document_id": document.id}),
                         assignee_role="office_manager")
        count += 1
    return count


@dataclass
class PolicyRow:
    """A policy in the library with its version in force and its acknowledgment counts."""

    document_id: int
    title: str
    version: int | None
    effective_on: dt.date | None
    review_due: dt.date | None
    counts: dict[str, int]


_IN_FORCE = (Document.select(Document.id, Document.title, DocumentVersion.number, DocumentVersion.effective_on)
             .join(DocumentVersion, JOIN.LEFT_OUTER, on=((DocumentVersion.document == Document.id)
                                                         & (DocumentVersion.state == "published")))
             .where((Document.kind == slot("kind")) & (Document.state == "published"))
             .order_by(Document.title, Document.id))


def policy_library(today: dt.date) -> list[PolicyRow]:
    """The published policies by title with their version in force and who has acknowledged them: two queries
    (the policies as the driver's rows, the counts of them all), each compiled once."""
    counted = status_counts_of_kind(POLICY_KIND, today)
    rows = []
    for document_id, title, number, effective in prepared.rows(_IN_FORCE, "compliance.policies_in_force",
                                                               kind=POLICY_KIND):
        if isinstance(effective, str):  # SQLite gives a date as its text
            effective = dt.date.fromisoformat(effective)
        rows.append(PolicyRow(document_id, title, number, effective,
                              rules.add_years(effective, 1) if effective else None,
                              counted.get(document_id) or dict.fromkeys(STATUSES, 0)))  # none: published since
    return rows


# --- training -------------------------------------------------------------------------------------

def record_training(staff_id: int, course: str, completed_on: dt.date, *, by: str) -> TrainingCompletion:
    """Log a completed HIPAA training."""
    if not course.strip():
        raise ProgramError("Name the course.", "course")
    if completed_on > settings.today():
        raise ProgramError("Training cannot be completed in the future.", "completed_on")
    if StaffMember.get_or_none(StaffMember.id == staff_id) is None:
        raise ProgramError("Choose a staff member.", "staff_id")
    with transaction():
        row = TrainingCompletion.create(staff=staff_id, course=course.strip()[:120], completed_on=completed_on,
                                        recorded_by=by)
        audit.record("compliance.training.create", "compliance_training", row.id,
                     detail={"staff_id": staff_id, "completed_on": completed_on.isoformat()})
    return row


def _training_elsewhere(since: dt.date) -> dict[int, dt.date]:
    """The latest completion per staff member that other modules report (HR's training records,
    through the hook ``compliance_training_completions``), since ``since``."""
    from medoffice.app import medoffice_runtime

    latest: dict[int, dt.date] = {}
    for staff_id, _course, completed_on in medoffice_runtime().host.call("compliance_training_completions",
                                                                         since=since):
        if staff_id not in latest or completed_on > latest[staff_id]:
            latest[staff_id] = completed_on
    return latest


_LATEST_TRAINING = (StaffMember.select(StaffMember.id, StaffMember.first_name, StaffMember.last_name,
                                        StaffMember.credentials,
                                        TrainingCompletion.select(fn.MAX(TrainingCompletion.completed_on))
                                        .where(TrainingCompletion.staff == StaffMember.id))
                    .where(StaffMember.active == True)  # noqa: E712
                    .order_by(StaffMember.last_name, StaffMember.first_name).tuples())


def training_versions() -> tuple[str, ...] | None:
    """The data versions who trained when is kept under: compliance's log, the staff list and those each
    module answering ``compliance_training_completions`` names through ``compliance_training_versions``
    (HR's ``hr.training``); None, to read it on every view, when one answers without naming them. Worked
    out once per plugin state (which decides who answers)."""
    from medoffice.app import medoffice_runtime

    runtime = medoffice_runtime()

    def build() -> tuple[str, ...] | None:
        host = runtime.host
        answering = {impl.plugin for impl in host.caller("compliance_training_completions").get_hookimpls()}
        naming = {impl.plugin for impl in host.caller("compliance_training_versions").get_hookimpls()}
        if not answering <= naming:
            return None
        return (TRAINING_VERSION.key, STAFF_KEY, *sorted(set(host.call("compliance_training_versions"))))

    return runtime.derived(("compliance", "training versions"), build)


def training_status(today: dt.date) -> list[dict]:
    """Every active staff member by name (with their credentials) with their latest HIPAA training
    (compliance's log, and other modules' records through a hook) and whether they are overdue (none
    in the last year): kept per process until the log, the staff or the other modules' records change
    (``training_versions``; the rows are shared: read them, do not change them), else one query (in name
    order, each person's latest training looked up by index), compiled once and read raw, and the hook."""
    versions = training_versions()
    if versions is None:
        return _training_status(today)
    return kept(versions, ("training_status", today), lambda: _training_status(today))


def _training_status(today: dt.date) -> list[dict]:
    elsewhere = _training_elsewhere(today - dt.timedelta(days=TRAINING_VALID_DAYS))
    valid = dt.timedelta(days=TRAINING_VALID_DAYS)
    result = []
    for staff_id, first_name, last_name, credentials, done in prepared.run(_LATEST_TRAINING,
                                                                          "compliance.training_status").cursor:
        if isinstance(done, str):  # SQLite gives a date as its text
            done = dt.date.fromisoformat(done)
        other = elsewhere.get(staff_id)
        if other is not None and (done is None or other > done):
            done = other
        due = done + valid if done else None
        result.append({"staff_id": staff_id, "name": f"{last_name}, {first_name}", "credentials": credentials,
                       "latest": done, "due": due, "overdue": due is None or due < today})
    return result


# --- security risk assessment ---------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    """A question of the assessment; a "no" or "partly" answer is a threat to rate."""

    key: str
    section: str
    text: str
    threat: str


SECTIONS = ("Administrative safeguards", "Physical safeguards", "Technical safeguards", "Vendors",
            "Contingency planning")
QUESTIONS = (
    Question("adm_risk_analysis", SECTIONS[0], "Is a risk analysis done at least yearly and after major changes?",
             "Unknown risks stay unmanaged"),
    Question("adm_officer", SECTIONS[0], "Are a privacy officer and a security officer named?",
             "No one answers for safeguards"),
    Question("adm_training", SECTIONS[0], "Does every workforce member get security awareness training yearly?",
             "Phishing and mishandling of PHI"),
    Question("adm_sanctions", SECTIONS[0], "Is there a sanctions policy applied to violations?",
             "Violations repeat without consequence"),
    Question("adm_access_review", SECTIONS[0], "Are user accounts reviewed and removed when people leave?",
             "Former staff keep access"),
    Question("phy_facility", SECTIONS[1], "Are areas holding PHI locked and visitors escorted?",
             "Theft or viewing of paper and devices"),
    Question("phy_workstations", SECTIONS[1], "Are screens positioned and locked when unattended?",
             "Casual viewing of PHI"),
    Question("phy_disposal", SECTIONS[1], "Are paper and media holding PHI destroyed securely?",
             "PHI recovered from trash or old drives"),
    Question("tec_unique_ids", SECTIONS[2], "Does every user have a unique login with a strong password or MFA?",
             "Shared or stolen credentials"),
    Question("tec_encryption", SECTIONS[2], "Are laptops, phones and backups encrypted?",
             "Loss of an unencrypted device is a breach"),
    Question("tec_audit", SECTIONS[2], "Are audit logs kept and reviewed?", "Snooping goes unnoticed"),
    Question("tec_patching", SECTIONS[2], "Are systems patched and protected against malware?", "Ransomware"),
    Question("ven_baas", SECTIONS[3], "Does every vendor touching PHI have a signed BAA?",
             "Disclosures to vendors without assurances"),
    Question("ven_review", SECTIONS[3], "Are vendors' safeguards reviewed?", "A vendor's breach exposes patients"),
    Question("con_backup", SECTIONS[4], "Are backups made, kept off site and restored in a test?",
             "Data lost in a disaster or ransomware attack"),
    Question("con_plan", SECTIONS[4], "Is there a written emergency-mode and disaster-recovery plan?",
             "The office cannot work through an outage"),
)
QUESTION_BY_KEY = {q.key: q for q in QUESTIONS}
ANSWERS = (("yes", "Yes"), ("partly", "Partly"), ("no", "No"), ("na", "Not applicable"))
LEVELS = ((1, "Low"), (2, "Medium"), (3, "High"))


def risk_score(likelihood: int, impact: int) -> int:
    """The risk of a threat: likelihood x impact (1 to 9; 0 when unrated)."""
    return likelihood * impact


def risk_level(score: int) -> str:
    """The register's band: high (6-9), medium (3-4), low (1-2), none."""
    return "high" if score >= 6 else "medium" if score >= 3 else "low" if score >= 1 else "none"


def start_assessment(title: str, started_on: dt.date, *, by: str) -> RiskAssessment:
    """Start an assessment with every question of the questionnaire unanswered."""
    if not title.strip():
        raise ProgramError("Name the assessment (\"SRA 2026\").", "title")
    with transaction():
        assessment = RiskAssessment.create(title=title.strip()[:120], started_on=started_on, created_by=by)
        RiskItem.insert_many([{"assessment": assessment.id, "question_key": q.key} for q in QUESTIONS]).execute()
        audit.record("compliance.risk_assessment.create", "compliance_risk_assessment", assessment.id)
    return assessment


def answer(item: RiskItem, *, answer_value: str, likelihood: int, impact: int, note: str, remediation: str,
           owner_user_id: int | None, due_on: dt.date | None) -> RiskItem:
    """Answer a question; a gap (no or partly) is rated, and a remediation with an owner and a due
    date becomes a deadline assigned to that owner."""
    if answer_value not in dict(ANSWERS):
        raise ProgramError("Choose an answer.", "answer")
    gap = answer_value in ("no", "partly")
    if gap and (likelihood not in (1, 2, 3) or impact not in (1, 2, 3)):
        raise ProgramError("Rate the threat's likelihood and impact.", "likelihood")
    if remediation.strip() and (owner_user_id is None or due_on is None):
        raise ProgramError("A remediation task needs an owner and a due date.", "owner")
    if item.assessment.completed_on is not None:
        raise ProgramError("This assessment is completed; start a new one.")
    with transaction():
        item.answer = answer_value
        item.likelihood, item.impact = (likelihood, impact) if gap else (0, 0)
        item.note = note.strip()
        item.remediation = remediation.strip()[:300] if gap else ""
        item.owner_user_id = owner_user_id if item.remediation else None
        item.remediation_due_on = due_on if item.remediation else None
        item.save()
        audit.record("compliance.risk_item.update", "compliance_risk_item", item.id,
                     detail={"question": item.question_key, "answer": answer_value,
                             "score": risk_score(item.likelihood, item.impact)})
        key = f"remediation:{item.id}"
        if item.remediation:
            deadlines.upsert(OWNER, key, title=f"Remediate: {item.remediation}"[:200], due=item.remediation_due_on,
                             kind=REMEDIATION_KIND, assignee_user=item.owner_user_id,
                             concerns=("compliance_risk_item", item.id, "compliance.assessment",
                                       {"assessment_id": item.assessment_id}))
        elif deadlines.find(OWNER, key) is not None:
            deadlines.supersede(OWNER, key, reason="No remediation needed any more")
    return item


def remediate(item: RiskItem, done_on: dt.date, note: str) -> None:
    """Mark a remediation task done (its deadline done with the note)."""
    if not item.remediation:
        raise ProgramError("This question has no remediation task.")
    if not note.strip():
        raise ProgramError("Say what was done.", "note")
    with transaction():
        item.remediated_on = done_on
        item.save()
        row = deadlines.find(OWNER, f"remediation:{item.id}")
        if row is not None and row.state == "open":
            deadlines.complete(row.id, note=note.strip())
        audit.record("compliance.risk_item.remediated", "compliance_risk_item", item.id,
                     detail={"done_on": done_on.isoformat()})


def complete_assessment(assessment: RiskAssessment, on: dt.date) -> None:
    """Close an assessment once every question is answered."""
    unanswered = RiskItem.select().where((RiskItem.assessment == assessment) & (RiskItem.answer == "")).count()
    if unanswered:
        raise ProgramError(f"{unanswered} question(s) still unanswered.")
    with transaction():
        assessment.completed_on = on
        assessment.save()
        audit.record("compliance.risk_assessment.complete", "compliance_risk_assessment", assessment.id)


def previous_assessment(assessment: RiskAssessment) -> RiskAssessment | None:
    """The assessment started before this one, for the side-by-side comparison."""
    return (RiskAssessment.select().where((RiskAssessment.started_on < assessment.started_on)
                                          | ((RiskAssessment.started_on == assessment.started_on)
                                             & (RiskAssessment.id < assessment.id)))
            .order_by(RiskAssessment.started_on.desc(), RiskAssessment.id.desc()).first())


def comparison(assessment: RiskAssessment) -> list[dict]:
    """Each question with this and the previous assessment's answer and score, in questionnaire order."""
    previous = previous_assessment(assessment)
    now = {i.question_key: i for i in assessment.items}
    before = {i.question_key: i for i in previous.items} if previous else {}
    rows = []
    for question in QUESTIONS:
        item, old = now.get(question.key), before.get(question.key)
        score = risk_score(item.likelihood, item.impact) if item else 0
        old_score = risk_score(old.likelihood, old.impact) if old else None
        rows.append({"question": question, "item": item, "score": score, "level": risk_level(score),
                     "previous_answer": old.answer if old else None, "previous_score": old_score,
                     "trend": None if old_score is None else ("better" if score < old_score else
                                                              "worse" if score > old_score else "same")})
    return rows


# --- business associates --------------------------------------------------------------------------

def save_business_associate(values: dict, *, by: str, associate: BusinessAssociate | None = None,
                            baa=None, filename: str = "") -> BusinessAssociate:
    """Create or update a business associate (with its signed BAA when given); its review date is
    a deadline until it is terminated and the return-or-destroy is confirmed."""
    if not (values.get("name") or "").strip():
        raise ProgramError("Give the vendor's name.", "name")
    if values.get("npi") and not rules.npi_is_valid(values["npi"]):
        raise ProgramError("That NPI fails its check digit.", "npi")
    if values.get("terminated_on") and values.get("signed_on") and values["terminated_on"] < values["signed_on"]:
        raise ProgramError("It cannot end before it was signed.", "terminated_on")
    if values.get("return_destroy_confirmed_on") and not values.get("terminated_on"):
        raise ProgramError("Return or destruction is confirmed once the agreement ends.", "return_destroy_confirmed_on")
    fields = ("name", "services", "contact", "npi", "signed_on", "review_on", "terminated_on",
              "return_destroy_confirmed_on")
    with transaction():
        created = associate is None
        associate = associate or BusinessAssociate(created_by=by)
        for field in fields:
            value = values.get(field)
            if field in ("name", "services", "contact", "npi"):
                value = (value or "").strip()
            setattr(associate, field, value)
        associate.save()
        if baa is not None:
            try:
                files.attach(OWNER, "business_associate", associate.id, BAA_FILE_KIND, baa, filename or "baa")
            except files.FileError as refused:
                raise ProgramError(str(refused), "baa") from None
        audit.record("compliance.business_associate.create" if created else "compliance.business_associate.update",
                     "compliance_business_associate", associate.id, detail={"name": associate.name})
        key = f"baa-review:{associate.id}"
        if associate.review_on and associate.terminated_on is None:
            deadlines.upsert(OWNER, key, title=f"Review the BAA with {associate.name}"[:200], due=associate.review_on,
                             kind=BAA_REVIEW_KIND, assignee_role="office_manager",
                             concerns=("compliance_business_associate", associate.id, "compliance.business_associates",
                                       {}))
        elif deadlines.find(OWNER, key) is not None:
            deadlines.supersede(OWNER, key, reason="Agreement ended or no review date")
    return associate

"""Patient experience: post-visit surveys (kiosk, staff entry, CSV import), service recovery for every
detractor and complaint (an owner and a deadline in core's deadlines), and the complaints log with its
acknowledgment and resolution clocks. Every change naming a patient is audited."""
from __future__ import annotations

import csv
import datetime as dt
import io

from dateutil.rrule import DAILY, FR, MO, TH, TU, WE, rrule
from medoffice import audit, deadlines, settings
from medoffice.db import transaction
from medoffice.models import Patient, User

from .models import Complaint, ContactAttempt, RecoveryItem, SurveyResponse

SOURCES = {"kiosk": "Kiosk", "paper": "Paper form", "phone": "Phone", "import": "Survey tool import"}
QUESTIONS = {"wait_time": "Wait time", "staff": "Front desk and staff", "provider": "Provider", "facility": "Facility"}
COMPLAINT_CHANNELS = {"phone": "Phone", "in_person": "In person", "letter": "Letter", "email": "E-mail",
                      "survey": "Survey comment", "review": "Online review"}
CATEGORIES = {"billing": "Billing", "wait_time": "Wait time", "staff": "Staff", "facility": "Facility",
              "clinical": "Clinical", "other": "Other"}
RECOVERY_OUTCOMES = {"resolved": "Resolved: the patient is satisfied", "partly": "Partly resolved",
                     "not_resolved": "Not resolved", "unreachable": "Could not reach the patient"}
CONTACT_CHANNELS = {"phone": "Phone", "text": "Text", "email": "E-mail", "in_person": "In person", "letter": "Letter"}
DETRACTOR_MAX = 6

RECOVERY_KIND = "marketing.recovery"
ACK_KIND = "marketing.complaint_ack"
RESOLVE_KIND = "marketing.complaint_resolution"
RECOVERY_DAYS = "marketing.recovery_business_days"
ACK_DAYS = "marketing.complaint_ack_days"
RESOLVE_DAYS = "marketing.complaint_resolution_days"

IMPORT_COLUMNS = ("response_id", "answered_on", "nps", "wait_time", "staff", "provider", "facility", "comment",
                  "account_number")
MAX_IMPORT_ROWS = 20_000


class ExperienceError(ValueError):
    """A value was refused; ``field`` names the form field."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def add_business_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    if days <= 0:
        return start
    return rrule(DAILY, dtstart=start + dt.timedelta(days=1), byweekday=(MO, TU, WE, TH, FR), count=days)[-1].date()


# --- surveys -------------------------------------------------------------------------------------

def _score(value, low: int, high: int, name: str, required: bool = False):
    if value in (None, ""):
        if required:
            raise ExperienceError(f"{name} is required.", name)
        return None
    text = str(value).strip()
    if not (text.isascii() and text.isdecimal()) or not low <= int(text) <= high:
        raise ExperienceError(f"{name} must be a whole number from {low} to {high}.", name)
    return int(text)


def clean_answers(values: dict) -> dict:
    """The survey's answers checked: NPS 0-10 required, the questions 1-5 or blank, a comment."""
    answers = {"nps": _score(values.get("nps"), 0, 10, "nps", required=True)}
    for name in QUESTIONS:
        answers[name] = _score(values.get(name), 1, 5, name)
    answers["comment"] = (values.get("comment") or "").strip()[:4000]
    return answers


def record_survey(answers: dict, *, source: str, patient_id: int | None, answered_on: dt.date,
                  visit_on: dt.date | None = None, by: str = "", external_id: str | None = None) -> SurveyResponse:
    """Keep one survey; a detractor (0-6) opens a service-recovery item in the same transaction."""
    if source not in SOURCES:
        raise ExperienceError("Unknown survey source.", "source")
    with transaction():
        response = SurveyResponse.create(patient=patient_id, source=source, visit_on=visit_on, answered_on=answered_on,
                                         external_id=external_id, created_by=by, **answers)
        audit.record("marketing.survey.create", "marketing_survey", response.id, patient_id=patient_id,
                     detail={"source": source, "nps": answers["nps"]})
        if answers["nps"] <= DETRACTOR_MAX:
            open_recovery(patient_id=patient_id, reason=f"Survey score {answers['nps']} of 10", opened_on=answered_on,
                          survey=response)
    return response


def parse_import(text: str) -> tuple[list[dict], list[str]]:
    """Read a survey tool's CSV export: (rows ready to keep, problems). Any problem refuses the file."""
    problems: list[str] = []
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("response_id", "answered_on", "nps") if c not in header]
    if missing:
        return [], [f"The file has no column {', '.join(missing)} (the first line must name the columns: "
                    f"{', '.join(IMPORT_COLUMNS)})."]
    unknown = [h for h in header if h not in IMPORT_COLUMNS]
    if unknown:
        return [], [f"Unknown column {', '.join(unknown)}: use {', '.join(IMPORT_COLUMNS)}."]
    reader.fieldnames = header
    accounts: set[str] = set()
    rows, seen = [], set()
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_IMPORT_ROWS:
            return [], [f"The file has more than {MAX_IMPORT_ROWS:,} rows: split it."]
        raw = {k: (v or "").strip() for k, v in raw.items() if k}
        try:
            rid = raw["response_id"]
            if not rid or len(rid) > 80:
                raise ExperienceError("response_id is empty or longer than 80 characters.")
            if rid in seen:
                raise ExperienceError(f"response_id {rid} appears twice.")
            seen.add(rid)
            try:
                answered = dt.date.fromisoformat(raw["answered_on"])
            except ValueError:
                raise ExperienceError("answered_on must be a date such as 2026-03-01.") from None
            if answered > settings.today():
                raise ExperienceError("answered_on is in the future.")
            row = {"external_id": rid, "answered_on": answered, "answers": clean_answers(raw),
                   "account_number": raw.get("account_number", "")}
        except ExperienceError as exc:
            problems.append(f"Line {number}: {exc}")
            continue
        if row["account_number"]:
            accounts.add(row["account_number"])
        rows.append(row)
    if not rows and not problems:
        problems.append("The file has no survey rows.")
    known = dict(Patient.select(Patient.account_number, Patient.id).where(Patient.account_number.in_(sorted(accounts)))
                 .tuples()) if accounts else {}
    for row in rows:
        if row["account_number"] and row["account_number"] not in known:
            problems.append(f"Response {row['external_id']}: no patient has account number {row['account_number']}.")
        row["patient_id"] = known.get(row["account_number"])
    return rows, problems


def import_surveys(text: str, by: str) -> tuple[int, int]:
    """Validate the whole file, then keep its new responses in one transaction (already imported
    responses are skipped, so importing the same file twice adds nothing). Returns (added, skipped).

    :raises ExperienceError: the file is refused; the message lists every problem, nothing is written.
    """
    rows, problems = parse_import(text)
    if problems:
        raise ExperienceError("The file was not imported: " + " ".join(problems[:20])
                              + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""))
    existing = set(SurveyResponse.select(SurveyResponse.external_id)
                   .where(SurveyResponse.external_id.in_([r["external_id"] for r in rows])).tuples())
    existing = {e[0] for e in existing}
    added = 0
    with transaction():
        for row in rows:
            if row["external_id"] in existing:
                continue
            record_survey(row["answers"], source="import", patient_id=row["patient_id"], answered_on=row["answered_on"],
                          by=by, external_id=row["external_id"])
            added += 1
        audit.record("marketing.survey.import", "marketing_survey", "", detail={"added": added,
                                                                              "skipped": len(rows) - added})
    return added, len(rows) - added


# --- service recovery ----------------------------------------------------------------------------

def _user_of_staff(staff_id: int | None) -> int | None:
    if not staff_id:
        return None
    user = User.get_or_none((User.staff_id == staff_id) & (User.active == True))  # noqa: E712
    return user.id if user else None


def schedule_recovery_deadline(item: RecoveryItem) -> None:
    """Put the item's call-back on core's deadlines, assigned to its owner (idempotent)."""
    who = {"assignee_user": item.owner_user_id} if item.owner_user_id else {"assignee_role": item.owner_role}
    deadlines.upsert("marketing", f"recovery:{item.id}", title=f"Service recovery #{item.id}", due=item.due_on,
                     kind=RECOVERY_KIND, concerns=("marketing_recovery", item.id, "marketing.recovery_item",
                                                   {"item_id": item.id}), **who)


def open_recovery(*, patient_id: int | None, reason: str, opened_on: dt.date, survey=None, complaint=None,
                  owner_user_id: int | None = None) -> RecoveryItem:
    """A service-recovery item, due the practice's business days later (two by default), with its deadline."""
    due = add_business_days(opened_on, int(settings.get(RECOVERY_DAYS, 2)))
    with transaction():
        item = RecoveryItem.create(patient=patient_id, survey=survey, complaint=complaint, reason=reason[:200],
                                   owner_user_id=owner_user_id, owner_role="" if owner_user_id else "office_manager",
                                   opened_on=opened_on, due_on=due)
        schedule_recovery_deadline(item)
        audit.record("marketing.recovery.open", "marketing_recovery", item.id, patient_id=patient_id,
                     detail={"due_on": due.isoformat()})
    return item


def assign_recovery(item: RecoveryItem, user_id: int | None) -> RecoveryItem:
    """Give the item to a user (or back to the office manager role); the deadline follows."""
    if user_id is not None and not User.select().where((User.id == user_id) & (User.active == True)).exists():  # noqa: E712
        raise ExperienceError("Choose an active user.", "owner")
    with transaction():
        RecoveryItem.update(owner_user_id=user_id, owner_role="" if user_id else "office_manager").where(
            RecoveryItem.id == item.id).execute()
        item = RecoveryItem.get_by_id(item.id)
        if item.state == "open":
            schedule_recovery_deadline(item)
        audit.record("marketing.recovery.assign", "marketing_recovery", item.id, patient_id=item.patient_id,
                     detail={"owner_user_id": user_id})
    return item


def add_attempt(item: RecoveryItem, channel: str, reached: bool, note: str, by: str) -> ContactAttempt:
    """Log a try at reaching the patient."""
    if channel not in CONTACT_CHANNELS:
        raise ExperienceError("Choose how you tried to reach them.", "channel")
    with transaction():
        attempt = ContactAttempt.create(item=item, channel=channel, reached=reached, note=note.strip()[:2000], by=by)
        audit.record("marketing.recovery.attempt", "marketing_recovery", item.id, patient_id=item.patient_id,
                     detail={"channel": channel, "reached": reached})
    return attempt


def close_recovery(item: RecoveryItem, outcome: str, note: str, on: dt.date, by: str) -> RecoveryItem:
    """Close the item with its outcome; its deadline is marked done with the note as evidence."""
    if item.state != "open":
        raise ExperienceError("This item is already closed.")
    if outcome not in RECOVERY_OUTCOMES:
        raise ExperienceError("Choose the outcome.", "outcome")
    if not note.strip():
        raise ExperienceError("Say what was done.", "note")
    if outcome != "unreachable" and not item.attempts.where(ContactAttempt.reached == True).exists():  # noqa: E712
        raise ExperienceError("Log the contact with the patient first (or close it as unreachable).", "outcome")
    with transaction():
        RecoveryItem.update(state="closed", outcome=outcome, outcome_note=note.strip(), closed_on=on).where(
            RecoveryItem.id == item.id).execute()
        deadline = deadlines.find("marketing", f"recovery:{item.id}")
        if deadline is not None and deadline.state == "open":
            deadlines.complete(deadline.id, note=f"Closed: {RECOVERY_OUTCOMES[outcome]}", by=by)
        audit.record("marketing.recovery.close", "marketing_recovery", item.id, patient_id=item.patient_id,
                     detail={"outcome": outcome})
    return RecoveryItem.get_by_id(item.id)


# --- complaints ----------------------------------------------------------------------------------

def _complaint_deadlines(complaint: Complaint, owner_user_id: int | None) -> None:
    who = {"assignee_user": owner_user_id} if owner_user_id else {"assignee_role": "office_manager"}
    concerns = ("marketing_complaint", complaint.id, "marketing.complaint", {"complaint_id": complaint.id})
    deadlines.upsert("marketing", f"complaint-ack:{complaint.id}", title=f"Acknowledge complaint #{complaint.id}",
                     due=complaint.acknowledge_by, kind=ACK_KIND, concerns=concerns, **who)
    deadlines.upsert("marketing", f"complaint-resolve:{complaint.id}", title=f"Resolve complaint #{complaint.id}",
                     due=complaint.resolve_by, kind=RESOLVE_KIND, concerns=concerns, **who)


def log_complaint(values: dict, by: str) -> Complaint:
    """Log a complaint: clocks set from the practice's settings, a clinical one routed to its provider
    (their login owns the work when they have one), and a service-recovery item opened."""
    if values["channel"] not in COMPLAINT_CHANNELS:
        raise ExperienceError("Choose how the complaint came in.", "channel")
    if values["category"] not in CATEGORIES:
        raise ExperienceError("Choose a category.", "category")
    if not (values.get("summary") or "").strip():
        raise ExperienceError("Describe the complaint.", "summary")
    provider_id = values.get("provider") or None
    if values["category"] == "clinical" and not provider_id:
        raise ExperienceError("A clinical complaint goes to its provider: choose the provider.", "provider")
    received = values["received_on"]
    owner = _user_of_staff(provider_id) if values["category"] == "clinical" else None
    with transaction():
        complaint = Complaint.create(
            patient=values.get("patient_id"), received_on=received, channel=values["channel"],
            category=values["category"], summary=values["summary"].strip(), provider=provider_id,
            acknowledge_by=add_business_days(received, int(settings.get(ACK_DAYS, 5))),
            resolve_by=received + dt.timedelta(days=int(settings.get(RESOLVE_DAYS, 30))), created_by=by)
        _complaint_deadlines(complaint, owner)
        audit.record("marketing.complaint.create", "marketing_complaint", complaint.id,
                     patient_id=complaint.patient_id, detail={"category": complaint.category})
        open_recovery(patient_id=complaint.patient_id, reason=f"Complaint #{complaint.id} ({CATEGORIES[complaint.category]})",
                      opened_on=received, complaint=complaint, owner_user_id=owner)
    return complaint


def acknowledge_complaint(complaint: Complaint, on: dt.date, by: str) -> None:
    """Record the acknowledgment; its deadline is done."""
    with transaction():
        Complaint.update(acknowledged_on=on).where(Complaint.id == complaint.id).execute()
        _done(f"complaint-ack:{complaint.id}", f"Acknowledged on {on.isoformat()}", by)
        audit.record("marketing.complaint.acknowledge", "marketing_complaint", complaint.id,
                     patient_id=complaint.patient_id)


def resolve_complaint(complaint: Complaint, root_cause: str, letter: str, on: dt.date, by: str) -> None:
    """Resolve with a root cause and the resolution letter's text; both deadlines end."""
    if not root_cause.strip():
        raise ExperienceError("Name the root cause.", "root_cause")
    if not letter.strip():
        raise ExperienceError("Write the resolution letter.", "resolution_letter")
    with transaction():
        Complaint.update(root_cause=root_cause.strip(), resolution_letter=letter.strip(), resolved_on=on,
                         acknowledged_on=complaint.acknowledged_on or on).where(Complaint.id == complaint.id).execute()
        _done(f"complaint-ack:{complaint.id}", f"Acknowledged with the resolution on {on.isoformat()}", by)
        _done(f"complaint-resolve:{complaint.id}", f"Resolved on {on.isoformat()}", by)
        audit.record("marketing.complaint.resolve", "marketing_complaint", complaint.id,
                     patient_id=complaint.patient_id)


def _done(key: str, note: str, by: str) -> None:
    deadline = deadlines.find("marketing", key)
    if deadline is not None and deadline.state == "open":
        deadlines.complete(deadline.id, note=note, by=by)

"""Eligibility: 270 inquiries about patients' policies out, the payers' 271 answers in.

``export_270`` asks about chosen policies (one from the patient's insurance page, or the primary
policy of every patient with a visit in the next days) in one 270 file, recorded as a batch whose
inquiries each carry our trace number. ``import_271`` checks the whole answer file first, matches each
answer to its inquiry by that trace number, and keeps on the policy whether coverage is active, the
plan dates and the benefits, dated. Re-importing the same file changes nothing. The patient page,
the desk and the scrubber show the latest answer (inactive coverage is flagged before a claim goes).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from medoffice import audit, settings
from medoffice.db import db, transaction, utcnow
from medoffice.models import Patient

from . import numbering
from .actor import acting_user
from .coverage import in_force
from .export837 import X12_COUNTER, ExportError, envelope, write_file
from .models import Coverage, EligibilityBatch, EligibilityCheck, Encounter, Payer
from .remit_matching import chunks
from .x12.eligibility import Answer, Benefit, Inquiry, Person, Provider, build_270, inquiry_problems, read_271

TRACE_COUNTER = "billing.eligibility_trace"
MAX_INQUIRIES = 1000


class EligibilityRefused(ValueError):
    """A 271 was not imported; ``problems`` says why."""

    def __init__(self, problems: list[str]):
        super().__init__("The 271 file was refused:\n- " + "\n- ".join(problems))
        self.problems = problems


@dataclass
class Export270:
    """A written 270: its batch (None when nothing was asked) and the policies left out, with why."""

    batch: EligibilityBatch | None
    skipped: list[str] = field(default_factory=list)


@dataclass
class Import271:
    """What a 271 import did (the CLI's JSON keys)."""

    answered: int = 0
    active: int = 0
    inactive: int = 0
    unknown: int = 0
    duplicate: bool = False

    def as_dict(self) -> dict:
        """The result as the CLI prints it."""
        return {"answered": self.answered, "active": self.active, "inactive": self.inactive,
                "unknown": self.unknown, "duplicate": self.duplicate}


# --- Which policies to ask about -------------------------------------------------------------------------

def upcoming_coverages(today: dt.date, days: int) -> list[int]:
    """The primary policy in force of each patient with a visit (an open encounter) from ``today`` to ``days``
    days ahead, in one query."""
    last = today + dt.timedelta(days=days)
    rows = (Coverage.select(Coverage.id).join(Encounter, on=(Encounter.patient_id == Coverage.patient_id))
            .where((Encounter.service_date >= today) & (Encounter.service_date <= last) & (Encounter.status == "open")
                   & (Coverage.rank == 1) & (Coverage.effective_date <= Encounter.service_date)
                   & (Coverage.end_date.is_null() | (Coverage.end_date >= Encounter.service_date)))
            .distinct().tuples())
    return sorted(cid for (cid,) in rows)


def _inquiry(coverage: Coverage, patient: Patient, trace: str, day: dt.date) -> Inquiry:
    patient_person = Person(patient.last_name, patient.first_name, patient.date_of_birth, patient.sex or "U",
                            patient.middle_name or "")
    if coverage.relationship == "18":
        subscriber, dependent = patient_person, None
    else:
        subscriber = Person(coverage.subscriber_last_name, coverage.subscriber_first_name,
                            coverage.subscriber_date_of_birth, coverage.subscriber_sex or "U")
        dependent = patient_person
    return Inquiry(trace, coverage.payer.name, coverage.payer.payer_id, coverage.member_id, subscriber, day,
                   dependent=dependent)


def _originator() -> str:
    """TRN03: 1 and the practice's 9-digit EIN."""
    digits = "".join(ch for ch in str(settings.get("core.tax_id", "") or "") if ch.isdecimal())
    if len(digits) != 9:
        raise ExportError(["Enter the practice's 9-digit tax ID (EIN) in the settings: eligibility inquiries carry it."])
    return "1" + digits


def export_270(coverage_ids: list[int], service_date: dt.date | None = None, out: Path | str | None = None) -> Export270:
    """Write one 270 asking about these policies on ``service_date`` (default today); record the batch.

    Policies that cannot be asked about (no member or payer ID...) are left out and listed.
    :raises ExportError: settings missing, or the file could not be written.
    """
    day = service_date or settings.today()
    ids = list(dict.fromkeys(coverage_ids))[:MAX_INQUIRIES]
    if not ids:
        return Export270(None)
    interchange, _submitter, _receiver, usage = envelope()
    originator = _originator()
    provider = Provider(str(settings.get("core.practice_name", "") or ""), str(settings.get("core.practice_npi", "") or ""))
    coverages = [c for chunk in chunks(ids) for c in Coverage.select(Coverage, Payer).join(Payer)
                 .where(Coverage.id.in_(chunk))]
    patients = {p.id: p for chunk in chunks(sorted({c.patient_id for c in coverages}))
                for p in Patient.select().where(Patient.id.in_(chunk))}
    first = numbering.allocate(TRACE_COUNTER, len(coverages)) if coverages else 0
    asked, skipped = [], []
    for offset, coverage in enumerate(coverages):
        inquiry = _inquiry(coverage, patients[coverage.patient_id], f"E{first + offset:09d}", day)
        problems = inquiry_problems(inquiry)
        if problems:
            skipped.extend(problems)
        else:
            asked.append((coverage, inquiry))
    if not asked:
        return Export270(None, skipped)
    control = numbering.allocate(X12_COUNTER)
    created = dt.datetime.now(dt.timezone.utc).astimezone(settings.practice_timezone()).replace(tzinfo=None)
    try:
        text = build_270(interchange, provider, [i for _c, i in asked], control_number=control, usage_indicator=usage,
                         created=created, originator=originator)
    except ValueError as exc:
        raise ExportError([str(exc)]) from None
    data = text.encode("ascii")
    name = f"270-{control:09d}-{created:%Y%m%d}.x12"
    if out is not None:
        try:
            write_file(Path(out), data)
        except OSError as exc:
            raise ExportError([f"The file could not be written to {out}: {exc.strerror or exc}."]) from None
    _, username = acting_user()
    with transaction():
        batch = EligibilityBatch.create(control_number=control, file_name=name, sha256=hashlib.sha256(data).hexdigest(),
                                        inquiries=len(asked), content=data, created_by=username)
        EligibilityCheck.insert_many([{"coverage": c.id, "patient_id": c.patient_id, "batch": batch.id,
                                       "trace_number": i.trace_number, "service_date": day}
                                      for c, i in asked]).execute()
        audit.record_many([{"action": "billing.eligibility.ask", "object_type": "billing_coverage", "object_id": c.id,
                            "patient_id": c.patient_id, "detail": {"batch": batch.id, "trace": i.trace_number}}
                           for c, i in asked])
    return Export270(batch, skipped)


# --- Answers -----------------------------------------------------------------------------------------------

def import_271(text: str, file_name: str = "") -> Import271:
    """Check a 271 file, then keep each answer on the policy asked about (in one transaction).

    :raises EligibilityRefused: the file is not a readable 271, or answers nothing we asked.
    """
    if db.in_transaction():
        raise RuntimeError("import_271 commits its own transaction; call it outside one")
    answers, problems = read_271(text)
    if problems:
        raise EligibilityRefused(problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    traces = [a.trace_number for a in answers]
    checks = {c.trace_number: c for chunk in chunks(traces)
              for c in EligibilityCheck.select().where(EligibilityCheck.trace_number.in_(chunk))}
    unknown = [t for t in traces if t not in checks]
    if unknown:
        raise EligibilityRefused([f"The 271 answers inquiries we never sent (trace {', '.join(unknown[:10])}): "
                                  "was it meant for another practice?"])
    result = Import271()
    if all(checks[a.trace_number].answer_sha256 == digest for a in answers):
        result.duplicate = True
        return result
    now = utcnow()
    with transaction():
        for answer in answers:
            check = checks[answer.trace_number]
            EligibilityCheck.update(
                answered_at=now, answer_sha256=digest, active=answer.active, plan_name=answer.plan_name[:80],
                plan_begin=answer.plan_begin, plan_end=answer.plan_end,
                benefits=json.dumps([b.as_dict() for b in answer.benefits]),
                rejections="\n".join(answer.rejections)).where(EligibilityCheck.id == check.id).execute()
            result.answered += 1
            if answer.active is True:
                result.active += 1
            elif answer.active is False:
                result.inactive += 1
            else:
                result.unknown += 1
        audit.record_many([{"action": "billing.eligibility.answer", "object_type": "billing_coverage",
                            "object_id": checks[a.trace_number].coverage_id,
                            "patient_id": checks[a.trace_number].patient_id,
                            "detail": {"trace": a.trace_number, "active": a.active, "file": file_name[:120]}}
                           for a in answers])
    return result


# --- Showing answers ----------------------------------------------------------------------------------------

def latest_answers(coverage_ids) -> dict[int, EligibilityCheck]:
    """The latest answered check of each policy, by policy id (one query per chunk of policies)."""
    found: dict[int, EligibilityCheck] = {}
    for chunk in chunks(sorted(set(coverage_ids))):
        for check in (EligibilityCheck.select()
                      .where(EligibilityCheck.coverage.in_(chunk) & EligibilityCheck.answered_at.is_null(False))
                      .order_by(EligibilityCheck.coverage, EligibilityCheck.answered_at.desc(),
                                EligibilityCheck.id.desc())):
            found.setdefault(check.coverage_id, check)
    return found


def pending(coverage_ids) -> set[int]:
    """The policies with a question sent and not answered yet."""
    ids = sorted(set(coverage_ids))
    if not ids:
        return set()
    return {cid for (cid,) in EligibilityCheck.select(EligibilityCheck.coverage).where(
        EligibilityCheck.coverage.in_(ids) & EligibilityCheck.answered_at.is_null()).distinct().tuples()}


def benefits(check: EligibilityCheck) -> list[Benefit]:
    """The check's benefits as the payer listed them."""
    return [Benefit.from_dict(item) for item in json.loads(check.benefits or "[]")]


def summary(check: EligibilityCheck) -> dict:
    """What the desk needs from an answer: copays and coinsurance per service, deductible and out-of-pocket
    (with what remains), each for the individual unless only the family's is given."""
    items = benefits(check)

    def amount(code: str, remaining: bool):
        found = [b for b in items if b.code == code and b.amount_cents is not None and b.remaining == remaining]
        individual = [b for b in found if b.coverage_level in ("IND", "")]
        return (individual or found or [None])[0]

    return {
        "copays": [(b.services or "All services", b.amount_cents) for b in items
                   if b.code == "B" and b.amount_cents is not None],
        "coinsurance": [(b.services or "All services", int((b.percent or Decimal(0)) * 100)) for b in items
                        if b.code == "A" and b.percent is not None],
        "deductible": amount("C", False), "deductible_remaining": amount("C", True),
        "out_of_pocket": amount("G", False), "out_of_pocket_remaining": amount("G", True),
        "messages": [m for b in items for m in b.messages],
    }


def desk_view(patient_id: int, day: dt.date) -> list[dict]:
    """For each of the patient's policies in force on ``day``: the latest answer, its summary and whether a
    question is waiting (what the patient page, the insurance page and the desk show)."""
    policies = in_force(patient_id, day)
    answers = latest_answers(c.id for c in policies)
    waiting = pending(c.id for c in policies)
    return [{"coverage": c, "check": answers.get(c.id), "summary": summary(answers[c.id]) if c.id in answers else None,
             "pending": c.id in waiting} for c in policies]

"""Hiring: openings, candidates with résumés (core's files), the pipeline board, interviews with
scorecards, the offer letter, hiring (the staff record, employment, starting pay and onboarding
checklist in one step, nothing retyped) and the purge of candidates kept past the retention period.
Every change is audited (ids and stages, never a résumé's content)."""
from __future__ import annotations

import datetime as dt
import string

from medoffice import audit, files, settings
from medoffice.db import transaction
from medoffice.models import StaffMember

from . import checklists, employees, hiring_rules
from .employees import HrError
from .hiring_models import Candidate, Interview, Opening

RESUME_KIND = "hr.resume"
RETENTION_SETTING = "hr.candidate_retention_days"
OFFER_TEMPLATE_SETTING = "hr.offer_letter_template"
DEFAULT_OFFER_TEMPLATE = """# Offer of employment

$date

Dear $first_name $last_name,

We are pleased to offer you the position of **$job_title** at $practice, starting on **$start_date**,
at $pay.

This offer is contingent on verification of your eligibility to work in the United States (Form I-9)
on or before your third day of work. Please sign and return this letter to accept.

Sincerely,

$practice
"""


def save_opening(opening: Opening | None, values: dict, by: str) -> Opening:
    """Create or change an opening (title, job title, department, location, description, status)."""
    if values["status"] not in dict(hiring_rules.OPENING_STATUSES):
        raise HrError("Choose a status.", "status")
    with transaction():
        created = opening is None
        if created:
            opening = Opening(opened_on=settings.today(), created_by=by)
        for name in ("title", "job_title", "description", "status"):
            setattr(opening, name, values[name])
        opening.department_id, opening.location_id = values["department"], values["location"]
        opening.closed_on = None if opening.status == "open" else (opening.closed_on or settings.today())
        opening.save()
        audit.record("hr.opening.create" if created else "hr.opening.update", "hr_opening", opening.id,
                     detail={"status": opening.status})
    return opening


def add_candidate(opening: Opening, values: dict, resume=None, resume_name: str = "") -> Candidate:
    """Add a candidate to an opening with their résumé (checked by core's files service); nothing is
    kept when the résumé is refused."""
    if opening.status != "open":
        raise HrError("This opening is not taking candidates.", "first_name")
    with transaction():
        candidate = Candidate.create(opening=opening, first_name=values["first_name"], last_name=values["last_name"],
                                     email=values["email"], phone=values["phone"], note=values.get("note", ""))
        if resume is not None:
            try:
                stored = files.attach("hr", "candidate", candidate.id, RESUME_KIND, resume, resume_name or "resume")
            except files.FileError as refused:
                raise HrError(str(refused), "resume") from None
            candidate.resume_attachment_id = stored.id
            candidate.save()
        audit.record("hr.candidate.create", "hr_candidate", candidate.id, detail={"opening_id": opening.id})
    return candidate


def move_candidate(candidate: Candidate, stage: str) -> None:
    """Move a candidate to another stage of the board (hiring goes through :func:`hire`)."""
    problem = hiring_rules.stage_move_problem(candidate.stage, stage)
    if problem:
        raise HrError(problem, "stage")
    if stage == candidate.stage:
        return
    with transaction():
        before = candidate.stage
        candidate.stage = stage
        candidate.closed_on = settings.today() if stage in hiring_rules.CLOSED_STAGES else None
        candidate.save()
        audit.record("hr.candidate.move", "hr_candidate", candidate.id,
                     detail={"changes": {"stage": {"before": before, "after": stage}}})


def add_interview(candidate: Candidate, held_on: dt.date, interviewer_id: int | None, score: int,
                  recommendation: str, notes: str, by: str) -> Interview:
    """Record an interview's scorecard."""
    if not 1 <= score <= 5:
        raise HrError("A score is 1 to 5.", "score")
    if recommendation not in dict(hiring_rules.RECOMMENDATIONS):
        raise HrError("Choose a recommendation.", "recommendation")
    with transaction():
        interview = Interview.create(candidate=candidate, held_on=held_on, interviewer=interviewer_id, score=score,
                                     recommendation=recommendation, notes=notes, created_by=by)
        audit.record("hr.interview.create", "hr_interview", interview.id,
                     detail={"candidate_id": candidate.id, "score": score, "recommendation": recommendation})
    return interview


def record_offer(candidate: Candidate, start_date: dt.date, basis: str, amount_cents: int) -> None:
    """Write the offer's start date and pay on the candidate and move them to the offer stage."""
    if candidate.stage in hiring_rules.CLOSED_STAGES:
        raise HrError("This candidate's application is closed.", "start_date")
    if basis not in ("hourly", "salary"):
        raise HrError("Choose hourly or salary.", "basis")
    if amount_cents <= 0:
        raise HrError("The pay offered is more than zero.", "amount")
    with transaction():
        candidate.offer_start_date, candidate.offer_basis, candidate.offer_amount_cents = start_date, basis, amount_cents
        candidate.stage = "offer"
        candidate.save()
        audit.record("hr.candidate.offer", "hr_candidate", candidate.id,
                     detail={"start_date": start_date.isoformat(), "basis": basis, "amount_cents": amount_cents})


def _pay_text(basis: str, cents: int) -> str:
    amount = f"${cents // 100:,}.{cents % 100:02d}"
    return f"{amount} an hour" if basis == "hourly" else f"{amount} a year"


def offer_letter_markdown(candidate: Candidate) -> str:
    """The offer letter: the practice's template (a setting) with the candidate's offer filled in."""
    if candidate.offer_start_date is None:
        raise HrError("Record the offer (start date and pay) first.", "start_date")
    template = string.Template(settings.get(OFFER_TEMPLATE_SETTING) or DEFAULT_OFFER_TEMPLATE)
    return template.safe_substitute(
        date=settings.today().strftime("%B %d, %Y"), first_name=candidate.first_name, last_name=candidate.last_name,
        job_title=candidate.opening.job_title, start_date=candidate.offer_start_date.strftime("%B %d, %Y"),
        pay=_pay_text(candidate.offer_basis, candidate.offer_amount_cents),
        practice=settings.get("core.practice_name") or "the practice")


def hire(candidate: Candidate, values: dict, by: str) -> StaffMember:
    """Hire a candidate: the staff record (names, contact, job title, location from the application
    and the opening), the employment, the starting pay rate and the onboarding checklist, in one
    transaction; the candidate is marked hired."""
    if candidate.stage in hiring_rules.CLOSED_STAGES:
        raise HrError("This candidate's application is closed.", "hire_date")
    opening = candidate.opening
    with transaction():
        staff = StaffMember.create(first_name=candidate.first_name, last_name=candidate.last_name,
                                   email=candidate.email, phone=candidate.phone[:20], job_title=opening.job_title,
                                   location=opening.location_id)
        audit.record("hr.staff.create", "core_staff", staff.id, detail={"candidate_id": candidate.id})
        employment = employees.save_employment(staff, {
            "hire_date": values["hire_date"], "end_date": None, "status": "active",
            "employment_type": values["employment_type"], "flsa_exempt": values["flsa_exempt"],
            "job_title": opening.job_title, "department": opening.department_id, "location": opening.location_id,
            "supervisor": values["supervisor"]})
        employees.add_pay_rate(employment, values["hire_date"], values["basis"], values["amount_cents"],
                               "Starting rate (offer)", by)
        checklists.start(employment, "onboarding", values["hire_date"])
        candidate.stage, candidate.hired_staff, candidate.closed_on = "hired", staff.id, settings.today()
        candidate.save()
        audit.record("hr.candidate.hire", "hr_candidate", candidate.id, detail={"staff_id": staff.id})
        filled = Candidate.select().where((Candidate.opening == opening)
                                          & Candidate.stage.in_(hiring_rules.OPEN_STAGES)).exists()
        if not filled and opening.status == "open":
            opening.status, opening.closed_on = "filled", settings.today()
            opening.save()
    return staff


def purge_candidates(today: dt.date) -> int:
    """Delete candidates not hired whose application closed more than the retention period ago
    (their résumés and scorecards with them); the count is returned and audited."""
    cutoff = hiring_rules.purge_cutoff(today, int(settings.get(RETENTION_SETTING)))
    expired = list(Candidate.select(Candidate.id, Candidate.resume_attachment_id)
                   .where(Candidate.stage.in_(("rejected", "withdrawn")) & (Candidate.closed_on <= cutoff)))
    if not expired:
        return 0
    with transaction():
        for candidate in expired:
            if candidate.resume_attachment_id:
                try:
                    files.delete(candidate.resume_attachment_id, "Candidate kept past the retention period")
                except files.FileError:
                    pass  # removed by hand before: nothing left to take off the list
        ids = [c.id for c in expired]
        Candidate.delete().where(Candidate.id.in_(ids)).execute()
        audit.record("hr.candidate.purge", "hr_candidate", "", detail={"candidate_ids": ids, "cutoff": cutoff.isoformat()})
    return len(ids)

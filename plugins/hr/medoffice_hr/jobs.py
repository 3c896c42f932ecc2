"""HR's scheduled work: expiring documents' deadlines, separations on the last day, the candidate purge."""
from __future__ import annotations

from medoffice import JobSpec
from medoffice.db import transaction
from medoffice.models import StaffMember
from medoffice.settings import today

from . import hiring, leave, separations, training
from .employees import sync_expiry
from .models import EmployeeDocument, Employment


def sync_document_expiries() -> str:
    """Upsert the deadline of every filed document that expires (idempotent: the assignee follows
    the person's login); the text is the run's message."""
    rows = (EmployeeDocument.select(EmployeeDocument, Employment, StaffMember)
            .join(Employment).join(StaffMember, on=(Employment.staff == StaffMember.id))
            .where(EmployeeDocument.expires_on.is_null(False) & EmployeeDocument.removed_at.is_null()))
    count = 0
    with transaction():
        for document in rows:
            sync_expiry(document, document.employment.staff)
            count += 1
    return f"{count} expiring document{'' if count == 1 else 's'} checked."


def complete_separations() -> str:
    """Disable the logins of people whose last day has come (and end their employment)."""
    due = separations.due_separations(today())
    disabled = sum(separations.complete(s) for s in due)
    return f"{len(due)} separation{'' if len(due) == 1 else 's'} completed, {disabled} login{'' if disabled == 1 else 's'} disabled."


def purge_candidates() -> str:
    """Delete candidates not hired once the retention period has passed."""
    count = hiring.purge_candidates(today())
    return f"{count} candidate{'' if count == 1 else 's'} past the retention period deleted."


def leave_year() -> str:
    """Forfeit over the carry-over limits and grant yearly leave (idempotent; daily, so new hires
    past their waiting period get their grant)."""
    return leave.turn_of_year(today())


def sync_training() -> str:
    """Keep required training and certification expiries on the deadlines calendar."""
    count = training.sync_all()
    return f"Training and certifications of {count} employee{'' if count == 1 else 's'} checked."


def hr_jobs() -> list[JobSpec]:
    """HR's jobs."""
    return [JobSpec(id="hr.document_expiries", title="Keep HR document expiries on the deadlines calendar",
                    func=sync_document_expiries, trigger="cron", schedule={"hour": 5, "minute": 50}),
            JobSpec(id="hr.separations", title="Disable the logins of people whose last day has come",
                    func=complete_separations, trigger="cron", schedule={"hour": 23, "minute": 45},
                    description="Runs at the end of the day, so a leaver keeps access through their last day."),
            JobSpec(id="hr.candidate_purge", title="Delete candidates kept past the retention period",
                    func=purge_candidates, trigger="cron", schedule={"hour": 3, "minute": 40}),
            JobSpec(id="hr.leave_year", title="Yearly leave grants and carry-over limits",
                    func=leave_year, trigger="cron", schedule={"hour": 0, "minute": 20}),
            JobSpec(id="hr.training", title="Keep training and certification deadlines current",
                    func=sync_training, trigger="cron", schedule={"hour": 5, "minute": 55})]

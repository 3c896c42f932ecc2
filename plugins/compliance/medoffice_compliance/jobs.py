"""Compliance's scheduled work: the monthly exclusion screening, and keeping policy reviews and
credential due dates on the deadlines calendar."""
from __future__ import annotations

from medoffice import JobSpec
from medoffice.db import transaction
from medoffice.models import StaffMember
from peewee import JOIN

from . import credentials, program, screening
from .models import Credential


def screen_monthly() -> str:
    """Screen everyone against the current exclusion lists; the text is the run's message."""
    if not any(screening.current_list(source) for source in screening.SOURCES):
        return "No exclusion list imported yet: import the OIG LEIE file first."
    run = screening.run(by="system")
    return f"{run.screened} screened, {run.possible_matches} possible match(es) to review."


def sync_deadlines() -> str:
    """Upsert every credential's and policy's due date (idempotent)."""
    rows = (credentials.active().select(Credential, StaffMember)
            .join(StaffMember, join_type=JOIN.LEFT_OUTER, on=(Credential.staff == StaffMember.id), attr="owner"))
    count = 0
    with transaction():
        for credential in rows:
            credentials.sync_deadline(credential, getattr(credential, "owner", None) if credential.staff_id else None)
            count += 1
        policies = program.sync_policy_reviews()
    return f"{count} credential(s) and {policies} policy review(s) checked."


def compliance_jobs() -> list[JobSpec]:
    """Compliance's jobs."""
    return [
        JobSpec(id="compliance.screening", title="Screen staff and business associates against exclusion lists",
                func=screen_monthly, trigger="cron", schedule={"day": 2, "hour": 5, "minute": 20}),
        JobSpec(id="compliance.deadlines", title="Keep credential and policy review dates on the deadlines calendar",
                func=sync_deadlines, trigger="cron", schedule={"hour": 5, "minute": 40}),
    ]

"""Billing's scheduled jobs: the aging snapshot, the statement cycle, follow-up flagging, the clearinghouse sync
and the Good Faith Estimate dispute check."""
from __future__ import annotations

import datetime as dt

from medoffice import JobSpec, SettingSpec, audit, settings
from medoffice.db import transaction, utcnow
from medoffice.localtime import day_start_utc, to_local
from medoffice.money import format_cents

from . import aging, clearinghouse, estimates, plans, statements
from .models import Claim, ClaimEvent

FOLLOW_UP_STATES = ("submitted", "accepted")
JOB_SETTINGS = [
    SettingSpec("billing.follow_up_days", "Follow up on claims a payer has not answered after this many days",
                kind="int", default=30, minimum=1, maximum=365),
    SettingSpec("billing.statement_cycle_job", "Run the statement cycle every night (one PDF per patient into the "
                "instance's statements folder)", kind="bool", default=False),
]


def aging_snapshot() -> str:
    """Store today's AR aging totals and refresh every patient's stored aging (the collection lists)."""
    today = settings.today()
    patients = aging.refresh_patient_aging(today)
    rows = aging.take_snapshot(today)
    total = sum(s["insurance"] + s["patient"] for s in aging.snapshot_history(1))
    payers = rows - 1
    return (f"Aging as of {today.isoformat()}: {payers} payer{'s' if payers != 1 else ''}, {patients} patient "
            f"account{'s' if patients != 1 else ''}, AR {format_cents(total)}.")


def statement_cycle() -> str:
    """Run statements for the patients due (when the practice turned the nightly cycle on)."""
    if not settings.get("billing.statement_cycle_job", False):
        return "The nightly statement cycle is off (setting: Run the statement cycle every night)."
    run = statements.run_statements(trigger="job", username="system")
    return (f"Statement run {run.id}: {run.statements} statements for {format_cents(run.total_cents)}; "
            f"held: {run.held_insurance} insurance pending, {run.held_plan} on a plan, {run.held_manual} by hand, "
            f"{run.held_collections} with the agency; {run.not_due} not due yet. PDFs in {run.output}.")


def follow_up_days() -> int:
    """Days after submission before an unanswered claim needs a follow-up."""
    return int(settings.get("billing.follow_up_days", 30) or 30)


def unanswered_condition(today: dt.date, days: int):
    """Claims submitted ``days`` or more of the practice's days ago that no payer has answered (still submitted
    or accepted)."""
    return Claim.status.in_(FOLLOW_UP_STATES) & (Claim.submitted_at < day_start_utc(today - dt.timedelta(days=days - 1)))


def flag_follow_ups(today: dt.date | None = None) -> int:
    """Write a follow-up entry into the history of each unanswered claim not flagged in the last
    ``billing.follow_up_days`` days (audited with the patient); returns how many were flagged."""
    today = today or settings.today()
    days = follow_up_days()
    since = utcnow() - dt.timedelta(days=days)
    recent = (ClaimEvent.select(ClaimEvent.claim).where((ClaimEvent.action == "follow_up") & (ClaimEvent.at >= since)))
    due = list(Claim.select(Claim.id, Claim.patient_id, Claim.claim_number, Claim.status, Claim.submitted_at)
               .where(unanswered_condition(today, days) & Claim.id.not_in(recent)))
    if not due:
        return 0
    now = utcnow()
    with transaction():
        for start in range(0, len(due), 500):
            ClaimEvent.insert_many([{
                "claim": c.id, "at": now, "username": "system", "action": "follow_up", "from_status": c.status,
                "to_status": c.status,
                "reason": f"No answer from the payer {(today - to_local(c.submitted_at).date()).days} days after submission: "
                          "check the claim's status with the payer."} for c in due[start:start + 500]]).execute()
        audit.record_many([{"action": "billing.claim.follow_up", "object_type": "billing_claim", "object_id": claim.id,
                            "patient_id": claim.patient_id,
                            "detail": {"claim_number": claim.claim_number, "days": days}} for claim in due])
    return len(due)


def follow_up() -> str:
    """Flag unanswered claims and missed payment-plan installments, and close plans paid off."""
    today = settings.today()
    claims = flag_follow_ups(today)
    missed = plans.flag_missed(today)
    paid_off = plans.complete_paid_off()
    return (f"{claims} claim{'s' if claims != 1 else ''} flagged for follow-up; {missed} payment plan"
            f"{'s' if missed != 1 else ''} with a newly missed payment; {paid_off} plan{'s' if paid_off != 1 else ''} "
            "paid off.")


def billing_jobs() -> list[JobSpec]:
    """The jobs billing contributes."""
    return [
        JobSpec("billing.aging_snapshot", "AR aging snapshot", aging_snapshot, trigger="cron",
                schedule={"hour": 1, "minute": 30},
                description="Stores the night's AR aging by payer and for patients, and refreshes each patient's "
                            "aging for the collection lists."),
        JobSpec("billing.statement_cycle", "Statement cycle", statement_cycle, trigger="cron",
                schedule={"hour": 2, "minute": 15},
                description="Sends statements to the patients due (respecting holds, the minimum and the cycle), "
                            "when turned on in the settings."),
        JobSpec("billing.follow_up", "Follow-up flagging", follow_up, trigger="cron", schedule={"hour": 6, "minute": 0},
                description="Flags claims the payers have not answered and payment plans with a missed payment."),
        JobSpec("billing.clearinghouse_sync", "Clearinghouse sync", clearinghouse.sync_job, trigger="interval",
                schedule={"minutes": 30},
                description="Sends ready claims and queued files to the clearinghouse over SFTP and imports its "
                            "responses (835, 999, 277CA, 271), when the connection is turned on."),
        JobSpec("billing.estimates", "Good Faith Estimate disputes", estimates.estimates_job, trigger="cron",
                schedule={"hour": 6, "minute": 20},
                description="Flags Good Faith Estimates the billed charges exceed by $400 or more (dispute process)."),
    ]


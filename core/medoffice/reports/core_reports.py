"""Core's own reports (contributed through ``core_plugin.medoffice_reports``), aggregated in SQL."""
from __future__ import annotations

import datetime as dt

from peewee import JOIN, fn

from ..contributions import ChartSpec, Column, ReportParam, ReportResult, ReportSpec
from ..models import AuditEvent, Location, Patient
from ..localtime import day_start_utc
from ..settings import today

NO_LOCATION = "(no location)"


def share_basis_points(part: int, whole: int) -> int:
    """``part`` as a share of ``whole`` in basis points, rounded half up (0 when whole is 0)."""
    return (part * 10000 * 2 + whole) // (whole * 2) if whole else 0


def patients_by_location(provider: int | None = None) -> ReportResult:
    """Active patients per location (active locations, and inactive ones still holding patients)."""
    joined = (Patient.location == Location.id) & (Patient.active == True)  # noqa: E712
    unassigned = Patient.select().where(Patient.active == True, Patient.location.is_null())  # noqa: E712
    if provider is not None:
        joined &= Patient.primary_provider == provider
        unassigned = unassigned.where(Patient.primary_provider == provider)
    count = fn.COUNT(Patient.id)
    query = (Location.select(Location.name, Location.active, count.alias("patients"))
             .join(Patient, JOIN.LEFT_OUTER, on=joined)
             .group_by(Location.id, Location.name, Location.active)
             .having((Location.active == True) | (count > 0))  # noqa: E712
             .order_by(Location.name)
             .dicts())
    rows = [{"location": r["name"] if r["active"] else f"{r['name']} (inactive)", "patients": r["patients"]}
            for r in query]
    without = unassigned.count()
    if without:
        rows.append({"location": NO_LOCATION, "patients": without})
    total = sum(r["patients"] for r in rows)
    for row in rows:
        row["share"] = share_basis_points(row["patients"], total)
    return ReportResult(
        columns=[Column("location", "Location"), Column("patients", "Active patients", "int"),
                 Column("share", "Share", "percent")],
        rows=rows,
        totals={"patients": total, "share": 10000 if total else 0},
        chart=ChartSpec("bar", x="location", series=("patients",), title="Active patients per location"),
    )


def check_date_range(start: dt.date, end: dt.date, **_) -> dict[str, str]:
    """The end date may not come before the start date."""
    return {"end": "The end date must be on or after the start date."} if end < start else {}


def audit_activity(start: dt.date, end: dt.date, action: str | None = None) -> ReportResult:
    """Audit entries per user and action between two practice-local dates (inclusive)."""
    entries = fn.COUNT(AuditEvent.id)
    query = (AuditEvent.select(AuditEvent.username, AuditEvent.action, entries.alias("entries"))
             .where(AuditEvent.at >= day_start_utc(start),
                    AuditEvent.at < day_start_utc(end + dt.timedelta(days=1))))
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    query = (query.group_by(AuditEvent.username, AuditEvent.action)
             .order_by(AuditEvent.username, AuditEvent.action).dicts())
    rows = [{"username": r["username"] or "(not logged in)", "action": r["action"], "entries": r["entries"]}
            for r in query]
    return ReportResult(
        columns=[Column("username", "User"), Column("action", "Action"), Column("entries", "Entries", "int")],
        rows=rows,
        totals={"entries": sum(r["entries"] for r in rows)},
        notes="Counts every audit entry in the range, including report runs and exports.",
    )


def core_reports() -> list[ReportSpec]:
    """The reports core contributes."""
    return [
        ReportSpec(
            id="core.patients_by_location",
            title="Patients by location",
            description="Active patients per location and each location's share.",
            permission="core.reports.view",
            category="Patients",
            run=patients_by_location,
            params=[ReportParam("provider", "Primary provider", kind="provider")],
        ),
        ReportSpec(
            id="core.audit_activity",
            title="Audit activity",
            description="Audit trail entries per user and action over a date range.",
            permission="core.audit.view",
            category="Compliance",
            run=audit_activity,
            check=check_date_range,
            params=[
                ReportParam("start", "From", kind="date", required=True,
                            default=lambda: today() - dt.timedelta(days=30)),
                ReportParam("end", "To", kind="date", required=True, default=today),
                ReportParam("action", "Action starts with", kind="text"),
            ],
        ),
    ]

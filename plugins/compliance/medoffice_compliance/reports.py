"""Compliance's reports: the annual log of small breaches (for HHS), privacy-request timeliness
and the credentials due."""
from __future__ import annotations

import datetime as dt

from medoffice import Column, ReportParam, ReportResult, ReportSpec
from medoffice.models import StaffMember
from peewee import JOIN
from medoffice.settings import today

from . import credentials, incidents, rules
from .models import Credential, PrivacyRequest


def breach_log(year: int) -> ReportResult:
    """Breaches of fewer than 500 people discovered in ``year``: the log HHS receives within 60
    days of the year's end."""
    rows = incidents.annual_log(year)
    return ReportResult(
        columns=[Column("id", "Incident", "int"), Column("title", "What happened", "text"),
                 Column("occurred_on", "Occurred", "date"), Column("discovered_on", "Discovered", "date"),
                 Column("affected", "People affected", "int"),
                 Column("individuals_notified_on", "Individuals notified", "date")],
        rows=rows, totals={"affected": sum(r["affected"] for r in rows)},
        notes=f"Due to HHS by {incidents.rules.annual_log_due(dt.date(year, 1, 1)).isoformat()}.")


def check_year(year: int) -> dict[str, str]:
    """A year the practice could have logged breaches in."""
    return {} if 2000 <= year <= 2199 else {"year": "Give a year from 2000 to 2199."}


def privacy_timeliness(start: dt.date, end: dt.date) -> ReportResult:
    """Privacy requests received in the period, each with its due date, answer and whether on time."""
    rows = []
    for r in (PrivacyRequest.select(PrivacyRequest.id, PrivacyRequest.kind, PrivacyRequest.received_on,
                                    PrivacyRequest.due_on, PrivacyRequest.extended_on, PrivacyRequest.status,
                                    PrivacyRequest.decided_on)
              .where((PrivacyRequest.received_on >= start) & (PrivacyRequest.received_on <= end))
              .order_by(PrivacyRequest.received_on, PrivacyRequest.id)):
        timely = rules.on_time(r.due_on, r.decided_on)
        rows.append({"id": r.id, "kind": rules.REQUEST_BY_KEY[r.kind].title, "received_on": r.received_on,
                     "due_on": r.due_on, "extended": "Yes" if r.extended_on else "", "status": r.status,
                     "decided_on": r.decided_on,
                     "on_time": "" if timely is None else ("Yes" if timely else "LATE")})
    return ReportResult(
        columns=[Column("id", "Request", "int"), Column("kind", "Kind", "text"),
                 Column("received_on", "Received", "date"), Column("due_on", "Due", "date"),
                 Column("extended", "Extended", "text"), Column("status", "Status", "text"),
                 Column("decided_on", "Answered", "date"), Column("on_time", "On time", "text")],
        rows=rows, notes="Patients are not named here; open a request for its details.")


def check_range(start: dt.date, end: dt.date) -> dict[str, str]:
    """The range must not run backwards."""
    return {"end": "The end date must be on or after the start date."} if end < start else {}


def credentials_due(days: int) -> ReportResult:
    """Credentials lapsed or due within ``days`` days, soonest first."""
    limit = today() + dt.timedelta(days=days)
    rows = []
    for c in (credentials.active().select(Credential, StaffMember)
              .join(StaffMember, join_type=JOIN.LEFT_OUTER, on=(Credential.staff == StaffMember.id), attr="owner")
              .where(Credential.due_on <= limit).order_by(Credential.due_on)):
        owner = getattr(c, "owner", None)
        rows.append({"who": owner.display_name if c.staff_id and owner else "The practice",
                     "kind": rules.KIND_BY_KEY[c.kind].title, "state": c.state, "number": c.number,
                     "due_on": c.due_on, "colour": credentials.item_colour(c, today())})
    return ReportResult(
        columns=[Column("who", "Provider", "text"), Column("kind", "Credential", "text"),
                 Column("state", "State", "text"), Column("number", "Number", "text"),
                 Column("due_on", "Due", "date"), Column("colour", "Status", "text")],
        rows=rows)


def check_days(days: int) -> dict[str, str]:
    """A horizon of one day to ten years."""
    return {} if 1 <= days <= 3650 else {"days": "Give 1 to 3650 days."}


REPORTS = [
    ReportSpec(id="compliance.breach_log", title="Annual log of small breaches", permission="compliance.incidents.view",
               run=breach_log, check=check_year, category="Compliance",
               params=[ReportParam("year", "Year", "int", required=True, default=lambda: today().year - 1)]),
    ReportSpec(id="compliance.privacy_timeliness", title="Privacy requests and their timeliness",
               permission="compliance.privacy.view", run=privacy_timeliness, check=check_range, category="Compliance",
               params=[ReportParam("start", "From", "date", required=True,
                                   default=lambda: today().replace(month=1, day=1)),
                       ReportParam("end", "To", "date", required=True, default=today)]),
    ReportSpec(id="compliance.credentials_due", title="Credentials lapsed or due", permission="compliance.credentials.view",
               run=credentials_due, check=check_days, category="Compliance",
               params=[ReportParam("days", "Due within (days)", "int", required=True, default=90)]),
]

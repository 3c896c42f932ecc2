"""The audit binder: one zip for a date range with a PDF summary and CSV evidence of the whole
program (policies and acknowledgments, training, risk assessments and remediation, BAAs, incidents
and breach decisions, privacy requests and their timeliness, credentialing, screening history,
the audit log's summary and its ``audit verify`` result). It names no patient: requests and
incidents appear by number, as an investigator's first request is about the program."""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from flask import current_app
from medoffice import audit, documents
from medoffice.csvexport import CsvWriter
from medoffice.db import transaction, utcnow
from medoffice.documents.models import Document
from medoffice.localtime import days_utc
from medoffice.models import AuditEvent, StaffMember, User
from peewee import JOIN, fn

from . import credentials, incidents, program, rules, screening
from .models import (BusinessAssociate, Credential, Incident, IncidentState, PrivacyRequest, RiskAssessment, RiskItem,
                     ScreeningMatch, ScreeningRun, Verification)


@dataclass
class Section:
    """One CSV of the binder and the line the summary gives it."""

    name: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)
    summary: str = ""


def _policies(today: dt.date) -> tuple[Section, Section]:
    library = Section("policies.csv", "Policies", ["policy", "version", "effective_on", "review_due", "acknowledged",
                                                   "pending", "overdue"])
    signatures = Section("policy_acknowledgments.csv", "Policy acknowledgments",
                         ["policy", "person", "status", "signed_version", "signed_at"])
    rows = program.policy_library(today)
    policies = {document.id: document for document in
                Document.select().where(Document.id.in_([row.document_id for row in rows]))}
    for row in rows:
        library.rows.append([row.title, row.version, row.effective_on, row.review_due,
                             row.counts["acknowledged"], row.counts["pending"], row.counts["overdue"]])
        for person in documents.people(policies[row.document_id], today):
            signatures.rows.append([row.title, person.user.full_name or person.user.username, person.status,
                                    person.signed_version,
                                    person.signature.at.isoformat() if person.signature is not None else ""])
    library.summary = f"{len(library.rows)} published policies"
    overdue = sum(1 for r in signatures.rows if r[2] == "overdue")
    signatures.summary = f"{len(signatures.rows)} people addressed, {overdue} overdue"
    return library, signatures


def _training(today: dt.date) -> Section:
    section = Section("training.csv", "HIPAA training", ["person", "last_trained", "due", "overdue"])
    for row in program.training_status(today):
        section.rows.append([row["name"], row["latest"], row["due"], "yes" if row["overdue"] else "no"])
    section.summary = f"{sum(1 for r in section.rows if r[3] == 'yes')} of {len(section.rows)} staff overdue"
    return section


def _risk(end: dt.date) -> Section:
    section = Section("risk_register.csv", "Security risk assessments",
                      ["assessment", "started_on", "completed_on", "section", "question", "answer", "likelihood",
                       "impact", "score", "remediation", "owner", "due_on", "remediated_on"])
    owners = {u.id: u.full_name or u.username for u in User.select(User.id, User.full_name, User.username)}
    items = (RiskItem.select(RiskItem, RiskAssessment).join(RiskAssessment)
             .where(RiskAssessment.started_on <= end).order_by(RiskAssessment.started_on, RiskItem.id))
    assessments = set()
    open_tasks = 0
    for item in items:
        question = program.QUESTION_BY_KEY.get(item.question_key)
        assessments.add(item.assessment_id)
        if item.remediation and not item.remediated_on:
            open_tasks += 1
        section.rows.append([item.assessment.title, item.assessment.started_on, item.assessment.completed_on,
                             question.section if question else "", question.text if question else item.question_key,
                             item.answer, item.likelihood, item.impact, program.risk_score(item.likelihood, item.impact),
                             item.remediation, owners.get(item.owner_user_id, ""), item.remediation_due_on,
                             item.remediated_on])
    section.summary = f"{len(assessments)} assessments, {open_tasks} remediation tasks open"
    return section


def _associates() -> Section:
    section = Section("business_associates.csv", "Business associates",
                      ["vendor", "services", "baa_signed_on", "review_on", "terminated_on",
                       "return_destroy_confirmed_on"])
    for a in BusinessAssociate.select().order_by(BusinessAssociate.name):
        section.rows.append([a.name, a.services, a.signed_on, a.review_on, a.terminated_on,
                             a.return_destroy_confirmed_on])
    unsigned = sum(1 for r in section.rows if r[2] is None)
    section.summary = f"{len(section.rows)} business associates, {unsigned} without a signed BAA"
    return section


def _incidents(start: dt.date, end: dt.date) -> Section:
    section = Section("incidents.csv", "Incidents and breach decisions",
                      ["incident", "title", "discovered_on", "affected", "decision", "reasoning", "decided_on",
                       "individuals_due", "individuals_notified_on", "hhs_due", "hhs_notified_on", "media_due",
                       "media_notified_on"])
    total = fn.COALESCE(fn.SUM(IncidentState.affected), 0)
    counts = dict(Incident.select(Incident.id, total).join(IncidentState, JOIN.LEFT_OUTER,
                                                            on=(IncidentState.incident == Incident.id))
                  .where((Incident.discovered_on >= start) & (Incident.discovered_on <= end))
                  .group_by(Incident.id).tuples())
    for incident in (Incident.select().where((Incident.discovered_on >= start) & (Incident.discovered_on <= end))
                     .order_by(Incident.discovered_on)):
        owed = incidents.clocks(incident)
        section.rows.append([incident.id, incident.title, incident.discovered_on, counts.get(incident.id, 0),
                             incident.decision, incident.decision_reasoning, incident.decided_on,
                             owed.individuals if owed else None, incident.individuals_notified_on,
                             owed.hhs if owed else None, incident.hhs_notified_on,
                             owed.media if owed else None, incident.media_notified_on])
    breaches = sum(1 for r in section.rows if r[4] == "breach")
    undecided = sum(1 for r in section.rows if not r[4])
    section.summary = f"{len(section.rows)} incidents, {breaches} breaches, {undecided} not yet assessed"
    return section


def _privacy(start: dt.date, end: dt.date) -> Section:
    section = Section("privacy_requests.csv", "Privacy requests and their timeliness",
                      ["request", "kind", "received_on", "identity_verified", "due_on", "extended_on", "status",
                       "decided_on", "on_time"])
    late = 0
    for r in (PrivacyRequest.select().where((PrivacyRequest.received_on >= start) & (PrivacyRequest.received_on <= end))
              .order_by(PrivacyRequest.received_on, PrivacyRequest.id)):
        timely = rules.on_time(r.due_on, r.decided_on)
        late += timely is False
        section.rows.append([r.id, rules.REQUEST_BY_KEY[r.kind].title, r.received_on,
                             "yes" if r.identity_verified else "no", r.due_on, r.extended_on, r.status, r.decided_on,
                             "" if timely is None else ("yes" if timely else "no")])
    section.summary = f"{len(section.rows)} requests, {late} answered late"
    return section


def _credentials(today: dt.date) -> Section:
    section = Section("credentials.csv", "Credentialing status",
                      ["holder", "npi", "credential", "state", "number", "issuer", "status", "effective_on", "due_on",
                       "colour", "last_verified_on"])
    verified = dict(Verification.select(Verification.credential, fn.MAX(Verification.verified_on))
                    .group_by(Verification.credential).tuples())
    rows = (credentials.active().select(Credential, StaffMember)
            .join(StaffMember, JOIN.LEFT_OUTER, on=(Credential.staff == StaffMember.id), attr="owner")
            .order_by(StaffMember.last_name, Credential.kind))
    colours = {"red": 0, "amber": 0, "green": 0}
    for c in rows:
        owner = getattr(c, "owner", None) if c.staff_id else None
        colour = credentials.item_colour(c, today)
        colours[colour] += 1
        section.rows.append([owner.display_name if owner else "The practice", owner.npi if owner else "",
                             rules.KIND_BY_KEY[c.kind].title, c.state, c.number, c.issuer, c.status, c.effective_on,
                             c.due_on, colour, verified.get(c.id)])
    section.summary = f"{colours['red']} lapsed, {colours['amber']} due within 90 days, {colours['green']} current"
    return section


def _screening(start: dt.date, end: dt.date) -> Section:
    section = Section("screening.csv", "Exclusion screening history",
                      ["run_at", "run_by", "lists", "screened", "possible_matches", "person", "list_entry", "source",
                       "list_date", "matched_on", "status", "note", "reviewed_by"])
    low, high = days_utc(start, end)
    runs = list(ScreeningRun.select().where((ScreeningRun.run_at >= low) & (ScreeningRun.run_at < high))
                .order_by(ScreeningRun.run_at))
    matches: dict[int, list] = {}
    for m in ScreeningMatch.select().where(ScreeningMatch.run.in_([r.id for r in runs])).order_by(ScreeningMatch.id):
        matches.setdefault(m.run_id, []).append(m)
    for run in runs:
        base = [run.run_at.isoformat(), run.run_by, run.lists, run.screened, run.possible_matches]
        found = matches.get(run.id, [])
        if not found:
            section.rows.append(base + [""] * 8)
        for m in found:
            section.rows.append(base + [m.subject_name, m.entry_name, screening.SOURCES.get(m.source, m.source),
                                        m.list_date, m.matched_on, m.status, m.note, m.reviewed_by])
    months = len({r.run_at.strftime("%Y-%m") for r in runs})
    section.summary = f"{len(runs)} screenings in {months} months"
    return section


def _audit(start: dt.date, end: dt.date) -> Section:
    section = Section("audit_log_summary.csv", "Audit log summary", ["action", "entries"])
    low, high = days_utc(start, end)
    count = fn.COUNT(AuditEvent.id)
    for action, entries in (AuditEvent.select(AuditEvent.action, count)
                            .where((AuditEvent.at >= low) & (AuditEvent.at < high))
                            .group_by(AuditEvent.action).order_by(AuditEvent.action).tuples()):
        section.rows.append([action, entries])
    section.summary = f"{sum(r[1] for r in section.rows)} entries of {len(section.rows)} kinds"
    return section


def sections(start: dt.date, end: dt.date, today: dt.date) -> list[Section]:
    """Every CSV of the binder, in the order the summary lists them."""
    library, signatures = _policies(today)
    return [library, signatures, _training(today), _risk(end), _associates(), _incidents(start, end),
            _privacy(start, end), _credentials(today), _screening(start, end), _audit(start, end)]


def _csv(section: Section) -> bytes:
    stream = io.StringIO()
    writer = CsvWriter(stream)
    writer.writerow(section.header)
    writer.writerows(section.rows)
    return stream.getvalue().encode("utf-8")


def build(start: dt.date, end: dt.date, today: dt.date, *, by: str) -> bytes:
    """The binder as zip bytes: ``summary.pdf`` and one CSV per section. The export is audited."""
    if end < start:
        raise ValueError("The end date must be on or after the start date.")
    parts = sections(start, end, today)
    verified = audit.verify()
    # Rendered without a request (the command line builds binders too): the page needs only filters.
    html = current_app.jinja_env.get_template("compliance/binder_summary.html").render(
        start=start, end=end, sections=parts, verified=verified, made_at=utcnow(), by=by)
    from medoffice.reports.render import to_pdf

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("summary.pdf", to_pdf(html))
        for section in parts:
            archive.writestr(section.name, _csv(section))
        archive.writestr("audit_verify.txt", (f"ok: {verified.ok}\nchecked: {verified.checked}\n"
                                              f"anchored: {verified.anchored}\nproblem: {verified.problem}\n"))
    with transaction():
        audit.record("compliance.binder.export", "compliance_binder", "",
                     detail={"start": start.isoformat(), "end": end.isoformat(), "audit_ok": verified.ok})
    return buffer.getvalue()

"""The auditor's report: who acknowledged which version of which document, when and how (one row per
signature, with the SHA-256 of the text signed). Core's report pages give it a table, CSV (through
``medoffice.csvexport``), PDF and print view, and audit each run."""
from __future__ import annotations

import datetime as dt

import peewee as pw

from ..contributions import Column, ReportParam, ReportResult, ReportSpec
from ..models import User
from ..reports.core_reports import check_date_range
from ..localtime import day_start_utc
from ..settings import practice_timezone, today
from .kinds import kind_title, kinds
from .models import METHODS, Acknowledgment, Document, DocumentVersion


def acknowledgments(start: dt.date, end: dt.date, kind: str | None = None) -> ReportResult:
    """Signatures recorded from ``start`` to ``end`` (practice-local dates, both included), of one kind
    of document or all, oldest first."""
    signer, recorder = User.alias("signer"), User.alias("recorder")
    query = (Acknowledgment
             .select(Acknowledgment.at, Acknowledgment.signed_on, Acknowledgment.method, Acknowledgment.text_sha256,
                     Acknowledgment.address, Acknowledgment.note, DocumentVersion.number, DocumentVersion.effective_on,
                     DocumentVersion.title, Document.kind, Document.id.alias("document_id"),
                     signer.full_name.alias("person"), signer.username.alias("username"),
                     recorder.full_name.alias("recorder"))
             .join(DocumentVersion).join(Document)
             .switch(Acknowledgment).join(signer, on=(Acknowledgment.user == signer.id))
             .switch(Acknowledgment).join(recorder, pw.JOIN.LEFT_OUTER, on=(Acknowledgment.recorded_by == recorder.id))
             .where((Acknowledgment.at >= day_start_utc(start))
                    & (Acknowledgment.at < day_start_utc(end + dt.timedelta(days=1)))))
    if kind:
        query = query.where(Document.kind == kind)
    zone = practice_timezone()
    rows = [{
        "document": row["title"], "kind": kind_title(row["kind"]), "version": row["number"],
        "effective_on": row["effective_on"], "person": row["person"], "username": row["username"],
        "recorded_at": row["at"].astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"), "signed_on": row["signed_on"],
        "method": METHODS.get(row["method"], row["method"]), "text_sha256": row["text_sha256"],
        "address": row["address"], "recorded_by": row["recorder"] or "", "note": row["note"],
    } for row in query.order_by(Acknowledgment.at, Acknowledgment.id).dicts()]
    return ReportResult(
        columns=[Column("document", "Document"), Column("kind", "Kind"), Column("version", "Version", "int"),
                 Column("effective_on", "Effective", "date"), Column("person", "Person"),
                 Column("username", "User name"), Column("signed_on", "Signed on", "date"),
                 Column("recorded_at", "Recorded at"), Column("method", "How"),
                 Column("text_sha256", "SHA-256 of the text signed"), Column("address", "Client address"),
                 Column("recorded_by", "Paper signature recorded by"), Column("note", "Note")],
        rows=rows,
        notes="One row per signature. An electronic signature was given in medoffice with the person's password "
              "re-entered, from the client address shown; a paper signature was recorded by the person named, "
              "with a note on where the signed page is kept. The SHA-256 identifies the exact text signed: "
              "compare it with the version's page.",
    )


def _kind_choices() -> list[tuple[str, str]]:
    return sorted(((k.name, k.title) for k in kinds().values()), key=lambda pair: pair[1].lower())


ACKNOWLEDGMENTS = ReportSpec(
    id="core.document_acknowledgments",
    title="Document acknowledgments",
    description="Who acknowledged which version of which document, when, how, and the hash of the text signed.",
    permission="core.documents.audit",
    category="Compliance",
    run=acknowledgments,
    check=check_date_range,
    params=[
        ReportParam("start", "Recorded from", kind="date", required=True,
                    default=lambda: today() - dt.timedelta(days=365)),
        ReportParam("end", "To", kind="date", required=True, default=today),
        ReportParam("kind", "Kind of document", kind="choice", choices=_kind_choices),
    ],
)

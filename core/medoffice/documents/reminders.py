"""Acknowledgment reminders through core's deadlines: one deadline per person and version still to
be acknowledged, assigned to that person, owned by the module that declares the document's kind.

The deadlines service reminds (by staff message) before the due date, marks it overdue, escalates to
the office manager, and shows it in Today and on the calendar. The due date is the grace period
(setting ``core.documents_grace_days``) after the version asking for acknowledgment took effect, or
after the person was first asked when that is later (a new hire). A version published without asking
again carries each pending person's due date over. Acknowledging closes the person's deadline as
done; a new version, retiring the document or leaving its audience supersedes it.
"""
from __future__ import annotations

import datetime as dt

from flask import current_app

from .. import deadlines, settings
from ..db import transaction
from ..deadlines.models import Deadline
from .models import Document, DocumentVersion

ACK_KIND = "core.document_acknowledgment"


GRACE_SETTING = "core.documents_grace_days"


def grace_days() -> int:
    """Days a person has to acknowledge a version after it takes effect (setting ``core.documents_grace_days``)."""
    return int(settings.get(GRACE_SETTING, 14))


def key_for(document_id: int, number: int, user_id: int) -> str:
    """The deadline key of one person's acknowledgment of one version."""
    return f"document:{document_id}:v{number}:user:{user_id}"


def owner_of(document: Document) -> str:
    """The module the document's deadlines belong to: the one declaring its kind."""
    return owner_of_kind(document.kind)


def owner_of_kind(kind: str) -> str:
    """The module the deadlines of documents of ``kind`` belong to: the one declaring it."""
    return kind.split(".", 1)[0]


def _open(document: Document) -> list[Deadline]:
    return list(Deadline.select().where((Deadline.owner == owner_of(document)) & (Deadline.state == "open")
                                        & Deadline.key.startswith(f"document:{document.id}:")))


def _reason(document: Document, key: str) -> str:
    if document.state == "retired":
        return "The document was retired."
    if document.ack_from is None:
        return "This document no longer asks for an acknowledgment."
    if not key.startswith(f"document:{document.id}:v{document.current_number}:"):
        return "A newer version was published."
    return "No longer among the people this document is addressed to."


def sync(document: Document, today: dt.date | None = None) -> dict[str, int]:
    """Bring the document's acknowledgment deadlines in line with who still has to acknowledge it
    (inside the caller's transaction, if any). Returns how many were written and superseded."""
    from .status import pending_users  # status reads these deadlines for due dates

    today = today or settings.today()
    owner = owner_of(document)
    rows = _open(document)
    wanted: dict[str, int] = {}
    written = 0
    if (document.state == "published" and document.ack_from is not None
            and owner in current_app.extensions["medoffice"].host.plugins):
        baseline = DocumentVersion.get((DocumentVersion.document == document)
                                       & (DocumentVersion.number == document.ack_from))
        fresh = max(baseline.effective_on, today) + dt.timedelta(days=grace_days())
        carry = document.ack_from < document.current_number  # published without asking again
        by_user = {r.assignee_user_id: r for r in rows}
        for user_id in pending_users(document):
            key = key_for(document.id, document.current_number, user_id)
            wanted[key] = user_id
            earlier = by_user.get(user_id)
            due = earlier.due if earlier is not None and (earlier.key == key or carry) else fresh
            deadlines.upsert(owner, key, title=f"Read and acknowledge: {document.title} (version "
                                               f"{document.current_number})",
                             due=due, kind=ACK_KIND, assignee_user=user_id,
                             concerns=("core_document", document.id, "core.document_read",
                                       {"document_id": document.id}))
            written += 1
    superseded = 0
    for row in rows:
        if row.key not in wanted:
            deadlines.supersede(owner, row.key, reason=_reason(document, row.key))
            superseded += 1
    return {"written": written, "superseded": superseded}


def close_for(document: Document, user_id: int, note: str, by: str) -> None:
    """Mark the person's open acknowledgment deadlines of this document done (they acknowledged)."""
    for row in _open(document):
        if row.assignee_user_id == user_id:
            deadlines.complete(row.id, note=note, by=by)


def sync_all() -> str:
    """The daily job: bring every published document's reminders in line (people who joined a role or
    a location, or left one, since the document was published). Returns the run's message."""
    written = superseded = 0
    for document in Document.select().where(Document.state == "published").order_by(Document.id):
        with transaction():
            counts = sync(document)
        written += counts["written"]
        superseded += counts["superseded"]
    return f"{written} acknowledgment reminder{'s' if written != 1 else ''} checked, {superseded} superseded."

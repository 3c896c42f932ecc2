"""What pages and plugins call to keep documents: ``create`` one with its first draft, ``save_draft``,
``start_draft`` (the next version from the current one), ``publish`` (the draft becomes the version in
force, immutable), ``retire``, ``set_details`` (owner, audience), ``discard_draft`` and ``delete``
(a document never published). Each change is one transaction with its audit entry; the audit names
versions and text hashes, never the text. Who may call what is the pages' business (the kind's
``manage_permission``); these functions check the data.
"""
from __future__ import annotations

import datetime as dt

from .. import audit, prepared
from ..db import transaction, utcnow
from ..prepared import slot
from ..limits import date_problem
from ..markdown_service import MAX_LENGTH
from ..models import User
from . import reminders
from .audience import Audience, stored
from .kinds import kind_of
from .models import Document, DocumentAudience, DocumentVersion, normalise_text, text_hash

MAX_TITLE = 200
MAX_SUMMARY = 2000


class DocumentError(ValueError):
    """A document cannot be written or changed as asked; the message says why, for staff."""


def _title(title: str) -> str:
    title = " ".join(str(title or "").split())
    if not title or len(title) > MAX_TITLE:
        raise DocumentError(f"title: a document needs a title of at most {MAX_TITLE} characters.")
    return title


def _body(body: str) -> str:
    body = normalise_text(body)
    if len(body) > MAX_LENGTH:
        raise DocumentError(f"text: keep a document under {MAX_LENGTH:,} characters.")
    return body


def _owner(owner) -> int:
    owner_id = getattr(owner, "id", owner)
    if not isinstance(owner_id, int) or not User.select().where((User.id == owner_id) & (User.active == True)).exists():  # noqa: E712
        raise DocumentError("owner: choose an active user.")
    return owner_id


def _user_id(by) -> int | None:
    return getattr(by, "id", by)


def _audience(audience: Audience) -> Audience:
    problem = audience.problem()
    if problem:
        raise DocumentError(problem)
    return audience


def _write_audience(document: Document, audience: Audience) -> None:
    DocumentAudience.delete().where(DocumentAudience.document == document).execute()
    rows = [{"document": document.id, **row} for row in audience.rows()]
    if rows:
        DocumentAudience.insert_many(rows).execute()


def _audit(action: str, document: Document, **detail) -> None:
    audit.record(action, "core_document", document.id, detail={"kind": document.kind, **detail})


def draft_of(document: Document) -> DocumentVersion | None:
    """The document's draft version, or None."""
    return DocumentVersion.get_or_none((DocumentVersion.document == document) & (DocumentVersion.state == "draft"))


def current_of(document: Document) -> DocumentVersion | None:
    """The published version in force, or None."""
    return DocumentVersion.get_or_none((DocumentVersion.document == document) & (DocumentVersion.state == "published"))


def version_of(document: Document, number: int) -> DocumentVersion | None:
    """Version ``number`` of the document, or None."""
    return DocumentVersion.get_or_none((DocumentVersion.document == document) & (DocumentVersion.number == number))


_PUBLISHED = (Document.select().where((Document.kind == slot("kind")) & (Document.state == "published"))
              .order_by(Document.title, Document.id))


def published(kind: str) -> list[Document]:
    """The published documents of ``kind`` (retired ones and those never published left out), by title."""
    return list(prepared.run(_PUBLISHED, "documents.published", kind=kind))


def create(kind: str, title: str, *, owner, audience: Audience = Audience(), body: str = "", by=None) -> Document:
    """A new document of ``kind`` with version 1 as a draft.

    :param owner: the user responsible for it (a row or id).
    :param audience: who must read it once published (roles, locations, staff, users).
    :raises DocumentError: an unknown kind, a missing title, an unknown owner or audience member.
    """
    if kind_of(kind) is None:
        raise DocumentError(f"kind: no installed module declares the document kind {kind!r}.")
    title, body, owner_id, audience = _title(title), _body(body), _owner(owner), _audience(audience)
    now = utcnow()
    with transaction():
        document = Document.create(kind=kind, title=title, owner=owner_id, created_at=now, updated_at=now)
        _write_audience(document, audience)
        DocumentVersion.create(document=document, number=1, title=title, body=body, created_at=now,
                               updated_at=now, created_by=_user_id(by))
        _audit("document.create", document, title=title, audience=audience.as_dict())
    return document


def set_details(document: Document, *, owner, audience: Audience) -> Document:
    """Change who owns the document and who it is addressed to (the title changes with a version).
    A changed audience brings the acknowledgment reminders in line at once."""
    owner_id, audience = _owner(owner), _audience(audience)
    before, owner_before = stored(document), document.owner_id
    with transaction():
        Document.update(owner=owner_id, updated_at=utcnow()).where(Document.id == document.id).execute()
        _write_audience(document, audience)
        document = Document.get_by_id(document.id)
        _audit("document.update", document, owner={"before": owner_before, "after": owner_id},
               audience={"before": before.as_dict(), "after": audience.as_dict()})
        if before != audience:
            reminders.sync(document)
    return document


def save_draft(document: Document, *, title: str, body: str, by=None) -> DocumentVersion:
    """Save the draft's title and text.

    :raises DocumentError: there is no draft (published versions never change), or a value is wrong.
    """
    title, body = _title(title), _body(body)
    with transaction():
        draft = draft_of(document)
        if draft is None:
            raise DocumentError("This document has no draft: start a new version to change it. "
                                "A published version is never changed.")
        before = text_hash(draft.body)
        changed = DocumentVersion.update(title=title, body=body, updated_at=utcnow()).where(
            (DocumentVersion.id == draft.id) & (DocumentVersion.state == "draft")).execute()
        if not changed:
            raise DocumentError("This draft was published meanwhile: it can no longer be changed.")
        if document.state == "draft":
            Document.update(title=title, updated_at=utcnow()).where(Document.id == document.id).execute()
        _audit("document.draft.save", document, version=draft.number, title=title,
               text_sha256={"before": before, "after": text_hash(body)})
    return DocumentVersion.get_by_id(draft.id)


def start_draft(document: Document, *, by=None) -> DocumentVersion:
    """Start the next version as a draft holding the newest version's title and text.

    :raises DocumentError: a draft already exists.
    """
    with transaction():
        if draft_of(document) is not None:
            raise DocumentError("This document already has a draft: edit it, or discard it first.")
        newest = (DocumentVersion.select().where(DocumentVersion.document == document)
                  .order_by(DocumentVersion.number.desc()).first())
        now = utcnow()
        draft = DocumentVersion.create(document=document, number=newest.number + 1, title=newest.title,
                                       body=newest.body, created_at=now, updated_at=now, created_by=_user_id(by))
        _audit("document.draft.start", document, version=draft.number, from_version=newest.number)
    return draft


def discard_draft(document: Document) -> None:
    """Delete the draft of a document that has published versions (a never-published document is
    deleted whole with :func:`delete`)."""
    with transaction():
        draft = draft_of(document)
        if draft is None:
            raise DocumentError("This document has no draft to discard.")
        if draft.number == 1:
            raise DocumentError("This document was never published: delete the document instead.")
        DocumentVersion.delete().where((DocumentVersion.id == draft.id) & (DocumentVersion.state == "draft")).execute()
        _audit("document.draft.discard", document, version=draft.number, text_sha256=text_hash(draft.body))


def delete(document: Document) -> None:
    """Delete a document that was never published (its only version is a draft)."""
    with transaction():
        if DocumentVersion.select().where((DocumentVersion.document == document)
                                          & (DocumentVersion.state != "draft")).exists():
            raise DocumentError("A document that was published is never deleted: retire it instead.")
        _audit("document.delete", document, title=document.title)
        DocumentVersion.delete().where(DocumentVersion.document == document).execute()
        DocumentAudience.delete().where(DocumentAudience.document == document).execute()
        Document.delete().where(Document.id == document.id).execute()


def publish(document: Document, *, effective_on: dt.date, summary: str, requires_acknowledgment: bool,
            by=None) -> DocumentVersion:
    """Publish the draft: it becomes the version in force and never changes again (its text hash,
    effective date and summary of changes are fixed); the version it replaces is retired.

    :param requires_acknowledgment: the audience must acknowledge this version; when False, an
        acknowledgment of an earlier version that asked for one still counts.
    :raises DocumentError: no draft, an empty text, no summary, or a date out of range.
    """
    summary = normalise_text(summary).strip()
    if not summary:
        raise DocumentError("summary: say what this version changes (for the first one, what the document is).")
    if len(summary) > MAX_SUMMARY:
        raise DocumentError(f"summary: keep it under {MAX_SUMMARY:,} characters.")
    if not isinstance(effective_on, dt.date) or isinstance(effective_on, dt.datetime):
        raise DocumentError("effective date: give the date this version takes effect.")
    if date_problem(effective_on):
        raise DocumentError(f"effective date: {date_problem(effective_on)}")
    now = utcnow()
    with transaction():
        document = Document.get_by_id(document.id)  # the caller's row may predate an earlier publish
        draft = draft_of(document)
        if draft is None:
            raise DocumentError("This document has no draft to publish.")
        if not draft.body.strip():
            raise DocumentError("The draft has no text yet: write it before publishing.")
        previous = current_of(document)
        if previous is not None:
            DocumentVersion.update(state="retired", retired_at=now).where(DocumentVersion.id == previous.id).execute()
        digest = text_hash(draft.body)
        published = DocumentVersion.update(
            state="published", summary=summary, effective_on=effective_on, requires_acknowledgment=bool(requires_acknowledgment),
            text_sha256=digest, published_at=now, published_by=_user_id(by), updated_at=now,
        ).where((DocumentVersion.id == draft.id) & (DocumentVersion.state == "draft")).execute()
        if not published:
            raise DocumentError("This draft was published meanwhile.")
        ack_from = draft.number if requires_acknowledgment else document.ack_from
        Document.update(state="published", title=draft.title, current_number=draft.number, ack_from=ack_from,
                        retire_reason="", updated_at=now).where(Document.id == document.id).execute()
        document = Document.get_by_id(document.id)
        _audit("document.publish", document, version=draft.number, text_sha256=digest,
               effective_on=effective_on.isoformat(), requires_acknowledgment=bool(requires_acknowledgment),
               replaces=previous.number if previous else None)
        reminders.sync(document)
    return DocumentVersion.get_by_id(draft.id)


def retire(document: Document, *, reason: str, by=None) -> Document:
    """Withdraw a published document: its version in force is retired, nobody needs to acknowledge it
    any more (open reminders are superseded); its versions and signatures stay."""
    reason = normalise_text(reason)
    if not reason:
        raise DocumentError("reason: say why the document is retired.")
    if len(reason) > MAX_SUMMARY:
        raise DocumentError(f"reason: keep it under {MAX_SUMMARY:,} characters.")
    now = utcnow()
    with transaction():
        current = current_of(document)
        if current is None:
            raise DocumentError("Only a published document can be retired.")
        DocumentVersion.update(state="retired", retired_at=now).where(DocumentVersion.id == current.id).execute()
        Document.update(state="retired", retire_reason=reason, updated_at=now).where(Document.id == document.id).execute()
        document = Document.get_by_id(document.id)
        _audit("document.retire", document, version=current.number, reason=reason)
        reminders.sync(document)
    return document

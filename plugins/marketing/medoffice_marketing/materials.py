"""The materials library: handouts, ads, web copy and letters kept as core versioned documents (written,
published, printed and made PDF on core's Documents pages), with images as files, a review date as a
deadline, an approval of the version in force (a clinician's for clinical content) and a readability
grade from textstat shown beside the practice's target."""
from __future__ import annotations

import datetime as dt
import re
from functools import cache

import textstat
from medoffice import audit, deadlines, documents, prepared, settings
from medoffice.db import transaction, utcnow
from medoffice.documents.models import Document, DocumentVersion
from medoffice.models import StaffMember, User
from medoffice.prepared import slot

from .models import Material

DOCUMENT_KIND = "marketing.material"
IMAGE_KIND = "marketing.material_image"
REVIEW_KIND = "marketing.material_review"
KINDS = {"handout": "Patient education handout", "ad": "Advertisement", "web": "Web copy", "letter": "Letter"}
GRADE_LOW = "marketing.reading_grade_low"
GRADE_HIGH = "marketing.reading_grade_high"

_MARKUP = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[([^\]]*)\]\([^)]*\)|[#*_>`|~-]+")


class MaterialError(ValueError):
    """Refused; the message says why."""


def plain_text(markdown: str) -> str:
    """The words of a markdown text, without its markup (links keep their text)."""
    return _MARKUP.sub(lambda m: m.group(1) or " ", markdown)


def reading_grade(markdown: str) -> float | None:
    """The US school grade needed to read the text (Flesch-Kincaid, by textstat); None for too little text."""
    text = plain_text(markdown)
    if len(text.split()) < 10:
        return None
    return round(max(textstat.flesch_kincaid_grade(text), 0.0), 1)


def target() -> tuple[int, int]:
    """The practice's target reading grades for patient material (6 to 8 by default)."""
    low, high = int(settings.get(GRADE_LOW, 6)), int(settings.get(GRADE_HIGH, 8))
    return min(low, high), max(low, high)


def grade_verdict(grade: float | None) -> str:
    """``on_target``, ``too_hard``, ``below`` or ``unknown``."""
    if grade is None:
        return "unknown"
    low, high = target()
    return "too_hard" if grade > high + 0.5 else "below" if grade < low - 0.5 else "on_target"


def create(title: str, kind: str, clinical: bool, review_on: dt.date | None, body: str, owner_id: int) -> Material:
    """A new piece: a core document (version 1 a draft) and its library entry, with its review deadline."""
    if kind not in KINDS:
        raise MaterialError("Choose what kind of piece it is.")
    with transaction():
        document = documents.create(DOCUMENT_KIND, title, owner=owner_id, body=body)
        material = Material.create(document_id=document.id, kind=kind, clinical=clinical, review_on=review_on)
        _review_deadline(material, title)
        audit.record("marketing.material.create", "marketing_material", material.id,
                     detail={"document_id": document.id, "kind": kind, "clinical": clinical})
    return material


def _review_deadline(material: Material, title: str) -> None:
    if material.review_on is None:
        deadlines.supersede("marketing", f"material-review:{material.id}", reason="No review date")
        return
    deadlines.upsert("marketing", f"material-review:{material.id}", title=f"Review material: {title}"[:200],
                     due=material.review_on, kind=REVIEW_KIND, assignee_role="office_manager",
                     concerns=("marketing_material", material.id, "marketing.material", {"material_id": material.id}))


def set_review(material: Material, review_on: dt.date | None) -> None:
    """Change the review date; the deadline follows (a new date starts a new cycle)."""
    with transaction():
        Material.update(review_on=review_on).where(Material.id == material.id).execute()
        material = Material.get_by_id(material.id)
        _review_deadline(material, document_of(material).title)
        audit.record("marketing.material.review_date", "marketing_material", material.id,
                     detail={"review_on": review_on.isoformat() if review_on else None})


def document_of(material: Material):
    """The core document behind a piece."""
    return Document.get_by_id(material.document_id)


def may_approve(user_id: int, material: Material) -> str | None:
    """Why this user may not approve the piece, or None: clinical content needs a provider's login."""
    if not material.clinical:
        return None
    user = User.get_or_none(User.id == user_id)
    staff = StaffMember.get_or_none(StaffMember.id == user.staff_id) if user and user.staff_id else None
    if staff is None or not staff.is_provider:
        return "Clinical content is approved by a clinician: a provider's login must approve it."
    return None


def approve(material: Material, user_id: int, username: str) -> int:
    """Approve the version in force; returns its number.

    :raises MaterialError: nothing published, or a non-clinician approving clinical content.
    """
    current = documents.current_of(document_of(material))
    if current is None:
        raise MaterialError("Publish the piece on its document page first: only a published version is approved.")
    why = may_approve(user_id, material)
    if why:
        raise MaterialError(why)
    with transaction():
        Material.update(approved_version=current.number, approved_by=username, approved_at=utcnow()).where(
            Material.id == material.id).execute()
        audit.record("marketing.material.approve", "marketing_material", material.id,
                     detail={"version": current.number, "sha256": current.text_sha256})
    return current.number


def _status(material: Material, document, current, draft) -> dict:
    text = current.body if current else (draft.body if draft else "")
    grade = reading_grade(text)
    return {"document": document, "current": current, "grade": grade, "verdict": grade_verdict(grade),
            "approved": current is not None and material.approved_version == current.number}


def status(material: Material) -> dict:
    """The piece's version in force, whether that version is approved, and its reading grade."""
    document = document_of(material)
    return _status(material, document, documents.current_of(document), documents.draft_of(document))


@cache
def _statuses_queries(size: int) -> tuple:
    """The documents of ``size`` pieces (slots ``id0``...) and their published and draft versions, compiled once
    per number of pieces (peewee built both statements on every view of the library: over half its time)."""
    ids = [slot(f"id{n}") for n in range(size)]
    return (Document.select().where(Document.id.in_(ids)),
            DocumentVersion.select().where(DocumentVersion.document.in_(ids)
                                           & DocumentVersion.state.in_(("published", "draft"))))


def statuses(pieces: list[Material]) -> list[tuple[Material, dict]]:
    """``status`` for many pieces in two queries (their documents, their published and draft versions)."""
    ids = {f"id{n}": m.document_id for n, m in enumerate(pieces)}
    if not ids:
        return []
    of_documents, of_versions = _statuses_queries(len(ids))
    docs = {d.id: d for d in prepared.run(of_documents, ("marketing.material_documents", len(ids)), **ids)}
    versions = {(v.document_id, v.state): v
                for v in prepared.run(of_versions, ("marketing.material_versions", len(ids)), **ids)}
    return [(m, _status(m, docs[m.document_id], versions.get((m.document_id, "published")),
                        versions.get((m.document_id, "draft")))) for m in pieces]

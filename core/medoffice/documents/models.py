"""The documents service's tables: documents (core_document), who each is addressed to
(core_document_audience), their versions (core_document_version) and the signatures on them
(core_document_acknowledgment)."""
from __future__ import annotations

import hashlib

import peewee as pw

from ..db import BaseModel, UTCDateTimeField, utcnow
from ..models import Location, Role, StaffMember, User

DOCUMENT_STATES = {"draft": "Draft", "published": "Published", "retired": "Retired"}
VERSION_STATES = {"draft": "Draft", "published": "Published", "retired": "Retired"}
METHODS = {"electronic": "Electronic signature", "paper": "Paper signature"}


def normalise_text(text: str | None) -> str:
    """Markdown as stored: line endings as ``\\n`` (a browser posts ``\\r\\n``), no trailing spaces at the end."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").rstrip()


def text_hash(text: str) -> str:
    """The SHA-256 (hex) of a version's markdown text as stored, encoded in UTF-8: what a signature names."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


class Document(BaseModel):
    """A document of a declared kind with its versions. ``state`` follows its versions: ``draft``
    until a version is published, ``published`` while one is in force, ``retired`` once withdrawn.

    ``current_number`` is the published version in force; ``ack_from`` the number of the version
    from which an acknowledgment counts (the newest one published asking for it), None when nobody
    needs to acknowledge anything. Both are written with the version they follow, in one transaction.
    """

    kind = pw.CharField(max_length=120)
    title = pw.CharField(max_length=200)
    owner = pw.ForeignKeyField(User, backref="owned_documents")
    state = pw.CharField(max_length=12, default="draft")
    current_number = pw.IntegerField(null=True)
    ack_from = pw.IntegerField(null=True)
    retire_reason = pw.TextField(default="")
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_document"
        indexes = ((("state", "kind"), False),)


class DocumentAudience(BaseModel):
    """One line of a document's audience: exactly one of a role, a location (its staff), a named
    staff member (their login) or a user."""

    document = pw.ForeignKeyField(Document, backref="audience", on_delete="CASCADE")
    role = pw.ForeignKeyField(Role, null=True, on_delete="CASCADE")
    location = pw.ForeignKeyField(Location, null=True, on_delete="CASCADE")
    staff = pw.ForeignKeyField(StaffMember, null=True, on_delete="CASCADE")
    user = pw.ForeignKeyField(User, null=True, on_delete="CASCADE")

    class Meta:
        table_name = "core_document_audience"


class DocumentVersion(BaseModel):
    """One version of a document: a ``draft`` (edited freely), then ``published`` (never changed
    again: its text hash, effective date and summary of changes are fixed), then ``retired`` when a
    newer version replaces it or the document is withdrawn."""

    document = pw.ForeignKeyField(Document, backref="versions", on_delete="CASCADE")
    number = pw.IntegerField()
    state = pw.CharField(max_length=12, default="draft")
    title = pw.CharField(max_length=200)
    body = pw.TextField(default="")
    summary = pw.TextField(default="")  # the summary of changes, given when it is published
    effective_on = pw.DateField(null=True)
    requires_acknowledgment = pw.BooleanField(default=False)
    text_sha256 = pw.CharField(max_length=64, default="")
    created_at = UTCDateTimeField(default=utcnow)
    created_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    updated_at = UTCDateTimeField(default=utcnow)
    published_at = UTCDateTimeField(null=True)
    published_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    retired_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "core_document_version"
        indexes = ((("document", "number"), True),)

    @property
    def is_draft(self) -> bool:
        """True while the version may still be edited."""
        return self.state == "draft"

    @property
    def text_intact(self) -> bool:
        """True when the text still has the hash it was published with (always true for a draft)."""
        return self.is_draft or text_hash(self.body) == self.text_sha256


class Acknowledgment(BaseModel):
    """A person's signature on one published version: ``electronic`` (signed in medoffice with the
    password re-entered, from ``address``) or ``paper`` (recorded by ``recorded_by`` from a signed
    page, dated ``signed_on``, with a note). ``text_sha256`` is the hash of the text signed."""

    version = pw.ForeignKeyField(DocumentVersion, backref="acknowledgments")
    user = pw.ForeignKeyField(User, backref="acknowledgments")
    method = pw.CharField(max_length=12)
    text_sha256 = pw.CharField(max_length=64)
    at = UTCDateTimeField(default=utcnow)
    signed_on = pw.DateField()
    address = pw.CharField(max_length=64, default="")
    recorded_by = pw.ForeignKeyField(User, null=True, backref="+")
    note = pw.TextField(default="")

    class Meta:
        table_name = "core_document_acknowledgment"
        indexes = ((("version", "user"), True), (("user", "at"), False))


DOCUMENT_MODELS = [Document, DocumentAudience, DocumentVersion, Acknowledgment]

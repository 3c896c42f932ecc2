"""Acknowledgments: a person signs the version in force with their password re-entered (an
electronic signature), or a manager records a signature on paper.

An electronic signature records who, when, which version, the SHA-256 of the text signed and the
client address. The password is checked by ``security.confirm_password``: a wrong one counts as a
failed login toward the lockout, and a locked user name cannot sign. The form carries the version
number and text hash the person read, so a version published while they were reading is never
signed unseen. Each signature closes the person's reminder deadline as done and is audited.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw

from .. import audit, files, settings
from ..auth import security
from ..files import api as file_api
from ..db import transaction, utcnow
from ..models import User
from . import reminders
from .api import MAX_SUMMARY, DocumentError, current_of, version_of
from .audience import includes
from .models import Acknowledgment, Document, DocumentVersion, normalise_text


class SignatureRefused(DocumentError):
    """The password was not accepted (wrong, or the user name is locked); nothing was signed."""


def _refusal(outcome) -> str:
    if outcome.status == security.LOCKED:
        minutes = max(1, int(outcome.retry_after.total_seconds() // 60) + 1) if outcome.retry_after else None
        return ("Too many wrong passwords: your user name is locked" +
                (f" for about {minutes} minute{'s' if minutes != 1 else ''}." if minutes else ".") +
                " Nothing was signed.")
    if outcome.status == security.THROTTLED:
        return "Too many failed passwords from this computer: try again later. Nothing was signed."
    return "That is not your password. Nothing was signed."


def _record(document: Document, version: DocumentVersion, user: User, *, method: str, signed_on: dt.date,
            address: str = "", recorded_by: int | None = None, note: str = "") -> Acknowledgment:
    with transaction():
        try:
            with transaction():
                ack = Acknowledgment.create(version=version, user=user, method=method, text_sha256=version.text_sha256,
                                            at=utcnow(), signed_on=signed_on, address=address[:64],
                                            recorded_by=recorded_by, note=note)
        except pw.IntegrityError:
            raise DocumentError(f"{user.full_name} already acknowledged version {version.number}.") from None
        audit.record("document.acknowledge", "core_document_version", version.id,
                     detail={"document": document.id, "version": version.number, "user": user.id,
                             "method": method, "text_sha256": version.text_sha256,
                             "signed_on": signed_on.isoformat(), **({"recorded_by": recorded_by} if recorded_by else {})})
        if document.ack_from is not None and version.number >= document.ack_from:
            reminders.close_for(document, user.id, f"Acknowledged version {version.number} "
                                                   f"({'on paper' if method == 'paper' else 'electronic signature'}).",
                                by=user.username if method == "electronic" else None)
    return ack


def acknowledge(document: Document, user_id: int, password: str, *, version_number: int, text_sha256: str,
                address: str) -> Acknowledgment:
    """Sign the version in force of ``document`` as user ``user_id``, with their password re-entered.

    :param version_number, text_sha256: the version the person read (from the page they signed on).
    :raises SignatureRefused: the password was wrong or the user name is locked (counted as a failed login).
    :raises DocumentError: the version is no longer in force, was already signed, is not addressed to
        the person, or its text no longer matches its hash.
    """
    current = current_of(document)
    if current is None or current.number != version_number or current.text_sha256 != text_sha256:
        raise DocumentError("The version you read is no longer the one in force: read the current version "
                            "and sign again. Nothing was signed.")
    if not current.text_intact:
        raise DocumentError("The text of this version no longer matches the hash it was published with: "
                            "tell an administrator. Nothing was signed.")
    if not includes(document, user_id):
        raise DocumentError("This document is not addressed to you.")
    if Acknowledgment.select().where((Acknowledgment.version == current) & (Acknowledgment.user == user_id)).exists():
        raise DocumentError(f"You already acknowledged version {current.number}.")
    outcome = security.confirm_password(user_id, password, address, "document.acknowledge")
    if not outcome.ok:
        raise SignatureRefused(_refusal(outcome))
    return _record(document, current, outcome.user, method="electronic", signed_on=settings.today(), address=address)


SCAN_KIND = "core.signed_page"
SCAN_OBJECT = "document_acknowledgment"


def scans_of(acknowledgment_id: int) -> list:
    """The scanned pages attached to a paper signature (``medoffice.files`` attachments)."""
    return files.list_for("core", SCAN_OBJECT, acknowledgment_id, kind=SCAN_KIND)


def record_paper(document: Document, version_number: int, user_id: int, *, signed_on: dt.date, recorded_by: int,
                 note: str = "", scans=()) -> Acknowledgment:
    """Record a signature given on paper for a published (or since retired) version, with the scanned
    page attached through core's files (kind ``core.signed_page``, on object ``document_acknowledgment``).

    :param signed_on: the date written on the signed page: not before the version was published, not
        after today.
    :param scans: the scanned page(s): ``(bytes or binary file, name)`` pairs, or uploads a page
        received with ``medoffice.files.upload.receive_files``. Types are sniffed from the content.
    :param note: where the signed page is kept; required when no scan is attached.
    :raises DocumentError: a draft or unknown version, a person it is not addressed to, a bad date,
        a scan refused (type, size), neither scan nor note, or a signature already recorded. Nothing
        is written then.
    """
    kind = file_api.kind_named(SCAN_KIND)
    uploads = []
    try:
        for scan in scans:
            uploads.append(scan if isinstance(scan, file_api.Upload) else file_api.receive(kind, *scan))
        version = version_of(document, version_number)
        if version is None or version.is_draft:
            raise DocumentError("Choose a published version: a draft cannot be signed.")
        user = User.get_or_none(User.id == user_id)
        if user is None or not includes(document, user_id):
            raise DocumentError("person: choose someone this document is addressed to.")
        if not isinstance(signed_on, dt.date) or isinstance(signed_on, dt.datetime):
            raise DocumentError("signed on: give the date written on the signed page.")
        published_on = version.published_at.astimezone(settings.practice_timezone()).date()
        if signed_on > settings.today() or signed_on < published_on:
            raise DocumentError(f"signed on: a date from {published_on.isoformat()} (when version {version.number} "
                                f"was published) to today.")
        note = normalise_text(note).strip()
        if not note and not uploads:
            raise DocumentError("Attach the scanned page, or say in the note where the signed page is kept.")
        if len(note) > MAX_SUMMARY:
            raise DocumentError(f"note: keep it under {MAX_SUMMARY:,} characters.")
        problems = [problem for problem in (u.problem(kind) for u in uploads) if problem]
        if problems:
            raise DocumentError(" ".join(problems) + " Nothing was recorded.")
        with transaction():
            ack = _record(document, version, user, method="paper", signed_on=signed_on, recorded_by=recorded_by,
                          note=note)
            if uploads:
                file_api.store_uploads(uploads, "core", SCAN_OBJECT, ack.id, kind)
        return ack
    except file_api.FileError as exc:
        raise DocumentError(str(exc)) from None
    finally:
        for upload in uploads:
            upload.discard()

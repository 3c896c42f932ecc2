"""HIPAA 164.508 authorizations for testimonials and photos: the signed form kept as a file, its scope,
expiry and revocation, checked before a testimonial or photo is marked usable. Revoking or expiry
withdraws every use that rested on it."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, files
from medoffice.db import transaction

from .models import Authorization, Testimonial

USES = {"testimonial": "Testimonial", "photo": "Photo or video"}
FILE_KIND = "marketing.authorization"


class AuthorizationError(ValueError):
    """Refused; the message says what is missing."""


def patient_of(object_id: str) -> int | None:
    """The patient an authorization's files concern (for core's audit of file reads)."""
    row = Authorization.get_or_none(Authorization.id == int(object_id)) if str(object_id).isdecimal() else None
    return row.patient_id if row else None


def record(patient_id: int, use: str, scope: str, signed_on: dt.date, expires_on: dt.date, by: str) -> Authorization:
    """Record a signed authorization (attach the signed form next); audited."""
    if use not in USES:
        raise AuthorizationError("Choose what the authorization allows.")
    if not scope.strip():
        raise AuthorizationError("Describe the scope: what may be used, where and by whom.")
    if expires_on <= signed_on:
        raise AuthorizationError("A 164.508 authorization needs an expiry date after it was signed.")
    with transaction():
        row = Authorization.create(patient=patient_id, use=use, scope=scope.strip(), signed_on=signed_on,
                                   expires_on=expires_on, created_by=by)
        audit.record("marketing.authorization.create", "marketing_authorization", row.id, patient_id=patient_id,
                     detail={"use": use, "expires_on": expires_on.isoformat()})
    return row


def problem(authorization: Authorization | None, use: str, today: dt.date) -> str | None:
    """Why this authorization does not allow the use today, or None when it does."""
    if authorization is None:
        return "There is no signed authorization for this patient."
    if authorization.use != use:
        return f"The authorization covers a {USES[authorization.use].lower()}, not a {USES[use].lower()}."
    if authorization.revoked_on is not None:
        return f"The patient revoked the authorization on {authorization.revoked_on.isoformat()}."
    if authorization.expires_on < today:
        return f"The authorization expired on {authorization.expires_on.isoformat()}."
    if authorization.signed_on > today:
        return "The authorization is dated in the future."
    if not files.list_for("marketing", "authorization", authorization.id, kind=FILE_KIND):
        return "The signed form is not on file: attach the scan first."
    return None


def revoke(authorization: Authorization, on: dt.date, note: str) -> int:
    """Record a revocation; every testimonial resting on it stops being usable. Returns how many."""
    with transaction():
        Authorization.update(revoked_on=on, revoke_note=note.strip()[:200]).where(
            Authorization.id == authorization.id).execute()
        withdrawn = Testimonial.update(usable=False).where(
            (Testimonial.authorization == authorization.id) & (Testimonial.usable == True)).execute()  # noqa: E712
        audit.record("marketing.authorization.revoke", "marketing_authorization", authorization.id,
                     patient_id=authorization.patient_id, detail={"withdrawn": withdrawn})
    return withdrawn


def add_testimonial(patient_id: int, use: str, text: str) -> Testimonial:
    """Keep a testimonial or photo's description; it is not usable until marked so."""
    if use not in USES:
        raise AuthorizationError("Choose testimonial or photo.")
    with transaction():
        row = Testimonial.create(patient=patient_id, use=use, text=text.strip())
        audit.record("marketing.testimonial.create", "marketing_testimonial", row.id, patient_id=patient_id)
    return row


def mark_usable(testimonial: Testimonial, today: dt.date) -> Authorization:
    """Mark usable under the patient's newest authorization for that use that holds today.

    :raises AuthorizationError: none holds (the message says why the newest one does not).
    """
    newest = (Authorization.select().where((Authorization.patient == testimonial.patient_id)
                                           & (Authorization.use == testimonial.use))
              .order_by(Authorization.signed_on.desc(), Authorization.id.desc()).first())
    why = problem(newest, testimonial.use, today)
    if why:
        raise AuthorizationError(f"Not usable: {why}")
    with transaction():
        Testimonial.update(usable=True, authorization=newest).where(Testimonial.id == testimonial.id).execute()
        audit.record("marketing.testimonial.usable", "marketing_testimonial", testimonial.id,
                     patient_id=testimonial.patient_id, detail={"authorization_id": newest.id})
    return newest


def withdraw_expired(today: dt.date) -> int:
    """Unmark testimonials whose authorization has expired (the daily job); returns how many."""
    expired = Authorization.select(Authorization.id).where(Authorization.expires_on < today)
    with transaction():
        count = Testimonial.update(usable=False).where(
            (Testimonial.usable == True) & Testimonial.authorization.in_(expired)).execute()  # noqa: E712
        if count:
            audit.record("marketing.testimonial.expired", "marketing_testimonial", "", detail={"withdrawn": count})
    return count

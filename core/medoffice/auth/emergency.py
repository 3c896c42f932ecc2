"""Break-glass access: a user with ``core.emergency_access`` states a reason and may read every
patient's record for a limited time (the permissions declared ``break_glass``, on reading
requests only). It never allows administration or any change: those need the user's own roles.

Every step is loud: the start and the end are audited with the reason, every audit entry
made meanwhile carries ``"emergency": true``, and each page shows a red banner. The grant
is a row (``EmergencyAccess``), so it ends on time on the server, and an admin can see
and end it.
"""
from __future__ import annotations

import datetime as dt

from .. import audit, prepared, settings
from ..db import transaction, utcnow
from ..prepared import slot
from ..models import EmergencyAccess, User

PERMISSION = "core.emergency_access"
MIN_REASON_LENGTH = 20
DEFAULT_MINUTES = 60


class EmergencyAccessError(Exception):
    """Break-glass access was refused (the reason is too short)."""


def duration() -> dt.timedelta:
    """How long a grant lasts (practice setting ``core.emergency_access_minutes``)."""
    try:
        minutes = max(1, int(settings.get("core.emergency_access_minutes", DEFAULT_MINUTES)))
    except (TypeError, ValueError):
        minutes = DEFAULT_MINUTES
    return dt.timedelta(minutes=minutes)


def start(user: User, reason: str, address: str = "") -> EmergencyAccess:
    """Open a grant for ``user``; the reason is required and audited.

    A grant the user still holds elsewhere (another browser, a session that was closed) ends
    as "superseded": each grant belongs to one session and carries its own reason.
    :raises EmergencyAccessError: reason shorter than ``MIN_REASON_LENGTH``.
    """
    reason = " ".join((reason or "").split())
    if len(reason) < MIN_REASON_LENGTH:
        raise EmergencyAccessError(f"Describe the emergency in at least {MIN_REASON_LENGTH} characters.")
    now = utcnow()
    with transaction():
        for previous in EmergencyAccess.select().where((EmergencyAccess.user == user.id)
                                                       & EmergencyAccess.ended_at.is_null()):
            end(previous, "superseded", now=now)
        grant = EmergencyAccess.create(user=user, reason=reason[:2000], address=address[:64], started_at=now,
                                       expires_at=now + duration())
        audit.record("emergency_access.start", "emergency_access", grant.id,
                     detail={"reason": grant.reason, "until": grant.expires_at.isoformat(), "emergency": True})
    return grant


def end(grant: EmergencyAccess, how: str, now: dt.datetime | None = None) -> None:
    """Close a grant ("ended" by its user, "logout", "expired", "revoked" by an admin), audited."""
    now = now or utcnow()
    ended_at = min(now, grant.expires_at)
    with transaction():
        closed = (EmergencyAccess.update(ended_at=ended_at, ended_how=how)
                  .where((EmergencyAccess.id == grant.id) & EmergencyAccess.ended_at.is_null()).execute())
        if closed:
            audit.record("emergency_access.end", "emergency_access", grant.id,
                         detail={"how": how, "user": grant.user_id, "emergency": True,
                                 "minutes": round((ended_at - grant.started_at).total_seconds() / 60)})
    grant.ended_at, grant.ended_how = ended_at, how


def close_expired(now: dt.datetime | None = None) -> int:
    """Close every grant past its end (so the end is audited even if its user never came back)."""
    now = now or utcnow()
    expired = list(prepared.run(_EXPIRED, "emergency.expired", now=now))
    for grant in expired:
        end(grant, "expired", now=now)
    return len(expired)


def recent(limit: int = 20) -> list[EmergencyAccess]:
    """The latest grants with their users, newest first."""
    return list(prepared.run(_RECENT, "emergency.recent", limit=limit))


# The emergency access page runs both on every view: built and compiled once (medoffice.prepared).
_EXPIRED = EmergencyAccess.select().where(EmergencyAccess.ended_at.is_null()
                                          & (EmergencyAccess.expires_at <= slot("now")))
_RECENT = (EmergencyAccess.select(EmergencyAccess, User).join(User)
           .order_by(EmergencyAccess.id.desc()).limit(slot("limit")))


def close_expired_job() -> str:
    """The scheduled job: close grants past their end and say how many."""
    closed = close_expired()
    return f"closed {closed} expired emergency access grant{'s' if closed != 1 else ''}"

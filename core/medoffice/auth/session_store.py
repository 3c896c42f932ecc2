"""The rows behind session cookies (``core_session``): create, load, record activity, end, list.

The cookie carries a random token of 256 bits; the row keeps its SHA-256 only. A session ends by
setting ``ended_at`` and ``ended_how`` (the row stays as history), which the database answers by
bumping the access version (``medoffice.auth.access_version``): every process drops its cached copy.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from functools import lru_cache

import peewee as pw

from .. import audit, prepared
from ..db import transaction, unflushed_transaction, utcnow
from ..models import EmergencyAccess, Role, RolePermission, User, UserRole, UserSession
from ..prepared import slot
from . import emergency

TOKEN_BYTES = 32
# End reasons (``ended_how``), and what the person whose session ended is told.
LOGOUT, IDLE, LIFETIME, DEACTIVATED = "logout", "idle", "lifetime", "deactivated"
PASSWORD_CHANGE, ROLE_CHANGE, ENDED_BY_USER, REVOKED = "password_change", "role_change", "ended_by_user", "revoked"
SECOND_FACTOR_CHANGE = "2fa_change"


def new_token() -> str:
    """A fresh session token (256 random bits, URL-safe text)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the table keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@lru_cache(maxsize=256)
def browser_summary(user_agent: str) -> str:
    """"Firefox 128 on Windows" from a User-Agent header (ua-parser), for people to recognise a session."""
    from ua_parser import parse

    found = parse(user_agent[:512]) if user_agent else None
    if found is None or found.user_agent is None:
        return "Unknown browser"
    browser = " ".join(p for p in (found.user_agent.family, found.user_agent.major) if p)
    system = found.os.family if found.os is not None and found.os.family != "Other" else ""
    return (f"{browser} on {system}" if system else browser)[:80]


def create(user_id: int, address: str, user_agent: str) -> tuple[str, UserSession]:
    """Open a session for ``user_id``; returns the token for the cookie and the row."""
    token = new_token()
    now = utcnow()
    with transaction():
        row = UserSession.create(token_hash=token_hash(token), user=user_id, created_at=now, last_seen_at=now,
                                 address=(address or "")[:64], browser=browser_summary(user_agent or ""))
    return token, row


@dataclass(frozen=True)
class LoadedSession:
    """A session row with everything a request needs: the user, their roles and permissions, and the
    emergency grant the session holds (which may have ended since). ``ended_how`` is "" while it is live."""

    id: int
    user: User
    roles: frozenset[str]
    permissions: frozenset[str]
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ended_how: str
    grant: EmergencyAccess | None

    @property
    def live(self) -> bool:
        """True until the session was ended."""
        return not self.ended_how


_SESSION_FIELDS = (UserSession.id, UserSession.created_at, UserSession.last_seen_at, UserSession.ended_at,
                   UserSession.ended_how)
_USER_FIELDS = tuple(User._meta.sorted_fields)
_GRANT_FIELDS = tuple(EmergencyAccess._meta.sorted_fields)
_LOAD = (UserSession
         .select(*_SESSION_FIELDS, *_USER_FIELDS, Role.name, RolePermission.permission, *_GRANT_FIELDS)
         .join(User)
         .join(UserRole, pw.JOIN.LEFT_OUTER, on=(UserRole.user == User.id))
         .join(Role, pw.JOIN.LEFT_OUTER, on=(Role.id == UserRole.role))
         .join(RolePermission, pw.JOIN.LEFT_OUTER, on=(RolePermission.role == Role.id))
         .switch(UserSession)
         .join(EmergencyAccess, pw.JOIN.LEFT_OUTER, on=(EmergencyAccess.id == UserSession.emergency_grant))
         .where(UserSession.token_hash == slot("token_hash"))
         .tuples())


def _model(model, fields, values) -> pw.Model:
    instance = model(**{field.name: value for field, value in zip(fields, values)})
    instance._dirty.clear()
    return instance


def load(token: str) -> LoadedSession | None:
    """The session of ``token`` with its user, roles, permissions and emergency grant, in ONE query
    (one row per role and permission); None when no session has that token."""
    rows = list(prepared.run(_LOAD, "session_store.load", token_hash=token_hash(token)))
    if not rows:
        return None
    first = rows[0]
    n_session, n_user = len(_SESSION_FIELDS), len(_USER_FIELDS)
    session_id, created_at, last_seen_at, ended_at, ended_how = first[:n_session]
    user = _model(User, _USER_FIELDS, first[n_session:n_session + n_user])
    role_at, permission_at = n_session + n_user, n_session + n_user + 1
    grant_values = first[permission_at + 1:]
    grant = _model(EmergencyAccess, _GRANT_FIELDS, grant_values) if grant_values[0] is not None else None
    return LoadedSession(
        id=session_id, user=user,
        roles=frozenset(r[role_at] for r in rows if r[role_at] is not None),
        permissions=frozenset(r[permission_at] for r in rows if r[permission_at] is not None),
        created_at=created_at, last_seen_at=last_seen_at,
        ended_how=(ended_how or "ended") if ended_at is not None else "", grant=grant)


def last_seen(session_id: int) -> dt.datetime | None:
    """The recorded last activity of a session (another process may have written it since a load)."""
    return UserSession.select(UserSession.last_seen_at).where(UserSession.id == session_id).scalar()


def touch(session_id: int, now: dt.datetime) -> None:
    """Record activity. A record of use, not a change: its commit does not wait for the disk."""
    with unflushed_transaction():
        UserSession.update(last_seen_at=now).where((UserSession.id == session_id)
                                                   & UserSession.ended_at.is_null()).execute()


def attach_grant(session_id: int, grant_id: int | None) -> None:
    """Tie an emergency grant to a session (None: the session holds none)."""
    with transaction():
        UserSession.update(emergency_grant=grant_id).where(UserSession.id == session_id).execute()


def end(where, how: str, now: dt.datetime | None = None) -> list[int]:
    """End the live sessions matched by ``where`` (a peewee expression on UserSession), with the
    emergency grants they hold; returns the ids of the sessions ended. Auditing is the caller's."""
    now = now or utcnow()
    with transaction():
        live = list(UserSession.select(UserSession.id, UserSession.emergency_grant)
                    .where(where & UserSession.ended_at.is_null()))
        if not live:
            return []
        ids = [s.id for s in live]
        UserSession.update(ended_at=now, ended_how=how).where(UserSession.id.in_(ids)).execute()
        grant_ids = [s.emergency_grant_id for s in live if s.emergency_grant_id is not None]
        for grant in EmergencyAccess.select().where(EmergencyAccess.id.in_(grant_ids)
                                                    & EmergencyAccess.ended_at.is_null()):
            emergency.end(grant, how, now=now)
    return ids


def end_for_user(user_id: int, how: str, *, keep: int | None = None, only: int | None = None) -> list[int]:
    """End a user's live sessions (all, all but ``keep``, or just ``only``), audited with the reason."""
    where = UserSession.user == user_id
    if keep is not None:
        where &= UserSession.id != keep
    if only is not None:
        where &= UserSession.id == only
    with transaction():
        ended = end(where, how)
        if ended:
            audit.record("auth.session_end", "user", user_id, detail={"reason": how, "sessions": ended})
    return ended


def live_for_user(user_id: int) -> list[UserSession]:
    """A user's live sessions, most recently active first."""
    return list(UserSession.select().where((UserSession.user == user_id) & UserSession.ended_at.is_null())
                .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc()))

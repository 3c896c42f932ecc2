"""Login sessions kept on the server: a fresh session at login, idle logoff, an absolute lifetime,
revocation that takes effect on the next request, Secure cookies under TLS.

A session is a row of ``core_session`` (``medoffice.auth.session_store``). The browser holds only its
random token, inside Flask's signed cookie (which also carries flash messages and the CSRF
token); who the user is, and whether the session still stands, always comes from the row. So a
cookie copied before a logout, a password change or an administrator's "end session" is worth
nothing afterwards, whichever process serves it.

Per request this costs no query at all when nothing changed: each process caches a session as
loaded (user, roles, permissions, emergency grant) under the access version, which the request
cycle reads anyway and the database bumps on any change to users, roles, permissions, settings,
grants or ended sessions. When the version moved, the session is loaded again in one query.
Activity ("last seen") is written at most once a minute per session (``TOUCH_SECONDS``), so the
server's idle logoff comes between the idle limit and one minute after it; the page's own timer
logs out at the limit.
"""
from __future__ import annotations

import datetime as dt
import time
from urllib.parse import urlsplit

from flask import current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from flask_login import logout_user

from .. import audit, settings
from ..db import db, transaction, utcnow
from ..models import UserSession
from ..runtime import access_version
from . import emergency, session_store, two_factor
from .accounts import SessionUser
from .redirect_target import same_site_path
from .session_store import (DEACTIVATED, ENDED_BY_USER, IDLE, LIFETIME, LOGOUT, PASSWORD_CHANGE, REVOKED,
                            ROLE_CHANGE, SECOND_FACTOR_CHANGE)

TOKEN_KEY = "session_token"  # the key of the token in Flask's signed cookie session
BACKGROUND_HEADER = "X-Medoffice-Background"
DEFAULT_IDLE_MINUTES = 15
TOUCH_SECONDS = 60  # "last seen" is written at most this often per session
CACHE_LIMIT = 4096  # sessions cached per process; the cache starts over when full


_PLAIN_VALUES = (str, int, float, bool, type(None))  # a session holding only these may share them between requests


class TLSSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, marked Secure whenever the app is served over TLS (``TLS`` config).

    A browser sends the same cookie on every request until the session changes, so a cookie whose
    signature this process has checked is not checked again: only its age is (the signing time is
    kept with it). Its contents are kept decoded when they are plain values (the usual session: its
    token and CSRF token), each request getting a copy of its own; a session holding anything a request
    could change in place (the list of pending messages) is decoded afresh each time. A new secret key
    starts the cache over.
    """

    def __init__(self) -> None:
        self._serializer = (None, None)  # (keys, serializer)
        self._verified: dict[str, tuple[int, bytes | dict]] = {}  # cookie -> (signed at, payload or contents)

    def get_cookie_secure(self, app) -> bool:
        """Secure under TLS, or when ``SESSION_COOKIE_SECURE`` says so."""
        return bool(app.config.get("TLS")) or super().get_cookie_secure(app)

    def get_signing_serializer(self, app):
        """Flask's serializer, built once per set of keys rather than on every request."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if self._serializer[0] != keys:
            self._serializer = (keys, super().get_signing_serializer(app))
            self._verified = {}
        return self._serializer[1]

    def open_session(self, app, request):
        """The cookie's session (empty when its signature is wrong or it is older than the lifetime)."""
        serializer = self.get_signing_serializer(app)
        value = request.cookies.get(self.get_cookie_name(app)) if serializer is not None else None
        if not value:
            return None if serializer is None else self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = self._verified.get(value)
        if verified is None:
            try:
                payload, signed_at = _unsign(serializer, value, max_age)
            except BadSignature:
                return self.session_class()
            contents = serializer.load_payload(payload)
            if all(isinstance(v, _PLAIN_VALUES) for v in contents.values()):
                payload = contents
            if len(self._verified) >= CACHE_LIMIT:
                self._verified = {}
            verified = self._verified[value] = (signed_at, payload)
        age = int(time.time()) - verified[0]
        if age < 0 or age > max_age:
            return self.session_class()
        kept = verified[1]
        return self.session_class(kept if isinstance(kept, dict) else serializer.load_payload(kept))


def _unsign(serializer, value: str, max_age: int) -> tuple[bytes, int]:
    """The cookie's payload (still encoded) and its signing time, once its signature is checked with
    any of the serializer's keys; raises BadSignature (or SignatureExpired) otherwise."""
    error = None
    for signer in serializer.iter_unsigners():
        try:
            payload, signed_at = signer.unsign(value, max_age=max_age, return_timestamp=True)
            return payload, int(signed_at.timestamp())
        except BadSignature as refused:
            error = refused
    raise error


def idle_minutes() -> int:
    """Minutes without activity before logoff (practice setting ``core.idle_timeout_minutes``)."""
    try:
        return max(1, int(settings.get("core.idle_timeout_minutes", DEFAULT_IDLE_MINUTES)))
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES


def lifetime_seconds() -> int:
    """The absolute session lifetime from login (``PERMANENT_SESSION_LIFETIME``, 12 hours by default)."""
    return int(current_app.permanent_session_lifetime.total_seconds())


class CachedSession:
    """A loaded session as one process keeps it: the row's contents under the access version they
    were read at, and the activity this process knows of."""

    __slots__ = ("version", "loaded", "last_activity", "recorded")

    def __init__(self, version: int | None, loaded: session_store.LoadedSession):
        self.version = version
        self.loaded = loaded
        self.last_activity = loaded.last_seen_at  # the latest activity known here
        self.recorded = loaded.last_seen_at  # what the row says (as far as this process knows)

    @property
    def id(self) -> int:
        """The session row's id."""
        return self.loaded.id


def _cache() -> dict:
    return current_app.extensions.setdefault("medoffice_sessions", {})


def _lookup(token: str) -> CachedSession | None:
    """The session of ``token``: from this process's cache when the access version has not moved
    since it was loaded, else loaded again (one query)."""
    key = session_store.token_hash(token)
    version = access_version()
    cache = _cache()
    hit = cache.get(key)
    if hit is not None and version is not None and hit.version == version:
        return hit
    loaded = session_store.load(token)
    if loaded is None:
        cache.pop(key, None)
        return None
    entry = CachedSession(version, loaded)
    # Never keep what a transaction of this request may still roll back.
    if version is not None and not db.in_transaction():
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[key] = entry
    return entry


def load_user(_request=None) -> SessionUser | None:
    """Flask-Login's request loader: the user of the session the cookie names, if it still stands.

    A token whose session has ended is dropped from the cookie; why it ended is kept for the
    message on the login page (``ended_message``).
    """
    token = session.get(TOKEN_KEY)
    if not token:
        return None
    entry = _lookup(token)
    if entry is None or not entry.loaded.live:
        g.medoffice_session_ended = entry.loaded.ended_how if entry is not None else ""
        session.pop(TOKEN_KEY, None)
        return None
    g.medoffice_session = entry
    loaded = entry.loaded
    # A fresh object per request: the access guard marks it (emergency access) for this request only.
    return SessionUser(loaded.user, loaded.permissions, loaded.roles)


def current() -> CachedSession | None:
    """This request's session (None when nobody is logged in)."""
    return g.get("medoffice_session")


def hold_emergency_grant(grant_id: int | None) -> None:
    """Tie an emergency grant to the current session (None: let go of the one it held)."""
    entry = current()
    if entry is not None:
        session_store.attach_grant(entry.id, grant_id)


def emergency_grant():
    """The emergency grant the current session holds while it is in force, else None.

    A grant that ended since (expired, revoked by an administrator, superseded by one taken in
    another session) is let go with a message; an expired one is closed and audited first.
    """
    entry = current()
    grant = entry.loaded.grant if entry is not None else None
    if grant is None:
        return None
    if grant.ended_at is None and grant.expires_at > utcnow():
        return grant
    from ..web.shell import notify

    if grant.ended_at is None:
        emergency.end(grant, "expired")
    hold_emergency_grant(None)
    notify("Emergency access has ended.", "info")
    return None


def start(user_id: int) -> None:
    """Sign a user in on a brand-new session (nothing of the anonymous session survives)."""
    session.clear()
    token, _row = session_store.create(user_id, request.remote_addr or "", request.headers.get("User-Agent", ""))
    session[TOKEN_KEY] = token
    session.permanent = True


def end(reason: str | None = None) -> None:
    """End the current session (its row and its emergency grant) and clear the cookie session.

    ``reason`` (idle, lifetime, deactivated) is audited when given; None is a logout (the view
    audits it).
    """
    entry = current()
    if entry is not None:
        with transaction():
            session_store.end(UserSession.id == entry.id, reason or LOGOUT)
            if reason:
                audit.record("auth.session_end", "user", entry.loaded.user.id, detail={"reason": reason})
    logout_user()
    session.clear()


def is_background_request() -> bool:
    """True for polling and lazy-loading requests the page makes on its own (not user activity)."""
    return request.headers.get(BACKGROUND_HEADER) == "1"


def _idle(entry: CachedSession, now: dt.datetime) -> bool:
    # Activity another process saw is in the row, at most TOUCH_SECONDS behind: allow for that.
    limit = dt.timedelta(minutes=idle_minutes(), seconds=TOUCH_SECONDS)
    if now - entry.last_activity <= limit:
        return False
    recorded = session_store.last_seen(entry.id)
    if recorded is not None and recorded > entry.last_activity:
        entry.last_activity = entry.recorded = recorded
    return now - entry.last_activity > limit


def expiry_reason(entry: CachedSession, now: dt.datetime | None = None) -> str | None:
    """Why the session is over ("idle", "lifetime", "deactivated"), or None if it is not."""
    now = now or utcnow()
    if not entry.loaded.user.active:
        return DEACTIVATED
    if (now - entry.loaded.created_at).total_seconds() > lifetime_seconds():
        return LIFETIME
    if _idle(entry, now):
        return IDLE
    return None


def record_activity(entry: CachedSession, now: dt.datetime) -> None:
    """Note user activity; write it to the row when what the row says is a minute old or more."""
    entry.last_activity = max(entry.last_activity, now)
    if (now - entry.recorded).total_seconds() >= TOUCH_SECONDS:
        session_store.touch(entry.id, now)
        entry.recorded = now


MESSAGES = {
    IDLE: "You were logged out after {minutes} minutes without activity. Log in again to continue.",
    LIFETIME: "Your session reached its time limit. Log in again to continue.",
    DEACTIVATED: "Your account was deactivated.",
    PASSWORD_CHANGE: "Your password was changed, which ended this session. Log in again to continue.",
    ROLE_CHANGE: "Your roles were changed, which ended this session. Log in again to continue.",
    ENDED_BY_USER: "This session was ended from another of your sessions. Log in again to continue.",
    REVOKED: "An administrator ended this session. Log in again to continue.",
    SECOND_FACTOR_CHANGE: "Your two-factor sign-in was changed, which ended this session. Log in again to continue.",
}


def message_for(how: str) -> str | None:
    """What to tell someone whose session ended ``how`` (None for a logout)."""
    text = MESSAGES.get(how)
    return text.format(minutes=idle_minutes()) if text else None


def ended_message() -> str | None:
    """The message for a request whose cookie named a session that has ended, if any."""
    return message_for(g.get("medoffice_session_ended") or "")


def to_login(message: str | None = None):
    """Send the browser to the login page, coming back afterwards to the page it was on."""
    from ..web.shell import notify

    if message:
        notify(message, "info")
    if request.headers.get("HX-Request") == "true":
        # Come back to the page the user was on, not to the fragment it was loading.
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = same_site_path(page.path + (f"?{page.query}" if page.query else ""))
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = url_for("core.login", next=back)
        return response
    return redirect(url_for("core.login", next=request.full_path if request.method == "GET" else None))


PASSWORD_CHANGE_ALLOWED = {"core.change_password", "core.logout"}
ENROLMENT_ALLOWED = {"core.two_factor", "core.two_factor_start", "core.two_factor_confirm", "core.logout"}


def enforce(user):
    """Run for every non-public request of the logged-in ``user``: a response ends it, None lets it on.

    Ends expired sessions (idle, lifetime, deactivated account), sends users who must change
    their password, or set up the two-factor sign-in the practice requires of them, to that page
    first, and records activity for the idle timer.
    """
    entry = current()
    if entry is None:
        return to_login()
    now = utcnow()
    reason = expiry_reason(entry, now)
    if reason is not None:
        end(reason)
        return to_login(message_for(reason))
    if not is_background_request():
        record_activity(entry, now)
    if user.row.must_change_password and request.endpoint not in PASSWORD_CHANGE_ALLOWED:
        return _first_go_to("core.change_password", "Choose a new password before you continue.")
    if two_factor.must_enrol(user.row, user.roles) and request.endpoint not in ENROLMENT_ALLOWED:
        return _first_go_to("core.two_factor", "Set up two-factor sign-in before you continue: the practice "
                                               "requires it of administrators.")
    return None


def _first_go_to(endpoint: str, message: str):
    from ..web.shell import notify

    notify(message, "warning")
    target = url_for(endpoint)
    if request.headers.get("HX-Request") == "true":
        response = current_app.response_class(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)

"""Login sessions: a fresh session at login, idle logoff, an absolute lifetime, Secure cookies under TLS.

The session lives in Flask's signed cookie. Besides Flask-Login's keys it carries when the
user logged in and when they were last active; the access guard ends the session when
either is too old, so the server enforces the logoff even if the page's timer never fires.
"""
from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import current_app, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user, login_user, logout_user

from . import audit, emergency, settings
from .accounts import load_session_user
from .db import transaction

LOGIN_AT = "login_at"
LAST_SEEN = "last_seen"
BACKGROUND_HEADER = "X-Medoffice-Background"
DEFAULT_IDLE_MINUTES = 15


class TLSSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, marked Secure whenever the app is served over TLS (``TLS`` config)."""

    def get_cookie_secure(self, app) -> bool:
        """Secure under TLS, or when ``SESSION_COOKIE_SECURE`` says so."""
        return bool(app.config.get("TLS")) or super().get_cookie_secure(app)


def idle_minutes() -> int:
    """Minutes without activity before logoff (practice setting ``core.idle_timeout_minutes``)."""
    try:
        return max(1, int(settings.get("core.idle_timeout_minutes", DEFAULT_IDLE_MINUTES)))
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES


def lifetime_seconds() -> int:
    """The absolute session lifetime from login (``PERMANENT_SESSION_LIFETIME``, 12 hours by default)."""
    return int(current_app.permanent_session_lifetime.total_seconds())


def start(user_id: int) -> None:
    """Sign a user in on a brand-new session (nothing of the anonymous session survives)."""
    session.clear()
    login_user(load_session_user(user_id))
    session.permanent = True
    now = int(time.time())
    session[LOGIN_AT] = now
    session[LAST_SEEN] = now


def end(reason: str | None = None) -> None:
    """Sign the current user out and drop the whole session, with its break-glass grant.

    ``reason`` (idle, lifetime, deactivated) is audited when given; None is a logout.
    """
    if current_user.is_authenticated:
        grant_id = session.get(emergency.SESSION_KEY)
        grant = emergency.grant_in_force(grant_id, current_user.id) if grant_id is not None else None
        if grant is not None:
            emergency.end(grant, reason or "logout")
        if reason:
            with transaction():
                audit.record("auth.session_end", "user", current_user.id, detail={"reason": reason})
    logout_user()
    session.clear()


def is_background_request() -> bool:
    """True for polling and lazy-loading requests the page makes on its own (not user activity)."""
    return request.headers.get(BACKGROUND_HEADER) == "1"


def expiry_reason(now: float | None = None) -> str | None:
    """Why the current session is over ("idle", "lifetime", "deactivated"), or None if it is not."""
    now = time.time() if now is None else now
    login_at, last_seen = session.get(LOGIN_AT), session.get(LAST_SEEN)
    if not current_user.row.active:
        return "deactivated"
    if login_at is None or now - login_at > lifetime_seconds():
        return "lifetime"
    if last_seen is None or now - last_seen > idle_minutes() * 60:
        return "idle"
    return None


MESSAGES = {
    "idle": "You were logged out after {minutes} minutes without activity. Log in again to continue.",
    "lifetime": "Your session reached its time limit. Log in again to continue.",
    "deactivated": "Your account was deactivated.",
}


def _to_login(message: str | None):
    from .web.shell import notify

    if message:
        notify(message, "info")
    if request.headers.get("HX-Request") == "true":
        # Come back to the page the user was on, not to the fragment it was loading.
        page = urlsplit(request.headers.get("HX-Current-URL", ""))
        target = url_for("core.login", next=(page.path + (f"?{page.query}" if page.query else "")) or None)
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(url_for("core.login", next=request.full_path if request.method == "GET" else None))


PASSWORD_CHANGE_ALLOWED = {"core.change_password", "core.logout"}


def enforce():
    """Run for every non-public request of a logged-in user: a response ends it, None lets it on.

    Ends expired sessions (idle, lifetime, deactivated account), sends users who must change
    their password to that page first, and records activity for the idle timer.
    """
    reason = expiry_reason()
    if reason is not None:
        end(reason)
        return _to_login(MESSAGES[reason].format(minutes=idle_minutes()))
    if not is_background_request():
        session[LAST_SEEN] = int(time.time())
    if current_user.row.must_change_password and request.endpoint not in PASSWORD_CHANGE_ALLOWED:
        from .web.shell import notify

        notify("Choose a new password before you continue.", "warning")
        target = url_for("core.change_password")
        if request.headers.get("HX-Request") == "true":
            response = current_app.response_class(status=204)
            response.headers["HX-Redirect"] = target
            return response
        return redirect(target)
    return None

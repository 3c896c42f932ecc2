"""Login (throttled, locked after repeated failures; a second step with a code when the user has
two-factor sign-in), logout and password change."""
from __future__ import annotations

import math
import time

from flask import redirect, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import audit
from ..auth import security, session_store, sessions, two_factor
from ..auth.access import public, requires
from ..auth.accounts import hash_password, password_matches
from ..auth.passwords import MIN_LENGTH, policy_problems
from ..auth.redirect_target import same_site_path
from ..db import transaction, utcnow
from ..models import User
from . import core_blueprint as bp
from .shell import notify, render_page


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField("User name", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class CodeForm(FlaskForm):
    """The second step of a login."""

    code = StringField("Code", validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autofocus": True},
                       description="The 6-digit code your authenticator app shows now, or one of your recovery codes.")


class ChangePasswordForm(FlaskForm):
    """Current password and the new one twice."""

    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")])


PENDING_KEY = "login_pending"  # {user, until, next}: the password was right, the code step is due
PENDING_SECONDS = 300
OUTSIDE_WITHOUT_2FA = ("Logging in from outside the office needs two-factor sign-in, which this account has not set up. "
                       "Set it up from a computer in the office (Two-factor sign-in, under your password page).")


def _after_login_target() -> str:
    """The ``next`` page when it is a path on this site (see ``redirect_target``), else the dashboard."""
    return same_site_path(request.args.get("next")) or url_for("core.dashboard")


def _minutes(outcome: security.LoginOutcome) -> int:
    return max(1, math.ceil(outcome.retry_after.total_seconds() / 60)) if outcome.retry_after else 1


def _refusal(outcome: security.LoginOutcome) -> tuple[str, int]:
    """The message and status for a refused login; the same whether or not the user name exists."""
    if outcome.status == security.THROTTLED:
        return (f"Too many failed logins from this computer. Try again in {_minutes(outcome)} minutes.", 429)
    if outcome.status == security.LOCKED:
        return (f"Too many failed logins for this user name. Try again in {_minutes(outcome)} minutes, "
                "or ask an administrator to unlock the account.", 429)
    return ("That user name and password do not match an active account.", 401)


@bp.app_context_processor
def idle_context():
    """``idle_minutes`` for the layout's logoff warning (practice setting core.idle_timeout_minutes)."""
    if not current_user.is_authenticated:
        return {}
    return {"idle_minutes": sessions.idle_minutes()}


def _finish_login(user: User, target: str):
    """Sign in on a fresh session (every factor checked) and go on to ``target``."""
    sessions.start(user.id)
    if user.must_change_password:
        notify("Choose a new password before you continue.", "warning")
        return redirect(url_for("core.change_password"))
    return redirect(target)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and sign the user in on a fresh session (or go on to the code step)."""
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        address = request.remote_addr or ""
        step: dict[str, str | None] = {}

        def needs_second_factor(user: User) -> bool:
            step["needed"] = two_factor.login_step(user, address)
            return step["needed"] is not None

        outcome = security.authenticate(form.username.data, form.password.data, address, needs_second_factor)
        if outcome.ok:
            return _finish_login(outcome.user, _after_login_target())
        if outcome.status == security.SECOND_FACTOR and step["needed"] == "refuse":
            with transaction():
                audit.record("auth.login_refused", "user", outcome.user.id,
                             detail={"username": outcome.user.username, "reason": "outside the office without 2FA"})
            error, status = OUTSIDE_WITHOUT_2FA, 403
        elif outcome.status == security.SECOND_FACTOR:
            session[PENDING_KEY] = {"user": outcome.user.id, "until": int(time.time()) + PENDING_SECONDS,
                                    "next": same_site_path(request.args.get("next"))}
            return redirect(url_for("core.login_code"))
        else:
            error, status = _refusal(outcome)
    elif form.errors:
        status = 422
    return render_page("core/login.html", title="Log in", form=form, error=error), status


def _pending_login() -> dict | None:
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        session.pop(PENDING_KEY, None)
        return None
    return pending


@bp.route("/login/code", methods=["GET", "POST"])
@public
def login_code():
    """The login's second step: a code of the user's authenticator app, or a recovery code.
    Wrong codes count as failed logins (the same lock as wrong passwords)."""
    pending = _pending_login()
    if pending is None:
        notify("Enter your user name and password first.", "info")
        return redirect(url_for("core.login"))
    form = CodeForm()
    error, status = None, 200
    if form.validate_on_submit():
        used: dict[str, str | None] = {}

        def check(user: User, code: str) -> str | None:
            try:
                used["method"] = two_factor.verify(user, code)
            except two_factor.TwoFactorError as exc:
                used["problem"] = str(exc)
                return None
            return used["method"]

        outcome = security.authenticate_second_factor(pending["user"], form.code.data, request.remote_addr or "", check)
        if outcome.ok:
            response = _finish_login(outcome.user, pending.get("next") or url_for("core.dashboard"))
            if used.get("method") == two_factor.RECOVERY:
                left = two_factor.recovery_codes_left(outcome.user)
                notify(f"You signed in with a recovery code; {left} left. Make new ones on the two-factor page.",
                       "warning")
            return response
        if outcome.status != security.INVALID:  # locked or throttled: back to the start
            session.pop(PENDING_KEY, None)
            error, status = _refusal(outcome)
        else:
            error, status = used.get("problem") or "That code is not valid, or it was used already.", 401
    elif form.errors:
        status = 422
    return render_page("core/login_code.html", title="Two-factor sign-in", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out (POST only, CSRF-protected); ends break-glass access too."""
    if current_user.is_authenticated:
        with transaction():
            audit.record("auth.logout", "user", current_user.id)
    sessions.end()
    notify("You are logged out.", "info")
    return redirect(url_for("core.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("core.account.use")
def change_password():
    """Let users change their own password (required after an admin reset)."""
    form = ChangePasswordForm()
    user = User.get_by_id(current_user.id)
    if form.validate_on_submit():
        if not password_matches(user, form.current.data):
            form.current.errors.append("That is not your current password.")
        elif password_matches(user, form.new.data):
            form.new.errors.append("Choose a password different from the current one.")
        else:
            problems = policy_problems(form.new.data, user.username, user.full_name)
            if problems:
                form.new.errors.extend(problems)
            else:
                current = sessions.current()
                with transaction():
                    User.update(password_hash=hash_password(form.new.data), password_changed_at=utcnow(),
                                must_change_password=False).where(User.id == user.id).execute()
                    audit.record("auth.password_change", "user", user.id)
                    # Whoever else holds a session (a copied cookie, a forgotten computer) is out.
                    others = session_store.end_for_user(user.id, session_store.PASSWORD_CHANGE,
                                                        keep=current.id if current is not None else None)
                notify("Your password was changed." + (f" Your {len(others)} other session"
                                                       f"{'s were' if len(others) != 1 else ' was'} ended."
                                                       if others else ""))
                return redirect(url_for("core.dashboard"))
    return render_page("core/change_password.html", title="Change password", form=form, forced=user.must_change_password,
                       min_length=MIN_LENGTH, breadcrumbs=[("Change password", None)]), (422 if form.errors else 200)

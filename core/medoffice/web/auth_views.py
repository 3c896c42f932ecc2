"""Login (throttled, locked after repeated failures), logout and password change."""
from __future__ import annotations

import math

from flask import redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import audit, security, sessions
from ..access import public, requires
from ..accounts import hash_password, password_matches
from ..db import transaction, utcnow
from ..models import User
from ..passwords import MIN_LENGTH, policy_problems
from . import core_blueprint as bp
from .shell import notify, render_page


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField("User name", validators=[DataRequired(), Length(max=60)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class ChangePasswordForm(FlaskForm):
    """Current password and the new one twice."""

    current = PasswordField("Current password", validators=[DataRequired()])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")])


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("core.dashboard")


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


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and sign the user in on a fresh session."""
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        outcome = security.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        if outcome.ok:
            sessions.start(outcome.user.id)
            if outcome.user.must_change_password:
                notify("Choose a new password before you continue.", "warning")
                return redirect(url_for("core.change_password"))
            return redirect(_safe_next(request.args.get("next")))
        error, status = _refusal(outcome)
    elif form.errors:
        status = 422
    return render_page("core/login.html", title="Log in", form=form, error=error), status


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
                with transaction():
                    User.update(password_hash=hash_password(form.new.data), password_changed_at=utcnow(),
                                must_change_password=False).where(User.id == user.id).execute()
                    audit.record("auth.password_change", "user", user.id)
                notify("Your password was changed.")
                return redirect(url_for("core.dashboard"))
    return render_page("core/change_password.html", title="Change password", form=form, forced=user.must_change_password,
                       min_length=MIN_LENGTH, breadcrumbs=[("Change password", None)]), (422 if form.errors else 200)

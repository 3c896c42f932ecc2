"""Login, logout and password change."""
from __future__ import annotations

from flask import redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from .. import audit
from ..access import public, requires
from ..accounts import hash_password, load_session_user, password_matches
from ..db import transaction, utcnow
from ..models import User
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
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("core.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the login form and sign the user in."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = User.get_or_none(User.username == form.username.data.strip())
        if user is not None and user.active and password_matches(user, form.password.data):
            session.clear()  # a fresh session id at login (no fixation)
            login_user(load_session_user(user.id))
            with transaction():
                User.update(last_login_at=utcnow(), failed_logins=0).where(User.id == user.id).execute()
                audit.record("auth.login", "user", user.id, user_id=user.id, username=user.username)
            return redirect(_safe_next(request.args.get("next")))
        with transaction():
            audit.record("auth.login_failed", "user", user.id if user else "",
                         detail={"username": form.username.data[:60]})
        error = "That user name and password do not match an active account."
    return render_page("core/login.html", title="Log in", form=form, error=error), (401 if error else 200)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Sign out (POST only, CSRF-protected)."""
    if current_user.is_authenticated:
        audit.record("auth.logout", "user", current_user.id)
    logout_user()
    session.clear()
    notify("You are logged out.", "info")
    return redirect(url_for("core.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires("core.account.use")
def change_password():
    """Let users change their own password."""
    from ..passwords import policy_problems

    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = User.get_by_id(current_user.id)
        if not password_matches(user, form.current.data):
            form.current.errors.append("That is not your current password.")
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
    return render_page("core/change_password.html", title="Change password", form=form,
                       breadcrumbs=[("Change password", None)]), (422 if form.errors else 200)

"""Two-factor sign-in pages: set it up (QR code, first code, recovery codes shown once), make new
recovery codes or turn it off (password re-entered), and an administrator's reset."""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ..auth import sessions, two_factor
from ..auth.access import requires
from ..auth.accounts import ADMIN, password_matches, role_names
from ..models import User
from . import core_blueprint as bp
from .shell import notify, render_page


class ConfirmCodeForm(FlaskForm):
    """The first code of the newly set-up app."""

    code = StringField("Code from the app", validators=[DataRequired(), Length(max=12)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PasswordForm(FlaskForm):
    """The user's password, re-entered for a change to their sign-in."""

    password = PasswordField("Your password", validators=[DataRequired(), Length(max=200)])


def _me() -> User:
    return User.get_by_id(current_user.id)


def _keep() -> int | None:
    current = sessions.current()
    return current.id if current is not None else None


def _page(user: User, *, confirm_form=None, codes_form=None, off_form=None, status: int = 200):
    """The two-factor page in the state the user is in (on, being set up, or off)."""
    context = {"enabled": two_factor.enabled(user), "required": two_factor.required_for_role(current_user.roles),
               "confirm_form": confirm_form or ConfirmCodeForm(formdata=None),
               "codes_form": codes_form or PasswordForm(formdata=None, prefix="codes"),
               "off_form": off_form or PasswordForm(formdata=None, prefix="off")}
    if context["enabled"]:
        context["codes_left"] = two_factor.recovery_codes_left(user)
        context["since"] = user.totp_confirmed_at
    else:
        try:
            secret = two_factor.pending_secret(user)
        except two_factor.TwoFactorError as exc:
            notify(str(exc), "error")
            secret = None
        if secret is not None:
            uri = two_factor.provisioning_uri(user, secret)
            context.update(secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), uri=uri,
                           qr=two_factor.qr_svg(uri))
    return render_page("core/two_factor.html", title="Two-factor sign-in",
                       breadcrumbs=[("Two-factor sign-in", None)], **context), status


@bp.route("/account/two-factor", endpoint="two_factor")
@requires("core.account.use")
def two_factor_page():
    """Whether the user signs in with a second factor, and how to set it up or turn it off."""
    return _page(_me())


@bp.route("/account/two-factor/start", methods=["POST"])
@requires("core.account.use")
def two_factor_start():
    """Make a new secret to scan (replacing one not confirmed yet)."""
    try:
        two_factor.begin(_me())
    except two_factor.TwoFactorError as exc:
        notify(str(exc), "error")
    return redirect(url_for("core.two_factor"))


@bp.route("/account/two-factor/confirm", methods=["POST"])
@requires("core.account.use")
def two_factor_confirm():
    """Turn two-factor sign-in on with a first code; show the recovery codes, once."""
    user = _me()
    form = ConfirmCodeForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm(user, form.code.data, keep_session=_keep())
        except two_factor.TwoFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            return render_page("core/two_factor_codes.html", title="Your recovery codes", codes=codes, first=True,
                               breadcrumbs=[("Two-factor sign-in", url_for("core.two_factor")),
                                            ("Recovery codes", None)])
    return _page(user, confirm_form=form, status=422)


@bp.route("/account/two-factor/recovery-codes", methods=["POST"])
@requires("core.account.use")
def two_factor_new_codes():
    """Replace the recovery codes (password re-entered); show the new ones, once."""
    user = _me()
    form = PasswordForm(prefix="codes")
    if form.validate_on_submit():
        if not password_matches(user, form.password.data):
            form.password.errors.append("That is not your password.")
        else:
            try:
                codes = two_factor.new_recovery_codes(user)
            except two_factor.TwoFactorError as exc:
                form.password.errors.append(str(exc))
            else:
                return render_page("core/two_factor_codes.html", title="Your recovery codes", codes=codes,
                                   first=False, breadcrumbs=[("Two-factor sign-in", url_for("core.two_factor")),
                                                             ("Recovery codes", None)])
    return _page(user, codes_form=form, status=422)


@bp.route("/account/two-factor/off", methods=["POST"])
@requires("core.account.use")
def two_factor_off():
    """Turn two-factor sign-in off (password re-entered); set it up again to move to a new phone."""
    user = _me()
    form = PasswordForm(prefix="off")
    if form.validate_on_submit():
        if not password_matches(user, form.password.data):
            form.password.errors.append("That is not your password.")
        else:
            if two_factor.enabled(user) or user.totp_secret:
                two_factor.turn_off(user, keep_session=_keep())
                notify("Two-factor sign-in is off; your other sessions were ended.", "warning")
            return redirect(url_for("core.two_factor"))
    return _page(user, off_form=form, status=422)


@bp.route("/admin/users/<int:user_id>/two-factor/reset", methods=["POST"])
@requires("core.users.manage")
def user_two_factor_reset(user_id: int):
    """An administrator removes a user's second factor (a lost phone), audited; the user's sessions end."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    if ADMIN in role_names(user.id) and not current_user.is_admin:
        notify("Only an administrator can change an administrator's account.", "error")
        abort(403)
    if two_factor.enabled(user) or user.totp_secret:
        two_factor.turn_off(user, by_admin=True, keep_session=_keep() if user.id == current_user.id else None)
        notify(f"Two-factor sign-in of {user.username} was reset; they set it up again after their next login.")
    else:
        notify(f"{user.username} does not use two-factor sign-in.", "info")
    return redirect(url_for("core.user_edit", user_id=user.id))

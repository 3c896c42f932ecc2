"""Break-glass pages: start emergency access with a reason, end it, and see recent grants.

Emergency access widens the reading of patient records only (the permissions declared
``break_glass``); it never allows administration or any change.
"""
from __future__ import annotations

from flask import current_app, g, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..auth import emergency, sessions
from ..auth.access import can, requires
from ..models import EmergencyAccess, User
from ..settings import practice_timezone
from . import core_blueprint as bp
from .shell import notify, render_page

READING_METHODS = frozenset({"GET", "HEAD"})


class EmergencyForm(FlaskForm):
    """Why the user needs access beyond their role right now."""

    reason = TextAreaField(
        "Reason", description="What is the emergency, and whose record do you need? This is recorded and reviewed.",
        validators=[DataRequired(message="State the reason."),
                    Length(min=emergency.MIN_REASON_LENGTH, max=2000,
                           message=f"Describe the emergency in {emergency.MIN_REASON_LENGTH} to 2000 characters.")])


def break_glass_permissions() -> frozenset[str]:
    """The enabled plugins' permissions declared ``break_glass`` (reading patient records)."""
    runtime = current_app.extensions["medoffice"]
    return runtime.derived(("break_glass_permissions",), lambda: frozenset(
        p.name for p in runtime.host.call("medoffice_permissions") if p.break_glass))


def elevate() -> None:
    """Widen this request's reading of patient records when its session holds an active grant.

    The grant adds only the ``break_glass`` permissions, and only to a reading request: a POST
    under emergency access runs with the user's own permissions (it is still marked emergency,
    so its audit entries say so).
    """
    grant = sessions.emergency_grant()  # the grant tied to this server-side session, if in force
    if grant is None:
        return
    g.emergency_grant = grant
    reading = request.method in READING_METHODS
    current_user.use_emergency_access(break_glass_permissions() if reading else frozenset())


@bp.app_context_processor
def emergency_context():
    """``emergency_access`` (the active grant) and ``emergency_until`` for the layout's red banner."""
    grant = g.get("emergency_grant")
    if grant is None:
        return {"emergency_access": None}
    until = grant.expires_at.astimezone(practice_timezone()).strftime("%H:%M")
    return {"emergency_access": grant, "emergency_until": until}


def _can_review() -> bool:
    return can("core.audit.view") or can("core.users.manage")


@bp.route("/emergency-access", methods=["GET", "POST"])
@requires(emergency.PERMISSION)
def emergency_access():
    """Explain break-glass access, start it with a reason, and list recent grants for reviewers."""
    form = EmergencyForm()
    if g.get("emergency_grant") is not None and form.is_submitted():
        notify("Emergency access is already on; end it before starting another.", "info")
        return redirect(url_for("core.emergency_access"))
    if form.validate_on_submit():
        try:
            grant = emergency.start(User.get_by_id(current_user.id), form.reason.data,
                                    request.remote_addr or "")
        except emergency.EmergencyAccessError as exc:
            form.reason.errors.append(str(exc))
        else:
            sessions.hold_emergency_grant(grant.id)
            notify("Emergency access is on. Everything you do is recorded and will be reviewed.", "warning")
            return redirect(url_for("core.dashboard"))
    if _can_review():
        emergency.close_expired()
    grants = emergency.recent() if _can_review() else []
    return render_page("admin/emergency_access.html", title="Emergency access", form=form,
                       grant=g.get("emergency_grant"), grants=grants, minutes=int(emergency.duration().total_seconds() // 60),
                       breadcrumbs=[("Emergency access", None)]), (422 if form.errors else 200)


@bp.route("/emergency-access/end", methods=["POST"])
@requires(emergency.PERMISSION)
def emergency_access_end():
    """End the session's own grant now."""
    grant = g.get("emergency_grant")
    if grant is not None:
        emergency.end(grant, "ended")
        notify("Emergency access is off.")
    sessions.hold_emergency_grant(None)
    return redirect(url_for("core.dashboard"))


@bp.route("/emergency-access/<int:grant_id>/revoke", methods=["POST"])
@requires("core.users.manage")
def emergency_access_revoke(grant_id: int):
    """An admin ends someone's grant; their next request runs without it."""
    grant = EmergencyAccess.get_or_none(EmergencyAccess.id == grant_id)
    if grant is None:
        notify("No such emergency access grant.", "error")
    elif grant.ended_at is not None:
        notify("That emergency access had already ended.", "info")
    else:
        emergency.end(grant, "revoked")
        notify("Emergency access revoked.")
    return redirect(url_for("core.emergency_access" if can(emergency.PERMISSION) else "core.users"))

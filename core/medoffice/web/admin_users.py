"""User administration: create (password policy), edit and assign roles, link the login to its person
in the staff directory, reset passwords, deactivate (never delete), and unlock accounts locked by failed
logins. Every change is audited.
"""
from __future__ import annotations

import datetime as dt
import functools

from flask import abort, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from .. import audit, prepared
from ..auth import privileges, security, session_store, sessions
from ..auth.access import requires
from ..auth.accounts import ADMIN, active_admin_count, deactivate_account, hash_password, role_names
from ..auth.passwords import MIN_LENGTH, policy_problems
from ..dates import pattern
from ..db import transaction, utcnow
from ..localtime import local_datetime
from ..settings import practice_timezone
from ..prepared import slot
from ..models import AuditEvent, LoginAttempt, Role, StaffMember, User, UserRole
from ..plain import PlainSelect
from . import core_blueprint as bp
from .forms import choices, form_values
from .shell import notify, render_page
from .tables import TableColumn, paginate, url_template

USERNAME = Regexp(r"^[a-z0-9][a-z0-9._-]{1,59}$",
                  message="Use 2 to 60 lower-case letters, digits, dots, dashes or underscores.")


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserForm(FlaskForm):
    """Name, e-mail and roles of an account."""

    full_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("E-mail", validators=[Optional(), Email(message="Enter an e-mail address such as name@example.com."),
                                             Length(max=120)])
    roles = CheckboxesField("Roles", coerce=str, validate_choice=True)
    staff = SelectField("Staff member", coerce=str, validate_choice=True, default="",
                        description="The person in the staff directory this login is: their HR self-service "
                                    "(pay stubs, time, documents), the team they supervise, the visits they see.")


class NewUserForm(UserForm):
    """A new account: a unique user name and a first password that meets the policy."""

    username = StringField("User name", validators=[DataRequired(), USERNAME],
                           description="One account per person; a user name is never reused.")
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)],
                             description=f"At least {MIN_LENGTH} characters, not the name, not a common password.")
    confirm = PasswordField("Password again", validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])
    must_change_password = BooleanField("Ask for a new password at first login", default=True)


class ResetPasswordForm(FlaskForm):
    """A temporary password the user must replace at the next login."""

    password = PasswordField("Temporary password", validators=[DataRequired(), Length(max=200)],
                             description=f"At least {MIN_LENGTH} characters; the user must change it at the next login.")
    confirm = PasswordField("Temporary password again",
                            validators=[DataRequired(), EqualTo("password", "The two passwords differ.")])


def has_errors(form) -> bool:
    """True when any field carries an error (also those added after validation)."""
    return any(field.errors for field in form)


def _role_choices() -> list[tuple[str, str]]:
    return [(r.name, r.title) for r in Role.select().order_by(Role.id)]


def _staff_choices(current: int | None) -> list[tuple[str, str]]:
    """Active staff (and the one linked now, active or not), by name."""
    people = (StaffMember.select(StaffMember.id, StaffMember.first_name, StaffMember.last_name,
                                 StaffMember.credentials)
              .where((StaffMember.active == True) | (StaffMember.id == (current or 0)))  # noqa: E712
              .order_by(StaffMember.last_name, StaffMember.first_name))
    return [("", "Not in the staff directory")] + [(str(s.id), s.display_name) for s in people]


def _staff_problem(staff: str, user_id: int | None) -> str:
    """Why ``staff`` cannot be this account's person ("" when it can): one login per person."""
    if not staff:
        return ""
    other = User.get_or_none((User.staff == int(staff)) & (User.id != (user_id or 0)))
    return f"{other.username} is already the login of that person: one login per person." if other else ""


def _roles_by_user(user_ids: list[int]) -> dict[int, list[str]]:
    """Role titles per user for one page of users, in one query (compiled once per number of users)."""
    found: dict[int, list[str]] = {}
    if not user_ids:
        return found
    rows = prepared.rows(_roles_query(len(user_ids)), ("core.users.roles", len(user_ids)),
                         **{f"user{i}": user_id for i, user_id in enumerate(user_ids)})
    for user_id, title in rows:
        found.setdefault(user_id, []).append(title)
    return found


@functools.lru_cache(maxsize=32)
def _roles_query(count: int):
    return (UserRole.select(UserRole.user, Role.title).join(Role)
            .where(UserRole.user.in_([slot(f"user{i}") for i in range(count)])).order_by(Role.id).tuples())


def _user_or_404(user_id: int) -> User:
    user = User.get_or_none(User.id == user_id)
    if user is None:
        abort(404)
    return user


def _guard_admin_account(user: User) -> None:
    """Only an admin may change an admin's account (break-glass access does not count)."""
    if ADMIN in role_names(user.id) and not current_user.is_admin:
        notify("Only an administrator can change an administrator's account.", "error")
        abort(403)


def _status(user: User, now) -> str:
    if not user.active:
        return "Deactivated"
    if user.locked_until is not None and user.locked_until > now:
        return f"Locked until {local_datetime(user.locked_until)}"
    return "Active"


# What the list shows, as plain rows: a User model has some twenty columns.
_LISTED = (User.id, User.username, User.full_name, User.active, User.locked_until, User.last_login_at)


def _in_zone(value: dt.datetime, timezone) -> dt.datetime:
    """A stored timestamp (aware, or naive UTC) in ``timezone``."""
    return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(timezone)


@bp.route("/admin/users")
@requires("core.users.manage")
def users():
    """Accounts with their roles and status; locked accounts and recent failed logins."""
    now = utcnow()
    roles: dict[int, list[str]] = {}

    def search(text):
        like = f"%{text}%"
        return (User.username ** like) | (User.full_name ** like) | (User.email ** like)

    edit_url = url_template("core.user_edit", "user_id")
    # local_datetime(zone=False) with the practice's zone and date format read once for the page
    timezone, stamp = practice_timezone(), f"{pattern()} %H:%M"
    table = paginate(
        PlainSelect(User, _LISTED), id="users-table",
        columns=[
            TableColumn("username", "User name", sort=User.username, link=lambda u: edit_url(u.id)),
            TableColumn("full_name", "Name", sort=User.full_name),
            TableColumn("roles", "Roles", value=lambda u: ", ".join(roles.get(u.id, [])) or "No roles"),
            TableColumn("status", "Status", sort=User.active, value=lambda u: _status(u, now)),
            TableColumn("last_login_at", "Last login", sort=User.last_login_at,
                        value=lambda u: _in_zone(u.last_login_at, timezone).strftime(stamp)
                        if u.last_login_at else "Never"),
        ],
        search=search, default_sort="username", endpoint="core.users",
        noun="user", noun_plural="users", search_placeholder="User name, name or e-mail",
        empty_message="No users match.", key=("core.users",),
    )
    roles.update(_roles_by_user([u.id for u in table.rows]))
    return render_page("admin/users.html", title="Users", table=table, locked=security.locked_users(now),
                       failures=security.recent_failures(), policy=security.login_policy(),
                       breadcrumbs=[("Admin", None), ("Users", None)])


@bp.route("/admin/users/new", methods=["GET", "POST"])
@requires("core.users.manage")
def user_new():
    """Create an account; the password must meet the policy."""
    form = NewUserForm()
    form.roles.choices = choices(_role_choices())
    form.staff.choices = choices(_staff_choices(None))
    if form.validate_on_submit():
        values = form_values(form)
        username = values["username"].lower()
        if problem := _staff_problem(values["staff"], None):
            form.staff.errors.append(problem)
        if User.select().where(User.username == username).exists():
            form.username.errors.append("That user name is taken (user names are never reused).")
        if values["email"] and User.select().where(User.email == values["email"]).exists():
            form.email.errors.append("Another account uses that e-mail address: one account per person.")
        form.password.errors.extend(policy_problems(form.password.data, username, values["full_name"]))
        if not has_errors(form):
            try:
                user = privileges.create_account(
                    current_user, username, values["full_name"], form.password.data, values["roles"] or [],
                    email=values["email"], must_change_password=values["must_change_password"],
                    staff_id=int(values["staff"]) if values["staff"] else None)
            except privileges.PrivilegeError as exc:
                form.roles.errors.append(str(exc))
            else:
                notify(f"Created {username}.")
                return redirect(url_for("core.user_edit", user_id=user.id))
    return render_page("admin/user_form.html", title="New user", form=form, user=None,
                       breadcrumbs=[("Users", url_for("core.users")), ("New user", None)]), \
        (422 if has_errors(form) else 200)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@requires("core.users.manage")
def user_edit(user_id: int):
    """Edit name, e-mail and roles; roles are audited before/after."""
    user = _user_or_404(user_id)
    before_roles = role_names(user.id)
    form = UserForm(obj=user)
    form.roles.choices = choices(_role_choices())
    form.staff.choices = choices(_staff_choices(user.staff_id))
    if not form.is_submitted():
        form.roles.data = before_roles
    if "staff" not in request.form:  # shown, or a post without the field: the link as it is
        form.staff.data = str(user.staff_id or "")
    if form.validate_on_submit():
        _guard_admin_account(user)
        values = form_values(form)
        # None only when nothing at all was posted (an HTML form always sends its fields).
        wanted = sorted(set(before_roles if values["roles"] is None else values["roles"]))
        if values["email"] and User.select().where((User.email == values["email"]) & (User.id != user.id)).exists():
            form.email.errors.append("Another account uses that e-mail address: one account per person.")
        if problem := _staff_problem(values["staff"], user.id):
            form.staff.errors.append(problem)
        elif user.id == current_user.id and values["staff"] != str(user.staff_id or ""):
            # Who a login is decides what it sees of others (a supervisor's team, a provider's visits).
            form.staff.errors.append("Another administrator links your own login to a person.")
        if not has_errors(form):
            try:  # checked (and a refusal recorded) before anything is written
                privileges.check_role_assignment(current_user, user, wanted)
            except privileges.PrivilegeError as exc:
                form.roles.errors.append(str(exc))
        if not has_errors(form):
            staff = int(values["staff"]) if values["staff"] else None
            changes = {f: {"before": getattr(user, f), "after": values[f]}
                       for f in ("full_name", "email") if getattr(user, f) != values[f]}
            if user.staff_id != staff:
                changes["staff_id"] = {"before": user.staff_id, "after": staff}
            with transaction():
                if changes:
                    User.update(full_name=values["full_name"], email=values["email"], staff=staff).where(
                        User.id == user.id).execute()
                    audit.record("user.update", "user", user.id, detail={"username": user.username, "changes": changes})
                before, after = privileges.assign_roles(current_user, user, wanted)
            notify("Saved." if changes or before != after else "Nothing changed.")
            return redirect(url_for("core.user_edit", user_id=user.id))
    attempts = list(LoginAttempt.select().where(LoginAttempt.username == user.username)
                    .order_by(LoginAttempt.at.desc()).limit(10))
    history = list(AuditEvent.select().where((AuditEvent.object_type == "user") & (AuditEvent.object_id == str(user.id)))
                   .order_by(AuditEvent.seq.desc()).limit(20))
    return render_page("admin/user_form.html", title=user.full_name, form=form, user=user, attempts=attempts,
                       history=history, locked=security.lock_ends(user.username, user) is not None,
                       breadcrumbs=[("Users", url_for("core.users")), (user.username, None)]), \
        (422 if has_errors(form) else 200)


@bp.route("/admin/users/<int:user_id>/password", methods=["GET", "POST"])
@requires("core.users.manage")
def user_password(user_id: int):
    """Set a temporary password (policy enforced); the user must change it at the next login."""
    user = _user_or_404(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        _guard_admin_account(user)
        problems = policy_problems(form.password.data, user.username, user.full_name)
        if problems:
            form.password.errors.extend(problems)
        else:
            with transaction():
                User.update(password_hash=hash_password(form.password.data), password_changed_at=utcnow(),
                            must_change_password=True).where(User.id == user.id).execute()
                audit.record("user.password_reset", "user", user.id, detail={"username": user.username})
                current = sessions.current() if user.id == current_user.id else None
                session_store.end_for_user(user.id, session_store.PASSWORD_CHANGE,
                                           keep=current.id if current is not None else None)
            notify(f"Temporary password set; {user.username} must choose a new one at the next login.")
            return redirect(url_for("core.user_edit", user_id=user.id))
    return render_page("admin/user_password.html", title=f"Reset password of {user.username}", form=form, user=user,
                       breadcrumbs=[("Users", url_for("core.users")),
                                    (user.username, url_for("core.user_edit", user_id=user.id)),
                                    ("Reset password", None)]), (422 if has_errors(form) else 200)


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@requires("core.users.manage")
def user_deactivate(user_id: int):
    """Deactivate an account: it can no longer log in, its sessions end, its history stays."""
    user = _user_or_404(user_id)
    _guard_admin_account(user)
    if user.id == current_user.id:
        notify("You cannot deactivate your own account.", "error")
    elif ADMIN in role_names(user.id) and user.active and active_admin_count() <= 1:
        notify("This is the last active administrator; make someone else one first.", "error")
    elif user.active:
        with transaction():
            deactivate_account(user.id)
        notify(f"Deactivated {user.username}. The account's history is kept.")
    return redirect(url_for("core.user_edit", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/activate", methods=["POST"])
@requires("core.users.manage")
def user_activate(user_id: int):
    """Re-activate a deactivated account (same person, same user name)."""
    user = _user_or_404(user_id)
    _guard_admin_account(user)
    if not user.active:
        with transaction():
            User.update(active=True).where(User.id == user.id).execute()
            audit.record("user.activate", "user", user.id, detail={"username": user.username})
        notify(f"Re-activated {user.username}.")
    return redirect(url_for("core.user_edit", user_id=user.id))


@bp.route("/admin/users/<int:user_id>/unlock", methods=["POST"])
@requires("core.users.manage")
def user_unlock(user_id: int):
    """Lift a lock caused by failed logins; earlier failures stop counting."""
    user = _user_or_404(user_id)
    was_locked = security.unlock(user)
    notify(f"Unlocked {user.username}." if was_locked else f"{user.username} was not locked; failures were reset.")
    return redirect(url_for("core.users"))

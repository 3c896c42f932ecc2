"""Roles: the role x permission matrix, grouped by plugin, edited in place; every change audited.

The admin role holds every permission and is not editable. Only the permissions of enabled
plugins are shown, and saving never touches grants of permissions not shown, so turning a
plugin off and on again keeps what its roles were granted. Who may change which role is decided
by ``medoffice.auth.privileges``: nobody edits a role they hold or grants what they do not hold.
"""
from __future__ import annotations

import peewee as pw
from flask import current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .. import audit, prepared
from ..auth import privileges
from ..auth.access import requires
from ..auth.accounts import ADMIN
from ..db import transaction
from ..models import Role, RolePermission, UserRole
from . import core_blueprint as bp
from .kept import kept_part
from .shell import notify, render_page


class MatrixForm(FlaskForm):
    """Only the CSRF token: the checkboxes are read as ``grant`` = ``role|permission`` pairs."""


class NewRoleForm(FlaskForm):
    """A role of the practice's own (it starts with no permissions)."""

    name = StringField("Short name", validators=[DataRequired(), Regexp(r"^[a-z][a-z0-9_]{1,39}$",
                       message="Use 2 to 40 lower-case letters, digits or underscores, starting with a letter.")])
    title = StringField("Title", validators=[DataRequired(), Length(max=80)])
    description = TextAreaField("What this role does", validators=[Optional(), Length(max=500)])


def permission_groups() -> list[tuple[str, list]]:
    """(plugin title, its permissions sorted by name) for every enabled plugin declaring some."""
    host = current_app.extensions["medoffice"].host
    groups = []
    for plugin in host.ordered():
        if not host.is_enabled(plugin.name):
            continue
        permissions = host.call_for(plugin.name, "medoffice_permissions") or []
        if permissions:
            title = plugin.info.title if plugin.info else plugin.name
            groups.append((title, sorted(permissions, key=lambda p: p.name)))
    return groups


def save_matrix(actor, checked: set[tuple[str, str]], shown: set[str]) -> list[dict]:
    """Make the editable roles' grants of ``shown`` permissions equal ``checked``, for ``actor``.

    :param checked: (role name, permission) pairs ticked in the form; a role with none ticked loses
        every shown permission.
    :return: the audit details written, one per changed role.
    :raises PrivilegeError: the privilege rules refuse a change; nothing is written.
    """
    wanted: dict[str, set[str]] = {r.name: set() for r in Role.select(Role.name) if r.name != ADMIN}
    for name, permission in checked:
        if name in wanted:
            wanted[name].add(permission)
    return privileges.set_role_permissions(actor, wanted, shown)


def matrix_html(groups: list[tuple[str, list]], roles: list, grants: dict[int, set[str]]) -> Markup:
    """The matrix's row groups, one checkbox per role and permission, built here: a template loop cost
    ~1.5 ms for the ~360 cells."""
    columns = [(role, escape(role.title), escape(role.name), grants.get(role.id, ())) for role in roles]
    html = []
    for plugin_title, permissions in groups:
        html.append(f'<tbody>\n<tr class="matrix-group"><th scope="rowgroup" colspan="{len(roles) + 1}">'
                    f'{escape(plugin_title)}</th></tr>')
        for perm in permissions:
            title, name, dashed = escape(perm.title), escape(perm.name), escape(perm.name.replace(".", "-"))
            cells = []
            for index, (role, role_title, role_name, granted) in enumerate(columns, start=1):
                if role.name == ADMIN:
                    box = f'<input type="checkbox" checked disabled aria-label="{role_title}: {title} (always)">'
                else:
                    box = (f'<input type="checkbox" id="g-{role.id}-{index}-{dashed}" name="grant" '
                           f'value="{role_name}|{name}" aria-label="{role_title}: {title}" '
                           f'{"checked" if perm.name in granted else ""}>')
                cells.append(f'<td class="matrix-cell">{box}</td>')
            html.append(f'<tr>\n<th scope="row">{title}<br><code>{name}</code></th>\n{"".join(cells)}\n</tr>')
        html.append("</tbody>")
    return Markup("\n".join(html))


# The page's reads, compiled once.
_GRANTS = RolePermission.select(RolePermission.role, RolePermission.permission)
_MEMBERS = UserRole.select(UserRole.role, pw.fn.COUNT(UserRole.id)).group_by(UserRole.role).tuples()
_ROLES = Role.select().order_by(Role.id)


def _roles_and_matrix(groups: list[tuple[str, list]]) -> tuple[dict, list, Markup]:
    """The members per role, the roles and :func:`matrix_html`, kept until a role, a grant or a user's roles change
    (the access version) or a plugin is turned on or off (which decides ``groups``): writing the matrix's ~2,000
    checkboxes cost several ms a view."""
    def build():
        roles = list(prepared.run(_ROLES, "roles.all"))
        grants: dict[int, set[str]] = {}
        for role_id, permission in prepared.rows(_GRANTS, "roles.grants"):
            grants.setdefault(role_id, set()).add(permission)
        return dict(prepared.rows(_MEMBERS, "roles.members")), roles, matrix_html(groups, roles, grants)
    return kept_part((), ("roles matrix",), build)


def _page(form, new_form, groups, refused: str = ""):
    members, roles, matrix = _roles_and_matrix(groups)
    return render_page("admin/roles.html", title="Roles", form=form, new_form=new_form, roles=roles,
                       matrix=matrix, members=members, refused=refused,
                       breadcrumbs=[("Admin", None), ("Roles", None)])


@bp.route("/admin/roles", methods=["GET", "POST"])
@requires("core.roles.manage")
def roles():
    """The role x permission matrix; saving applies and audits every changed role."""
    form = MatrixForm()
    groups = current_app.extensions["medoffice"].derived("roles permission groups", permission_groups)
    if form.validate_on_submit():
        shown = {p.name for _, perms in groups for p in perms}
        checked = {tuple(v.split("|", 1)) for v in request.form.getlist("grant") if "|" in v}
        try:
            changes = save_matrix(current_user, checked, shown)
        except privileges.PrivilegeError as exc:
            return _page(form, NewRoleForm(), groups, refused=str(exc)), 403
        notify(f"Saved changes to {', '.join(c['role'] for c in changes)}." if changes else "Nothing changed.")
        return redirect(url_for("core.roles"))
    return _page(form, NewRoleForm(), groups)


@bp.route("/admin/roles/new", methods=["POST"])
@requires("core.roles.manage")
def role_new():
    """Add a role (no permissions yet); tick its permissions in the matrix afterwards."""
    form = NewRoleForm()
    if form.validate_on_submit():
        if Role.select().where(Role.name == form.name.data).exists():
            form.name.errors.append("A role with that short name exists.")
        else:
            with transaction():
                role = Role.create(name=form.name.data, title=form.title.data.strip(),
                                   description=(form.description.data or "").strip())
                audit.record("role.create", "role", role.id, detail={"role": role.name, "title": role.title})
            notify(f"Added the role {role.title}. Tick its permissions below.")
            return redirect(url_for("core.roles"))
    return _page(MatrixForm(), form, permission_groups()), 422

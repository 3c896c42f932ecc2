"""Who may change whose privileges: the rules every assignment of roles and every edit of a role's
permissions goes through (the admin pages and the CLI call these functions, never the tables).

1. Nobody changes their own roles, nor the permissions of a role they hold (administrators
   included: a second administrator must do it).
2. Nobody grants a permission they do not hold themselves; giving a user a role grants every
   permission in it, and the administrator role is every permission.
3. Emergency (break-glass) access allows none of this: it widens the reading of patient records
   only, and what one holds through it is never "held" here.

The last active administrator keeps the role. A refusal raises :class:`PrivilegeError` before
anything is written and is recorded in the audit trail; call these outside an open transaction,
or the record of the refusal is rolled back with it.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .. import audit
from ..db import transaction
from ..models import Role, RolePermission, User
from .accounts import ADMIN, active_admin_count, create_user, role_names, set_roles


class PrivilegeError(Exception):
    """A change of roles or permissions was refused; ``str(error)`` tells the user why."""


@dataclass(frozen=True)
class Operator:
    """The person at the instance's command line. Whoever can run ``medoffice`` on the instance can
    read its configuration and database and so change anything; commands act for them as an
    administrator who is no user and holds no role, and are audited as ``cli``."""

    id: None = None
    username: str = "cli"
    roles: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = True
    emergency: bool = False

    def holds(self, permission: str) -> bool:
        """The operator holds every permission."""
        return True


OPERATOR = Operator()


def _audit_name(actor) -> str | None:
    """The audit user name for ``actor``: the operator's own, else the request's logged-in user."""
    return actor.username if isinstance(actor, Operator) else None


def _refuse(actor, action: str, object_type: str, object_id, message: str, detail: dict) -> None:
    """Record the refused attempt (in its own transaction) and raise."""
    with transaction():
        audit.record(action, object_type, object_id, username=_audit_name(actor),
                     detail={**detail, "refused": message})
    raise PrivilegeError(message)


def _role_grants(names: Iterable[str]) -> set[str]:
    """Every permission the named (non-admin) roles grant."""
    names = [n for n in names if n != ADMIN]
    if not names:
        return set()
    return {p for (p,) in RolePermission.select(RolePermission.permission).join(Role)
            .where(Role.name.in_(names)).tuples()}


def _not_held(actor, permissions: Iterable[str]) -> list[str]:
    return sorted(p for p in permissions if not actor.holds(p))


def _listed(permissions: list[str]) -> str:
    shown = ", ".join(permissions[:6])
    return shown + (f" and {len(permissions) - 6} more" if len(permissions) > 6 else "")


def role_assignment_problem(actor, user: User, before: Iterable[str], wanted: Iterable[str]) -> str | None:
    """Why ``actor`` may not change ``user``'s roles from ``before`` to ``wanted`` (None: they may)."""
    before, wanted = set(before), set(wanted)
    if before == wanted:
        return None
    if actor.emergency:
        return "Emergency access does not allow changing roles; end it first."
    known = {r.name for r in Role.select(Role.name).where(Role.name.in_(list(wanted)))} if wanted else set()
    if wanted - known:
        return f"No such role: {', '.join(sorted(wanted - known))}."
    if (ADMIN in wanted) != (ADMIN in before):
        if not actor.is_admin:
            return "Only an administrator can grant or remove the administrator role."
        if ADMIN not in wanted and user.active and active_admin_count() <= 1:
            return "This is the last active administrator; make someone else one first."
    if user.id is not None and user.id == actor.id:
        return "You cannot change your own roles: another administrator must do it."
    added = wanted - before
    if ADMIN in added:
        return None  # the actor is an administrator (checked above) and holds every permission
    missing = _not_held(actor, _role_grants(added))
    if missing:
        return f"You cannot grant permissions you do not hold yourself: {_listed(missing)}."
    return None


def check_role_assignment(actor, user: User, wanted: Iterable[str]) -> None:
    """Refuse (audited, :class:`PrivilegeError`) unless ``actor`` may give ``user`` exactly ``wanted``."""
    before = role_names(user.id)
    problem = role_assignment_problem(actor, user, before, wanted)
    if problem:
        _refuse(actor, "user.roles.refused", "user", user.id, problem,
                {"username": user.username, "before": before, "wanted": sorted(set(wanted))})


def assign_roles(actor, user: User, wanted: Iterable[str]) -> tuple[list[str], list[str]]:
    """Give ``user`` exactly the roles ``wanted`` for ``actor``, after the checks; audited.

    :return: the role names (before, after).
    :raises PrivilegeError: the rules refuse the change (nothing is written but the refusal's record).
    """
    wanted = sorted(set(wanted))
    check_role_assignment(actor, user, wanted)
    with transaction():
        before, after = set_roles(user.id, wanted)
        if before != after:
            audit.record("user.roles", "user", user.id, username=_audit_name(actor),
                         detail={"username": user.username, "before": before, "after": after})
    return before, after


def check_new_user_roles(actor, username: str, roles: Iterable[str]) -> None:
    """Refuse (audited, :class:`PrivilegeError`) unless ``actor`` may create an account with ``roles``."""
    roles = sorted(set(roles))
    newcomer = User(id=None, username=username, active=True)
    problem = role_assignment_problem(actor, newcomer, [], roles)
    if problem:
        _refuse(actor, "user.create.refused", "user", "", problem, {"username": username, "roles": roles})


def create_account(actor, username: str, full_name: str, password: str, roles: Iterable[str], *,
                   email: str = "", must_change_password: bool = False, staff_id: int | None = None) -> User:
    """Create an account with ``roles`` for ``actor``, after the checks; audited.

    The password must already satisfy the policy and the user name be free; ``staff_id``, when given, is
    the person in the staff directory the login is (checked free by the caller).
    :raises PrivilegeError: the rules refuse the roles (nothing is written but the refusal's record).
    """
    roles = sorted(set(roles))
    check_new_user_roles(actor, username, roles)
    with transaction():
        user = create_user(username, full_name, password, roles, email=email,
                           must_change_password=must_change_password)
        if staff_id is not None:
            User.update(staff=staff_id).where(User.id == user.id).execute()
        audit.record("user.create", "user", user.id, username=_audit_name(actor),
                     detail={"username": username, "roles": role_names(user.id),
                             "must_change_password": must_change_password,
                             **({"staff_id": staff_id} if staff_id is not None else {})})
    return user


def grants_by_role() -> dict[int, set[str]]:
    """Every granted permission per role id (one query)."""
    found: dict[int, set[str]] = {}
    for role_id, permission in RolePermission.select(RolePermission.role, RolePermission.permission).tuples():
        found.setdefault(role_id, set()).add(permission)
    return found


def role_permission_problems(actor, changes: list[tuple[Role, set[str], set[str]]]) -> list[str]:
    """Why ``actor`` may not make these changes of (role, before, after) grants (empty: they may)."""
    if not changes:
        return []
    if actor.emergency:
        return ["Emergency access does not allow changing roles; end it first."]
    problems = []
    for role, before, after in changes:
        if role.name == ADMIN:
            problems.append("The administrator role holds every permission and cannot be changed.")
        elif role.name in actor.roles:
            problems.append(f"You hold the role {role.title}: another administrator must change its permissions.")
        else:
            missing = _not_held(actor, after - before)
            if missing:
                problems.append(f"{role.title}: you cannot grant permissions you do not hold yourself: "
                                f"{_listed(missing)}.")
    return problems


def set_role_permissions(actor, wanted: dict[str, set[str]], shown: set[str]) -> list[dict]:
    """Make each named role's grants of the ``shown`` permissions equal ``wanted[name]``, for ``actor``.

    Grants of permissions not shown (a disabled plugin's) are kept. All or nothing: one refused
    role refuses the whole change.
    :param wanted: permissions per role name; roles not named are left alone.
    :return: the audit details written, one per changed role.
    :raises PrivilegeError: the rules refuse a change (nothing is written but the refusal's record).
    """
    grants = grants_by_role()
    changes = []
    for role in Role.select().where(Role.name.in_(list(wanted))).order_by(Role.id):
        before = grants.get(role.id, set())
        after = (before - shown) | (wanted[role.name] & shown)
        if after != before:
            changes.append((role, before, after))
    problems = role_permission_problems(actor, changes)
    if problems:
        _refuse(actor, "role.permissions.refused", "role", "", " ".join(problems),
                {"roles": {role.name: {"added": sorted(after - before), "removed": sorted(before - after)}
                           for role, before, after in changes}})
    details = []
    with transaction():
        for role, before, after in changes:
            added, removed = sorted(after - before), sorted(before - after)
            if removed:
                RolePermission.delete().where((RolePermission.role == role)
                                              & RolePermission.permission.in_(removed)).execute()
            if added:
                RolePermission.insert_many([{"role": role, "permission": p} for p in added]).execute()
            detail = {"role": role.name, "before": sorted(before), "after": sorted(after),
                      "added": added, "removed": removed}
            audit.record("role.permissions", "role", role.id, username=_audit_name(actor), detail=detail)
            details.append(detail)
    return details

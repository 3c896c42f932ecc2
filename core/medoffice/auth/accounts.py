"""Users, roles and permissions: hashing, role grants and the seeded roles."""
from __future__ import annotations

from flask import current_app, has_app_context
from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from ..contributions import Permission
from ..db import transaction
from ..models import PermissionSeed, Role, RolePermission, User, UserRole
from . import session_store

SEEDED_ROLES = {
    "admin": ("Administrator", "Everything, including users, roles, plugins and settings."),
    "office_manager": ("Office manager", "Runs the practice: every duty area and its reports."),
    "billing": ("Billing", "Charges, claims, payments, statements and collections."),
    "front_desk": ("Front desk", "Patients, check-in, payments at the desk."),
    "hr": ("Human resources", "Employees, pay, training and the manual."),
    "auditor": ("Auditor (read-only)", "Reads the audit trail and reports; changes nothing."),
}
ADMIN = "admin"


PASSWORD_HASH_METHOD = "scrypt"  # werkzeug's scrypt: N=2**15, r=8, p=1 (64 MiB, a sixth of a second)


def hash_password(password: str) -> str:
    """A memory-hard (scrypt) hash of ``password``.

    The cost comes from the app's ``PASSWORD_HASH_METHOD`` (default :data:`PASSWORD_HASH_METHOD`);
    test suites lower it, since every test user's password is hashed and checked. A hash records
    its own cost, so hashes made at any cost keep verifying.
    """
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return generate_password_hash(password, method=method or PASSWORD_HASH_METHOD)


def password_matches(user: User, password: str) -> bool:
    """True when ``password`` is the user's password (constant-time comparison)."""
    return check_password_hash(user.password_hash, password)


class SessionUser(UserMixin):
    """The logged-in user as Flask-Login sees it: the row plus its permission set."""

    def __init__(self, user: User, permissions: frozenset[str], roles: frozenset[str]):
        self.row = user
        self.id = user.id
        self.username = user.username
        self.full_name = user.full_name
        self.roles = roles
        self.permissions = permissions
        self.emergency = False  # set by the access guard while a break-glass grant is active
        self.break_glass: frozenset[str] = frozenset()  # what that grant adds to this request

    def get_id(self) -> str:
        """The session key: the user id."""
        return str(self.id)

    @property
    def is_active(self) -> bool:
        """Deactivated users cannot log in or keep a session."""
        return self.row.active

    @property
    def is_admin(self) -> bool:
        """Admins hold every permission."""
        return ADMIN in self.roles

    def use_emergency_access(self, permissions: frozenset[str]) -> None:
        """Mark this request as made under a break-glass grant that adds ``permissions`` (the
        permissions declared ``break_glass``: reading patient records, never administration)."""
        self.emergency = True
        self.break_glass = permissions

    def holds(self, permission: str) -> bool:
        """True when the user's own roles grant ``permission``: what they may pass on to others.
        Emergency access never counts."""
        return self.is_admin or permission in self.permissions

    def has_permission(self, permission: str) -> bool:
        """True when the user's roles grant ``permission``, or an active break-glass grant adds it."""
        return self.is_admin or permission in self.permissions or permission in self.break_glass


def load_session_user(user_id: int) -> SessionUser | None:
    """Load a user with roles and granted permissions in two queries."""
    user = User.get_or_none(User.id == user_id)
    if user is None:
        return None
    roles = frozenset(
        r.name for r in Role.select(Role.name).join(UserRole).where(UserRole.user == user)
    )
    permissions = frozenset(
        rp.permission for rp in RolePermission.select(RolePermission.permission)
        .join(Role).join(UserRole, on=(UserRole.role == Role.id)).where(UserRole.user == user)
    )
    return SessionUser(user, permissions, roles)


def ensure_roles() -> None:
    """Create the seeded roles that do not exist yet (never alters edited ones)."""
    existing = {r.name for r in Role.select(Role.name)}
    with transaction():
        for name, (title, description) in SEEDED_ROLES.items():
            if name not in existing:
                Role.create(name=name, title=title, description=description)


def seed_permissions(permissions: list[Permission]) -> list[str]:
    """Grant each new permission to its default roles, once.

    A permission seeded before is left alone, so an admin who revoked it keeps it revoked.
    :return: the permissions seeded now.
    """
    seeded = {p.permission for p in PermissionSeed.select(PermissionSeed.permission)}
    roles = {r.name: r for r in Role.select()}
    new = [p for p in permissions if p.name not in seeded]
    with transaction():
        for perm in new:
            for role_name in perm.default_roles:
                role = roles.get(role_name)
                if role is not None and role_name != ADMIN:
                    RolePermission.insert(role=role, permission=perm.name).on_conflict_ignore().execute()
            PermissionSeed.create(permission=perm.name)
    return [p.name for p in new]


def create_user(username: str, full_name: str, password: str, roles: list[str],
                email: str = "", must_change_password: bool = False) -> User:
    """Create a user with the given roles (the password must already satisfy the policy).

    Unchecked: only seeding (demo data, test fixtures) calls it directly; a person's request goes
    through ``medoffice.auth.privileges.create_account``, which applies the privilege rules.
    """
    with transaction():
        user = User.create(username=username, full_name=full_name, email=email,
                           password_hash=hash_password(password), must_change_password=must_change_password)
        for role in Role.select().where(Role.name.in_(roles)):
            UserRole.create(user=user, role=role)
    return user


def role_names(user_id: int) -> list[str]:
    """The names of the roles a user holds, sorted."""
    return sorted(r.name for r in Role.select(Role.name).join(UserRole).where(UserRole.user == user_id))


def set_roles(user_id: int, roles: list[str]) -> tuple[list[str], list[str]]:
    """Make the user hold exactly ``roles`` (unknown names ignored); returns (before, after).

    Unchecked: callers acting for a person use ``medoffice.auth.privileges.assign_roles``.
    """
    before = role_names(user_id)
    with transaction():
        UserRole.delete().where(UserRole.user == user_id).execute()
        for role in Role.select().where(Role.name.in_(list(roles))):
            UserRole.create(user=user_id, role=role)
        after = role_names(user_id)
        if after != before:
            # Whatever the change, the person signs in again under the new roles.
            session_store.end_for_user(user_id, session_store.ROLE_CHANGE)
    return before, after


def active_admin_count() -> int:
    """How many active accounts hold the admin role."""
    return (User.select().join(UserRole).join(Role)
            .where((Role.name == ADMIN) & (User.active == True)).count())  # noqa: E712


def deactivate_account(user_id: int) -> bool:
    """Deactivate a login (it can no longer sign in; its sessions and emergency grants end; its
    history stays), audited; False when it was already inactive. The caller decides who may (the
    admin page, HR's separation job); run it inside ``transaction()``."""
    from .. import audit
    from ..models import EmergencyAccess
    from . import emergency

    user = User.get_or_none(User.id == user_id)
    if user is None or not user.active:
        return False
    User.update(active=False).where(User.id == user.id).execute()
    audit.record("user.deactivate", "user", user.id, detail={"username": user.username})
    for grant in EmergencyAccess.select().where((EmergencyAccess.user == user.id) & EmergencyAccess.ended_at.is_null()):
        emergency.end(grant, "revoked")
    session_store.end_for_user(user.id, session_store.DEACTIVATED)
    return True

"""Route protection: every view is public or names the permission it needs; nothing else runs.

Enforcement is central (a before-request check), so a plugin view that forgets to declare a
permission fails closed with 403 instead of opening patient data to every logged-in user.
"""
from __future__ import annotations

from flask import abort, current_app, g
from flask_login import current_user

PUBLIC_ATTR = "_medoffice_public"
PERMISSION_ATTR = "_medoffice_permission"


def public(view):
    """Mark a view as reachable without logging in (login page, health check)."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def requires(permission: str):
    """Mark a view as needing ``permission``; core checks it before the view runs."""

    def decorate(view):
        setattr(view, PERMISSION_ATTR, permission)
        return view

    return decorate


def view_permission(view) -> str | None:
    """The permission a view declared, or None."""
    return getattr(view, PERMISSION_ATTR, None)


def view_is_public(view) -> bool:
    """True when a view was marked public."""
    return bool(getattr(view, PUBLIC_ATTR, False))


def can(permission: str, user=None) -> bool:
    """Whether the current user (or ``user``) holds ``permission`` (and its plugin is enabled)."""
    user = current_user._get_current_object() if user is None else user
    if not getattr(user, "is_authenticated", False):
        return False
    plugin = permission.split(".", 1)[0]
    if not current_app.extensions["medoffice"].host.is_enabled(plugin):
        return False
    return user.has_permission(permission)


def grants_key(user) -> object:
    """What decides which permissions ``user`` (signed in) holds, hashable: a key for HTML kept per what its viewer may
    do (an admin holds them all; emergency access adds to the roles' grants)."""
    return "all" if user.is_admin else (user.permissions, user.break_glass)


def require(permission: str) -> None:
    """Abort with 403 unless the current user holds ``permission`` (for checks inside views)."""
    if not can(permission):
        g.denied_permission = permission
        abort(403)

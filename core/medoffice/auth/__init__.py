"""Login and permissions: accounts and roles, sessions, two-factor sign-in, emergency access and
the permission checks every route makes.

Plugins import what they need from here::

    from medoffice.auth import can, requires

    @bp.route("/equipment")
    @requires("equipment.items.view")
    def items(): ...

Parts: ``access`` (the route decorators and ``can``), ``accounts`` (users, roles, the request's
user), ``privileges`` (who may change whose access), ``passwords`` (the password policy),
``security`` (login throttling and lockout), ``session_store`` and ``sessions`` (server-side
sessions and the cookie), ``access_version`` (the database triggers that invalidate cached
grants), ``two_factor``, ``emergency`` (break-glass access) and ``redirect_target`` (where a
login may return to). The design is in docs/architecture.md.
"""
from .access import can, public, require, requires, view_is_public, view_permission
from .accounts import ADMIN, SessionUser, create_user, load_session_user
from .passwords import policy_problems
from .redirect_target import same_site_path

__all__ = ["ADMIN", "SessionUser", "can", "create_user", "load_session_user", "policy_problems", "public",
           "require", "requires", "same_site_path", "view_is_public", "view_permission"]

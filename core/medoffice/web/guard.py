"""The central access check run before every view (login, permission, fail closed)."""
from __future__ import annotations

import logging

from flask import abort, current_app, g, request
from flask_login import current_user

from ..auth import sessions
from ..auth.access import can, view_is_public, view_permission
from . import break_glass

log = logging.getLogger("medoffice.access")


def enforce_access():
    """Let public views through; send anonymous users to login; 403 without the permission."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None or view_is_public(view):
        return None
    user = current_user._get_current_object()  # the proxy resolves the user again on every attribute read
    if not user.is_authenticated:
        # A cookie naming a session that has ended says why (logged out elsewhere, password changed...).
        return sessions.to_login(sessions.ended_message())
    ended = sessions.enforce(user)  # idle logoff, absolute lifetime, must-change-password
    if ended is not None:
        return ended
    break_glass.elevate()
    permission = view_permission(view)
    if permission is None:
        # Fail closed: a view that declares no permission is a plugin bug, not an open door.
        log.error("view %s declares no permission; refusing access", request.endpoint)
        abort(403)
    if not can(permission, user):
        g.denied_permission = permission
        abort(403)
    return None

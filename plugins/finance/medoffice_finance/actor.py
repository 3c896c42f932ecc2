"""Who is acting: the logged-in user in a request, the system elsewhere (CLI, jobs, demo data)."""
from __future__ import annotations

from flask import has_request_context
from flask_login import current_user


def acting_user() -> tuple[int | None, str]:
    """(user id, username) of the current request's user, or (None, "system")."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id, current_user.username
    return None, "system"

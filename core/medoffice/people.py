"""People's names where records keep a user name: "Taken by", "Recorded by" and the like show the
person (the user's full name), not the login.

The names of all users are read once per request (a practice has tens of users, and a page of a
hundred payments would otherwise look up each one).
"""
from __future__ import annotations

from flask import g, has_request_context

from .models import User


def _names() -> dict[str, str]:
    if has_request_context() and "_people_names" in g:
        return g._people_names
    names = {u.username: u.full_name for u in User.select(User.username, User.full_name)}
    if has_request_context():
        g._people_names = names
    return names


def person_name(username: str | None, default: str = "") -> str:
    """The full name of the user ``username`` (the user name itself when the user has none or is
    gone; ``default`` when there is no user name, such as work done by the system)."""
    if not username:
        return default
    return _names().get(username) or username

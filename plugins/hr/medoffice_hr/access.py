"""Who may see an employee's file: HR in full, the employee their own, a supervisor their
direct reports' job and contacts. Anyone else gets a 404 (the file's existence is not told)."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from medoffice.auth import can

FULL, SELF, SUPERVISOR = "full", "self", "supervisor"


def my_staff_id() -> int | None:
    """The staff record linked to the logged-in user's login, if any."""
    return current_user.row.staff_id


def relation(staff_id: int, supervisor_id: int | None) -> str | None:
    """How the logged-in user stands to the file of ``staff_id`` (supervised by ``supervisor_id``)."""
    if can("hr.employees.view"):
        return FULL
    mine = my_staff_id()
    if mine is None:
        return None
    if mine == staff_id:
        return SELF
    if supervisor_id is not None and mine == supervisor_id:
        return SUPERVISOR
    return None


def require_relation(staff_id: int, supervisor_id: int | None, allowed=(FULL, SELF, SUPERVISOR)) -> str:
    """The relation, or 404 when the user has none of ``allowed`` to this file."""
    found = relation(staff_id, supervisor_id)
    if found not in allowed:
        abort(404)
    return found

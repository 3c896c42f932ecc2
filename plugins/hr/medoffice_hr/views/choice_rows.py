"""The (id, name) rows HR's forms offer as choices: active departments (kept until departments change) and active
locations (read on every use: core's locations have no data version), each from a statement compiled once."""
from __future__ import annotations

from medoffice import prepared
from medoffice.data_versions import kept
from medoffice.models import Location

from ..models import PEOPLE, Department

_DEPARTMENTS = (Department.select(Department.id, Department.name)
                .where(Department.active == True).order_by(Department.name).tuples())  # noqa: E712
_LOCATIONS = (Location.select(Location.id, Location.name)
              .where(Location.active == True).order_by(Location.name).tuples())  # noqa: E712


def active_departments() -> tuple[tuple[int, str], ...]:
    """The active departments by name, kept until departments or employments change."""
    return kept(PEOPLE.key, "active departments", lambda: tuple(prepared.rows(_DEPARTMENTS, "hr.departments")))


def active_locations() -> tuple[tuple[int, str], ...]:
    """The active locations by name, read on every use."""
    return tuple(prepared.rows(_LOCATIONS, "hr.active_locations"))

"""The practice's active locations, which finance's kept forms offer."""
from __future__ import annotations

from medoffice import prepared
from medoffice.models import Location

_LOCATIONS = Location.select(Location.id, Location.name).where(Location.active).order_by(Location.name).tuples()


def active_locations() -> tuple[tuple[int, str], ...]:
    """The active locations (id, name) by name, read on every view and put among a kept part's arguments."""
    return tuple(prepared.run(_LOCATIONS, "finance.active_locations").cursor)

"""Placeholders for prepared queries (``medoffice.prepared``) that filter on a list of ids."""
from __future__ import annotations

from medoffice.prepared import slot


def id_slots(count: int) -> list:
    """Slots for an ``IN`` list of ``count`` ids (filled by :func:`id_values`): the query's shape then
    depends on how many ids there are, not which, so one compiled statement serves every page."""
    return [slot(f"id{i}") for i in range(count)]


def id_values(ids: list[int]) -> dict:
    """The values of :func:`id_slots` for ``ids``."""
    return {f"id{i}": value for i, value in enumerate(ids)}

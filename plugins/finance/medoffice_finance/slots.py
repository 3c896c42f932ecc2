"""Placeholders for prepared queries (``medoffice.prepared``) that filter on a list of ids."""
from __future__ import annotations

from medoffice.prepared import slot


def id_slots(ids: list[int]) -> tuple[list, dict]:
    """Slots for an ``IN`` list of ``ids``, and their values: the query's shape then depends on how many ids
    there are, not which, so one compiled statement serves every page (key it by ``len(ids)``)."""
    return [slot(f"id{i}") for i in range(len(ids))], {f"id{i}": value for i, value in enumerate(ids)}

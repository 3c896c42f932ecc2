"""Claim numbers and line control numbers from core's monotonic counters (never reused)."""
from __future__ import annotations

from medoffice.db import transaction
from medoffice.models import Counter

CLAIM_COUNTER = "billing.claim_number"
LINE_COUNTER = "billing.line_control"


def allocate(counter: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive values of ``counter``; returns the first one.

    The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) first, so two
    desks saving at once never get the same numbers.
    """
    with transaction():
        Counter.insert(name=counter, value=0).on_conflict_ignore().execute()
        Counter.update(value=Counter.value + count).where(Counter.name == counter).execute()
        last = Counter.get(Counter.name == counter).value
    return last - count + 1


def claim_number(value: int) -> str:
    """The patient control number (CLM01) for counter value ``value``."""
    return f"C{value:07d}"


def line_control_number(value: int) -> str:
    """The line control number (REF*6R) for counter value ``value``."""
    return f"L{value:08d}"

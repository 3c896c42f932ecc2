"""The employee manual: versioned markdown kept by core's documents (kind ``hr.employee_manual``).
Core asks each person of its audience to acknowledge a version that requires it, reminds them
through deadlines and escalates; HR's page shows who has not signed which version."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice import documents

KIND = "hr.employee_manual"


@dataclass
class ManualStatus:
    """One manual: its current version and the people who have not acknowledged it."""

    document: object  # a medoffice.documents Document
    unsigned: list  # PersonStatus of everyone pending or overdue
    signed: int


def manual_statuses(today: dt.date) -> list[ManualStatus]:
    """Every published manual with who still has to sign its current version (a few queries each)."""
    result = []
    for document in documents.published(KIND):
        people = documents.people(document, today)
        unsigned = [p for p in people if p.status in ("pending", "overdue")]
        unsigned.sort(key=lambda p: (p.status != "overdue", p.user.full_name))
        result.append(ManualStatus(document, unsigned, sum(1 for p in people if p.status == "acknowledged")))
    return result


def overdue_signatures(today: dt.date) -> int:
    """How many people are overdue acknowledging a published manual (for HR's Today item)."""
    return sum(1 for status in manual_statuses(today) for p in status.unsigned if p.status == "overdue")

"""Possible existing patients for a registration: the same person typed again, perhaps with a typo.

Candidates are narrowed in SQL to the few active patients who share the date of birth or a phone
number (digits compared, whatever the formatting); only those are compared by name with rapidfuzz,
so the check costs one indexed query however large the directory is.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rapidfuzz import fuzz

from .models import Patient
from .patient_search import digits, phone_digits

NAME_SIMILARITY = 80  # rapidfuzz score (0-100) from which two names read as the same person's
MIN_PHONE_DIGITS = 7
MAX_NARROWED = 200


@dataclass(frozen=True)
class Candidate:
    """An existing patient who may be the one being registered, and why."""

    patient: Patient
    reasons: tuple[str, ...]


def name_similarity(first_a: str, last_a: str, first_b: str, last_b: str) -> float:
    """How alike two names are (0-100), forgiving typos and first/last swapped."""
    one = f"{first_a} {last_a}".strip().lower()
    two = f"{first_b} {last_b}".strip().lower()
    return fuzz.token_sort_ratio(one, two)


def possible_duplicates(first_name: str, last_name: str, date_of_birth: dt.date | None,
                        phones: tuple[str, ...] = ()) -> list[Candidate]:
    """Active patients who may be the person described: same date of birth with a similar name,
    or the same phone number with a similar name or the same date of birth."""
    numbers = {d for d in (digits(p) for p in phones) if len(d) >= MIN_PHONE_DIGITS}
    narrow = None
    if date_of_birth is not None:
        narrow = Patient.date_of_birth == date_of_birth
    for number in numbers:
        same = (phone_digits(Patient.phone) == number) | (phone_digits(Patient.mobile) == number)
        narrow = same if narrow is None else narrow | same
    if narrow is None:
        return []
    rows = Patient.select().where((Patient.active == True) & narrow).limit(MAX_NARROWED)  # noqa: E712
    found = []
    for row in rows:
        similar = name_similarity(first_name, last_name, row.first_name, row.last_name) >= NAME_SIMILARITY
        same_birth = date_of_birth is not None and row.date_of_birth == date_of_birth
        same_phone = bool(numbers & {digits(row.phone), digits(row.mobile)})
        reasons = tuple(reason for reason, holds in (
            ("similar name", similar), ("same date of birth", same_birth), ("same phone", same_phone)) if holds)
        if similar and (same_birth or same_phone) or (same_birth and same_phone):
            found.append(Candidate(row, reasons))
    return found

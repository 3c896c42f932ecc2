"""Validation helpers for billing data. NPI checks and money formatting come from core."""

from __future__ import annotations

import re

from medoffice.identifiers import npi_is_valid
from medoffice.money import format_cents

__all__ = ["format_cents", "icd10_is_valid_format", "normalize_icd10", "npi_is_valid"]

_ICD10 = re.compile(r"[A-Z][0-9][A-Z0-9](?:\.?[A-Z0-9]{1,4})?")


def icd10_is_valid_format(code: str) -> bool:
    """Return True when ``code`` looks like an ICD-10-CM code, with or without the dot.

    Checks the shape only (letter, digit, letter-or-digit, then up to four more
    letters or digits), not whether the code exists in the code set.
    """
    if not isinstance(code, str):
        return False
    return _ICD10.fullmatch(code.strip().upper()) is not None


def normalize_icd10(code: str) -> str:
    """Return ``code`` upper-cased without its dot, as claims carry it (``e11.9`` -> ``E119``).

    Raises ValueError when the code does not have the ICD-10-CM shape.
    """
    if not icd10_is_valid_format(code):
        raise ValueError(f"{code!r} is not a valid ICD-10-CM diagnosis code.")
    return code.strip().upper().replace(".", "")

"""Pure validation and formatting helpers for billing data (standard library only)."""

from __future__ import annotations

import re
from decimal import Decimal

_NPI_PREFIX = "80840"  # health-industry prefix that the NPI check digit is computed over
_ICD10 = re.compile(r"[A-Z][0-9][A-Z0-9](?:\.?[A-Z0-9]{1,4})?")
_MONEY = re.compile(r"(?P<sign>[+-]?)\$?(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?P<fraction>[0-9]*))?")


def npi_is_valid(npi: str) -> bool:
    """Return True when ``npi`` is 10 digits whose last digit is the Luhn check digit.

    The check digit is computed over the first nine digits prefixed with 80840,
    as CMS specifies for the National Provider Identifier.
    """
    if not isinstance(npi, str) or len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(_NPI_PREFIX + npi)):
        digit = int(char)
        if position % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


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


def parse_money_to_cents(text: str) -> int:
    """Parse an amount such as ``"123.45"``, ``"-12"`` or ``"$1,234.5"`` into integer cents.

    Raises ValueError with a readable message for empty text, stray
    characters, misplaced thousands separators or more than two decimals.
    """
    if not isinstance(text, str):
        raise TypeError(f"Expected the amount as text, got {type(text).__name__}.")
    cleaned = text.strip()
    match = _MONEY.fullmatch(cleaned)
    if not cleaned or match is None:
        raise ValueError(f"{text!r} is not a valid amount of money.")
    whole = match["whole"].replace(",", "")
    fraction = match["fraction"] or ""
    if not whole and not fraction:
        raise ValueError(f"{text!r} is not a valid amount of money: it has no digits.")
    if len(fraction) > 2:
        raise ValueError(f"{text!r} has more than two decimal places; amounts are in dollars and cents.")
    cents = int(Decimal(f"{whole or '0'}.{fraction or '0'}") * 100)
    return -cents if match["sign"] == "-" else cents


def format_cents(cents: int) -> str:
    """Format integer cents for people: 123456 -> ``"$1,234.56"``, -1200 -> ``"-$12.00"``."""
    sign = "-" if cents < 0 else ""
    dollars, remainder = divmod(abs(cents), 100)
    return f"{sign}${dollars:,}.{remainder:02d}"

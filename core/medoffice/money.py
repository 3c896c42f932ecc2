"""Money is integer cents everywhere; Decimal only at the edges (parsing and display)."""
from __future__ import annotations

import re
from decimal import Decimal


_MONEY = re.compile(
    r"(?P<sign>[+-]?)\$?(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)(?:\.(?P<fraction>[0-9]*))?"
)
MAX_CENTS = 100_000_000 * 100


def parse_cents(text: str | int, *, allow_negative: bool = False) -> int:
    """Parse "1,234.56", "$12", "-3.5" (or whole dollars as an int) into cents.

    Strict on purpose: no exponents, no misplaced thousands separators, at most two decimals.
    :raises ValueError: with a message fit for the user.
    """
    if isinstance(text, bool) or not isinstance(text, (str, int)):
        raise TypeError(f"expected the amount as text, got {type(text).__name__}")
    cleaned = str(text).strip()
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1].strip()
    match = _MONEY.fullmatch(cleaned)
    if not cleaned or match is None:
        raise ValueError(f"{text!r} is not a valid amount of money (use a form like 125.00)")
    whole = match["whole"].replace(",", "")
    fraction = match["fraction"] or ""
    if not whole and not fraction:
        raise ValueError(f"{text!r} is not a valid amount of money: it has no digits")
    if len(fraction) > 2:
        raise ValueError("amounts have at most two decimal places (dollars and cents)")
    cents = int(Decimal(f"{whole or '0'}.{fraction or '0'}") * 100)
    cents = -cents if match["sign"] == "-" else cents
    if cents < 0 and not allow_negative:
        raise ValueError("the amount cannot be negative")
    if abs(cents) >= MAX_CENTS:
        raise ValueError("the amount is too large")
    return cents


def format_cents(cents: int | None) -> str:
    """12345 -> "$123.45", -500 -> "-$5.00", None -> ""."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(int(cents)), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def cents_to_decimal(cents: int) -> Decimal:
    """Cents as a two-place Decimal (for CSV and X12 output)."""
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))

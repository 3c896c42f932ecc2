"""Money is integer cents everywhere; Decimal only at the edges (parsing and display)."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def parse_cents(text: str | int | Decimal, *, allow_negative: bool = False) -> int:
    """Parse "1,234.56", "$12", "-3.5" into cents.

    :raises ValueError: with a message fit for the user (not a number, too many decimals,
        negative where not allowed).
    """
    if isinstance(text, int):
        value = Decimal(text)
    else:
        cleaned = str(text).strip().replace(",", "").replace("$", "")
        if cleaned.startswith("(") and cleaned.endswith(")"):
            cleaned = "-" + cleaned[1:-1]
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError(f"{text!r} is not an amount of money (use a form like 125.00)") from None
    if not value.is_finite():
        raise ValueError("enter a finite amount")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("amounts have at most two decimals (cents)")
    if value < 0 and not allow_negative:
        raise ValueError("the amount cannot be negative")
    if abs(value) >= Decimal("100000000"):
        raise ValueError("the amount is too large")
    return int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


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

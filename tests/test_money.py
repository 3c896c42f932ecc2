"""Money is integer cents: strict parsing at the edges and display formatting."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from medoffice.money import cents_to_decimal, format_cents, parse_cents


@pytest.mark.parametrize("text, cents", [
    ("123.45", 12345), ("123", 12300), ("123.4", 12340), ("0.01", 1), (".5", 50), ("7.", 700),
    ("-12.00", -1200), ("+3", 300), ("$1,234.56", 123456), ("-$1,234,567.89", -123456789),
    (" 42.10 ", 4210), ("0", 0), ("-0.00", 0), ("(5.00)", -500), (15, 1500),
])
def test_parse_cents(text, cents):
    assert parse_cents(text, allow_negative=True) == cents


@pytest.mark.parametrize("text, message", [
    ("", "not a valid amount"), ("abc", "not a valid amount"), ("1.234", "at most two decimal"),
    ("12.3.4", "not a valid amount"), ("1,23", "not a valid amount"), ("1e3", "not a valid amount"),
    ("NaN", "not a valid amount"), ("Infinity", "not a valid amount"), ("$", "no digits"), (".", "no digits"),
    ("--1", "not a valid amount"), ("1 000", "not a valid amount"), ("12,345.678", "at most two decimal"),
    ("-5", "cannot be negative"), ("100000000", "too large"),
])
def test_parse_cents_rejects_bad_input(text, message):
    with pytest.raises(ValueError, match=message):
        parse_cents(text)


def test_parse_cents_refuses_floats():
    with pytest.raises(TypeError):
        parse_cents(12.5)


@pytest.mark.parametrize("cents, text", [
    (123456, "$1,234.56"), (-1200, "-$12.00"), (0, "$0.00"), (5, "$0.05"), (-5, "-$0.05"),
    (100000000, "$1,000,000.00"), (None, ""),
])
def test_format_cents(cents, text):
    assert format_cents(cents) == text


def test_cents_to_decimal_for_csv_and_x12():
    assert str(cents_to_decimal(-1205)) == "-12.05"


@given(st.integers(min_value=-10**9, max_value=10**9))
def test_format_and_parse_round_trip(cents):
    assert parse_cents(format_cents(cents), allow_negative=True) == cents

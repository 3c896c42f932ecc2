"""Tests for the NPI, ICD-10 and money helpers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medoffice_billing.validators import (
    format_cents,
    icd10_is_valid_format,
    normalize_icd10,
    npi_is_valid,
    parse_money_to_cents,
)


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1922164458", "9999999995", "6543210903",
                                 "1811901945"])
def test_valid_npis(npi):
    assert npi_is_valid(npi)


@pytest.mark.parametrize("npi", ["1234567890", "1999996666", "9876543210", "123456789", "12345678930",
                                 "123456789X", "", " 1234567893", "１２３４５６７８９３", None, 1234567893])
def test_invalid_npis(npi):
    assert not npi_is_valid(npi)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_makes_an_npi_valid(first_nine):
    assert sum(npi_is_valid(first_nine + str(digit)) for digit in range(10)) == 1


@pytest.mark.parametrize("code", ["E11.9", "E119", "J06.9", "R69", "Z00.00", "S72.001A", "S72001A", "U07.1",
                                  "e11.65", " I10 "])
def test_icd10_formats_accepted(code):
    assert icd10_is_valid_format(code)


@pytest.mark.parametrize("code", ["", "E1", "11.9", "EE1.9", "E11.", "E11..9", "E11.12345", "E1112345",
                                  "E1-19", "E11 9", "4779", None])
def test_icd10_formats_rejected(code):
    assert not icd10_is_valid_format(code)


def test_normalize_icd10():
    assert normalize_icd10("e11.65") == "E1165"
    assert normalize_icd10(" S72.001A ") == "S72001A"
    assert normalize_icd10("R69") == "R69"
    with pytest.raises(ValueError, match="'4779' is not a valid ICD-10-CM"):
        normalize_icd10("4779")


@pytest.mark.parametrize("text, cents", [
    ("123.45", 12345), ("123", 12300), ("123.4", 12340), ("0.01", 1), (".5", 50), ("7.", 700),
    ("-12.00", -1200), ("+3", 300), ("$1,234.56", 123456), ("-$1,234,567.89", -123456789), (" 42.10 ", 4210),
    ("0", 0), ("-0.00", 0), ("99999999999999999999.99", 9999999999999999999999),
])
def test_parse_money_to_cents(text, cents):
    assert parse_money_to_cents(text) == cents


@pytest.mark.parametrize("text, message", [
    ("", "not a valid amount"), ("abc", "not a valid amount"), ("1.234", "more than two decimal places"),
    ("12.3.4", "not a valid amount"), ("1,23", "not a valid amount"), ("1e3", "not a valid amount"),
    ("NaN", "not a valid amount"), ("Infinity", "not a valid amount"), ("$", "no digits"), (".", "no digits"),
    ("--1", "not a valid amount"), ("1 000", "not a valid amount"), ("12,345.678", "more than two decimal places"),
])
def test_parse_money_rejects_bad_input(text, message):
    with pytest.raises(ValueError, match=message):
        parse_money_to_cents(text)


def test_parse_money_requires_text():
    with pytest.raises(TypeError):
        parse_money_to_cents(12.5)


@pytest.mark.parametrize("cents, text", [
    (123456, "$1,234.56"), (-1200, "-$12.00"), (0, "$0.00"), (5, "$0.05"), (-5, "-$0.05"), (100000000, "$1,000,000.00"),
])
def test_format_cents(cents, text):
    assert format_cents(cents) == text


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_format_and_parse_round_trip(cents):
    assert parse_money_to_cents(format_cents(cents)) == cents

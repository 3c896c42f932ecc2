"""Tests for billing's NPI and ICD-10 checks (money parsing is core's: tests/test_money.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medoffice_billing.validators import icd10_is_valid_format, normalize_icd10, npi_is_valid


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

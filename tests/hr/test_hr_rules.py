"""HR's pure rules: expiry by document kind, the rate in effect, SSN and routing checks, masks, the org tree."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from medoffice_hr import rules


def test_expiry_follows_the_document_kind():
    assert rules.expiry_problem("licence", None) == "A licence or certification needs its expiry date."
    assert rules.expiry_problem("w4", dt.date(2030, 1, 1)).endswith("leave the expiry date empty.")
    assert rules.expiry_problem("i9", None) is None and rules.expiry_problem("i9", dt.date(2030, 1, 1)) is None
    assert rules.expiry_problem("passport", None) == "Choose a kind of document."


def test_the_rate_in_effect_is_the_latest_started_on_or_before_the_day():
    rates = [SimpleNamespace(effective_on=dt.date(2025, 1, 1), amount_cents=2000),
             SimpleNamespace(effective_on=dt.date(2026, 1, 1), amount_cents=2100)]
    assert rules.rate_in_effect(rates, dt.date(2025, 12, 31)).amount_cents == 2000
    assert rules.rate_in_effect(rates, dt.date(2026, 1, 1)).amount_cents == 2100
    assert rules.rate_in_effect(rates, dt.date(2024, 6, 1)) is None


def test_ssns_the_ssa_never_issues_are_refused_and_good_ones_normalised():
    assert rules.normalise_ssn("123456789") == "123-45-6789"
    for bad in ("000-12-3456", "666-12-3456", "912-34-5678", "123-00-4567", "123-45-0000", "12345678"):
        with pytest.raises(ValueError):
            rules.normalise_ssn(bad)


def test_routing_numbers_carry_the_aba_check_digit():
    assert rules.routing_is_valid("011000015")  # the Federal Reserve Bank of Boston
    assert not rules.routing_is_valid("011000016") and not rules.routing_is_valid("01100001")


def test_masks_show_at_most_the_last_four():
    assert rules.mask("ssn", "123-45-6789") == "***-**-6789"
    assert rules.mask("bank_account", "000123456789") == "****6789"
    assert "19" not in rules.mask("date_of_birth", "1980-02-19") and rules.mask("ssn", "") == ""


def test_employment_dates_and_supervision_loops_are_refused():
    assert "end_date" in rules.employment_problems(dt.date(2025, 2, 1), dt.date(2025, 1, 1), "active", 1, None)
    assert "end_date" in rules.employment_problems(dt.date(2025, 2, 1), None, "ended", 1, None)
    assert "supervisor" in rules.employment_problems(dt.date(2025, 2, 1), None, "active", 1, 1)
    assert rules.creates_cycle(1, 2, {2: 3, 3: 1}) and not rules.creates_cycle(1, 2, {2: 3, 3: None})


def test_the_org_tree_nests_reports_under_their_supervisor():
    tree = rules.org_tree([(1, "Ann", "Manager", None), (2, "Bob", "Biller", 1), (3, "Cy", "MA", 1), (4, "Di", "", 9)])
    assert [n["name"] for n in tree] == ["Ann", "Di"]
    assert [n["name"] for n in tree[0]["reports"]] == ["Bob", "Cy"]

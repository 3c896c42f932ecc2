"""Pure logic, tested once (no database): balancing, posting rules, period dates, the closing entry."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medoffice_finance.balances import AccountBalance
from medoffice_finance.journal import JournalError, LineInput, check_lines
from medoffice_finance.periods import first_open_day
from medoffice_finance.rules import Posting, RuleView, choose, posting, specificity
from medoffice_finance.yearend import closing_lines


def test_a_balanced_entry_passes_and_returns_its_total():
    assert check_lines([LineInput(1, debit_cents=500), LineInput(2, debit_cents=700),
                        LineInput(3, credit_cents=1200)]) == 1200


@pytest.mark.parametrize("lines, message", [
    ([LineInput(1, debit_cents=500)], "at least two lines"),
    ([LineInput(1, debit_cents=500), LineInput(2, credit_cents=400)], "does not balance.*\\$1.00"),
    ([LineInput(1, debit_cents=500, credit_cents=500), LineInput(2, credit_cents=0)], "Line 1: enter either"),
    ([LineInput(1), LineInput(2, credit_cents=5)], "Line 1: enter either"),
    ([LineInput(1, debit_cents=5), LineInput(2, credit_cents=-5)], "Line 2: amounts cannot be negative"),
])
def test_unbalanced_or_malformed_entries_are_refused_with_the_reason(lines, message):
    with pytest.raises(JournalError, match=message):
        check_lines(lines)


@given(st.lists(st.integers(1, 10**9), min_size=1, max_size=8), st.integers(-3, 3))
def test_lines_balance_exactly_when_debits_equal_credits(debits, skew):
    credits = [sum(debits) + skew]
    lines = [LineInput(1, debit_cents=d) for d in debits] + [LineInput(2, credit_cents=c) for c in credits if c > 0]
    if skew == 0:
        assert check_lines(lines) == sum(debits)
    else:
        with pytest.raises(JournalError):
            check_lines(lines)


RULES = [
    RuleView(1, "billing.payment_posted", "any", debit_account_id=10, credit_account_id=40),
    RuleView(2, "billing.payment_posted", "accrual", party="patient", debit_account_id=10, credit_account_id=20),
    RuleView(3, "billing.payment_posted", "accrual", party="patient", method="card", debit_account_id=12,
             credit_account_id=20),
    RuleView(4, "billing.adjustment_posted", "cash", books=False),
    RuleView(5, "billing.adjustment_posted", "accrual", party="insurance", kind="writeoff", debit_account_id=41,
             credit_account_id=21),
]


def test_the_most_specific_matching_rule_wins():
    card = {"party": "patient", "method": "card"}
    assert choose(RULES, "billing.payment_posted", card, "accrual").id == 3
    assert choose(RULES, "billing.payment_posted", {"party": "patient", "method": "cash"}, "accrual").id == 2
    assert choose(RULES, "billing.payment_posted", card, "cash").id == 1  # the accrual rules do not apply
    assert choose(RULES, "billing.adjustment_posted", {"party": "insurance", "kind": "adjustment"}, "accrual") is None
    assert [specificity(r) for r in RULES] == [0, 2, 3, 1, 3]


def test_the_normal_sign_books_debit_and_credit_and_the_other_sign_swaps_them():
    pay, writeoff = RULES[1], RULES[4]
    assert posting(pay, "billing.payment_posted", 5000) == Posting(10, 20, 5000)
    assert posting(pay, "billing.payment_posted", -5000) == Posting(20, 10, 5000)  # a payment taken back
    assert posting(writeoff, "billing.adjustment_posted", -700) == Posting(41, 21, 700)  # reduces the balance
    assert posting(writeoff, "billing.adjustment_posted", 700) == Posting(21, 41, 700)  # undone
    assert posting(RULES[3], "billing.adjustment_posted", -700) is None  # matched, deliberately not booked
    assert posting(pay, "billing.payment_posted", 0) is None


def test_a_date_in_a_closed_month_moves_to_the_first_open_day_after_it():
    closed = {(2026, 1), (2026, 2), (2025, 12)}
    assert first_open_day(dt.date(2026, 3, 9), closed) == dt.date(2026, 3, 9)
    assert first_open_day(dt.date(2025, 12, 31), closed) == dt.date(2026, 3, 1)
    assert first_open_day(dt.date(2026, 2, 14), closed) == dt.date(2026, 3, 1)


def test_the_closing_entry_empties_revenue_and_expenses_into_retained_earnings():
    balances = [AccountBalance(40, "4000", "Revenue", "revenue", 1000, 90000),
                AccountBalance(41, "4100", "Contractual", "revenue", 20000, 0),
                AccountBalance(60, "6300", "Rent", "expense", 50000, 0),
                AccountBalance(61, "6400", "Supplies", "expense", 300, 300)]
    lines = closing_lines(balances, 38)
    assert check_lines(lines) == 89000
    by_account = {line.account_id: (line.debit_cents, line.credit_cents) for line in lines}
    assert by_account == {40: (89000, 0), 41: (0, 20000), 60: (0, 50000), 38: (0, 19000)}  # a profit of 190.00
    assert closing_lines([AccountBalance(60, "6300", "Rent", "expense", 500, 0)], 38)[-1] == LineInput(
        38, debit_cents=500, memo="Loss for the year")

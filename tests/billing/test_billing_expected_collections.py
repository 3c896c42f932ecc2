"""What billing expects to collect (the receivables part of finance's cash forecast): today's balances by
aging bucket times the share of such balances paid within the horizon on past reference dates."""
from __future__ import annotations

from accounts_setup import adjudicate, days_ago, insured_visit
from billing_setup import database, practice

from medoffice_billing.expected_collections import expected_collections


def _by_bucket(rows, party):
    return {r["bucket"]: r for r in rows if r["party"] == party}


def test_todays_balances_take_the_rate_their_bucket_was_collected_at_before(app):
    with database(app):
        records = practice()
        old = insured_visit(records, days_ago(100))  # 10 days old on the reference date 90 days ago
        adjudicate(old, paid=6_000, contractual=0, patient=0, day=days_ago(60))  # half of it paid since
        insured_visit(records, days_ago(10))  # today's young balance
        insurance = _by_bucket(expected_collections(days_ago(0), horizon_days=90), "insurance")
        assert insurance["0-30"]["balance_cents"] == 12_000 and insurance["0-30"]["rate_bp"] == 5_000
        assert insurance["0-30"]["expected_cents"] == 6_000
        # What is left of the old claim has aged past 90 days: nothing that old was owed before, so no rate.
        assert insurance["91-120"]["balance_cents"] == 6_000 and insurance["91-120"]["expected_cents"] == 0


def test_with_no_history_nothing_is_expected(app):
    with database(app):
        insured_visit(practice(), days_ago(5))
        rows = expected_collections(days_ago(0), horizon_days=90)
        assert sum(r["balance_cents"] for r in rows) == 12_000
        assert sum(r["expected_cents"] for r in rows) == 0

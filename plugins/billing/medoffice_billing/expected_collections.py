"""What billing expects to collect over the coming days: today's receivables by aging bucket, each
times the share of such balances the practice collected within the same span before.

The rate of a bucket is measured on past balances: on each of four reference dates (``horizon_days``
ago, then a month, two and three months before that), what insurance (aged from the date of
service) and patients (aged from the day the amount became theirs) owed, bucket by bucket, and what
they paid on those same service lines within ``horizon_days`` after it. It answers finance's cash
forecast through the hook ``billing_expected_collections``: one aggregate query per date, no rows in
Python.
"""
from __future__ import annotations

import datetime as dt

from peewee import JOIN, fn

from .aging import BUCKET_KEYS, BUCKETS, bucket_sums, line_sums, patient_totals_query, payer_aging_query
from .ledger import LT, sum_if
from .models import ServiceLine

PAYMENT_KINDS = {"insurance": "payment", "patient": "patient_payment"}
REFERENCES = 4  # past dates the rates are measured on, a month apart


def _balances_now(as_of: dt.date) -> dict[str, list[int]]:
    insurance = [0] * len(BUCKET_KEYS)
    for row in payer_aging_query(as_of).dicts():
        insurance = [total + int(row[key]) for total, key in zip(insurance, BUCKET_KEYS)]
    patients = patient_totals_query(as_of).dicts().get()
    return {"insurance": insurance, "patient": [int(patients[key]) for key in BUCKET_KEYS]}


def _collected_since(reference: dt.date, as_of: dt.date) -> dict[str, tuple[list[int], list[int]]]:
    """Per party: the balances owed on ``reference`` by bucket, and what was paid on those lines after it."""
    lines = line_sums(reference).alias("ls")
    paid = (LT.select(LT.service_line.alias("line_id"),
                      sum_if((LT.party == "insurance") & (LT.kind == PAYMENT_KINDS["insurance"])).alias("ins_paid"),
                      sum_if((LT.party == "patient") & (LT.kind == PAYMENT_KINDS["patient"])).alias("pat_paid"))
            .where((LT.effective_date > reference) & (LT.effective_date <= as_of) & LT.service_line.is_null(False))
            .group_by(LT.service_line)).alias("paid")
    insurance_owed = lines.c.ins > 0
    patient_owed = lines.c.pat > 0

    def named(prefix, columns):
        return [column.alias(f"{prefix}_{key}") for key, column in zip(BUCKET_KEYS, columns)]

    query = (ServiceLine.select(
                *named("ins", bucket_sums(ServiceLine.service_date, lines.c.ins, reference, insurance_owed)),
                *named("ins_paid", bucket_sums(ServiceLine.service_date, 0 - paid.c.ins_paid, reference,
                                               insurance_owed)),
                *named("pat", bucket_sums(lines.c.since, lines.c.pat, reference, patient_owed)),
                *named("pat_paid", bucket_sums(lines.c.since, 0 - paid.c.pat_paid, reference, patient_owed)))
             .from_(lines)
             .join(ServiceLine, on=(ServiceLine.id == lines.c.line_id))
             .join(paid, JOIN.LEFT_OUTER, on=(paid.c.line_id == lines.c.line_id)))
    row = query.dicts().get()
    return {party: ([int(row[f"{prefix}_{key}"] or 0) for key in BUCKET_KEYS],
                    [int(row[f"{prefix}_paid_{key}"] or 0) for key in BUCKET_KEYS])
            for party, prefix in (("insurance", "ins"), ("patient", "pat"))}


def expected_collections(as_of: dt.date, horizon_days: int = 90) -> list[dict]:
    """Per party and bucket: ``balance_cents`` owed on ``as_of``, ``rate_bp`` (the share collected within
    ``horizon_days`` before, in basis points, at most 10,000; 0 without history) and ``expected_cents``
    (the two multiplied)."""
    now = _balances_now(as_of)
    history = {party: ([0] * len(BUCKETS), [0] * len(BUCKETS)) for party in now}
    for months_back in range(REFERENCES):
        reference = as_of - dt.timedelta(days=horizon_days + 30 * months_back)
        for party, (owed, paid) in _collected_since(reference, reference + dt.timedelta(days=horizon_days)).items():
            history[party] = ([a + b for a, b in zip(history[party][0], owed)],
                              [a + b for a, b in zip(history[party][1], paid)])
    result = []
    for party in ("insurance", "patient"):
        owed_then, paid_since = history[party]
        for bucket, balance, then, paid in zip(BUCKETS, now[party], owed_then, paid_since):
            rate = min(10_000, paid * 10_000 // then) if then > 0 and paid > 0 else 0
            result.append({"party": party, "bucket": bucket, "balance_cents": max(balance, 0), "rate_bp": rate,
                           "expected_cents": max(balance, 0) * rate // 10_000})
    return result

"""Aging of what is owed, in SQL: buckets 0-30, 31-60, 61-90, 91-120 and over 120 days.

Insurance balances age from the date of service. A patient's balance ages from the day each
amount became the patient's (a self-pay charge on the service date, a copay or deductible on
the day the remittance moved it over), so a balance that waited months on a payer is not
"120 days past due" the day the patient first hears of it.

Buckets are CASE WHEN sums over date boundaries computed once (``as_of`` minus 30, 60, 90 and
120 days), so the same SQL runs on SQLite and PostgreSQL. ``refresh_patient_aging`` stores each
patient's figures in ``billing_patient_aging`` (nightly, and after each desk action on an
account) for the collection lists; ``take_snapshot`` keeps the nightly totals.
"""
from __future__ import annotations

import datetime as dt

from medoffice.db import transaction, utcnow
from peewee import JOIN, SQL, Case, Value, fn

from .ledger import LT, sum_if
from .models import (AgingSnapshot, Claim, ClaimLine, CollectionPlacement, PatientAging, Payer, PaymentPlan,
                     ServiceLine)

BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")
BUCKET_KEYS = ("b0", "b1", "b2", "b3", "b4")
BUCKET_LABELS = dict(zip(BUCKET_KEYS, ("0-30 days", "31-60 days", "61-90 days", "91-120 days", "Over 120 days")))
LIMITS = (30, 60, 90, 120)


def bounds(as_of: dt.date) -> list[dt.date]:
    """The oldest date still in each of the first four buckets (as_of minus 30, 60, 90, 120 days)."""
    return [as_of - dt.timedelta(days=days) for days in LIMITS]


def bucket_index(days: int) -> int:
    """The bucket (0..4) an amount this many days old falls in."""
    return next((i for i, limit in enumerate(LIMITS) if days <= limit), len(LIMITS))


def bucket_label(days: int) -> str:
    """The bucket name ("0-30" ... "120+") for an age in days."""
    return BUCKETS[bucket_index(days)]


def bucket_conditions(date_column, as_of: dt.date) -> list:
    """One SQL condition per bucket on ``date_column`` (the date the amount started to age)."""
    b30, b60, b90, b120 = bounds(as_of)
    return [date_column >= b30, (date_column < b30) & (date_column >= b60), (date_column < b60) & (date_column >= b90),
            (date_column < b90) & (date_column >= b120), date_column < b120]


def bucket_sums(date_column, amount, as_of: dt.date, condition=None) -> list:
    """SUM(CASE ...) per bucket of ``amount`` (aliased b0..b4), optionally only where ``condition``."""
    columns = []
    for key, bucket in zip(BUCKET_KEYS, bucket_conditions(date_column, as_of)):
        when = bucket if condition is None else (condition & bucket)
        columns.append(fn.COALESCE(fn.SUM(Case(None, [(when, amount)], 0)), 0).alias(key))
    return columns


# --- Patients ------------------------------------------------------------------------------------

def line_sums(as_of: dt.date, patient_id: int | None = None):
    """Per (patient, service line): insurance and patient balances, and since when the patient owes.

    Entries without a service line (credit on account, refunds) form one group per patient.
    """
    since = fn.MIN(Case(None, [((LT.party == "patient") & (LT.amount_cents > 0), LT.effective_date)], None))
    query = (LT.select(LT.patient_id.alias("patient_id"), LT.service_line.alias("line_id"),
                       sum_if(LT.party == "insurance").alias("ins"), sum_if(LT.party == "patient").alias("pat"),
                       since.alias("since"))
             .where(LT.effective_date <= as_of)
             .group_by(LT.patient_id, LT.service_line))
    if patient_id is not None:
        query = query.where(LT.patient_id == patient_id)
    return query


def patient_columns(lines, as_of: dt.date, insurance: bool = True) -> list:
    """Per-patient columns over ``line_sums`` rows (aliased ``lines``): patient id, patient and (unless
    ``insurance`` is False) insurance balances, credit, the five buckets and the oldest date the patient owes
    from."""
    owes = lines.c.line_id.is_null(False) & (lines.c.pat > 0)
    credit = lines.c.line_id.is_null() | (lines.c.pat < 0)
    return [lines.c.patient_id, fn.SUM(lines.c.pat).alias("patient_cents"),
            *([fn.SUM(lines.c.ins).alias("insurance_cents")] if insurance else []),
            fn.COALESCE(fn.SUM(Case(None, [(credit, 0 - lines.c.pat)], 0)), 0).alias("credit_cents"),
            *bucket_sums(lines.c.since, lines.c.pat, as_of, owes),
            fn.MIN(Case(None, [(owes, lines.c.since)], None)).alias("oldest_on")]


def patient_aging_query(as_of: dt.date, patient_id: int | None = None, extra=()):
    """Per patient with anything owed either way: ``patient_columns`` (and ``extra`` columns)."""
    lines = line_sums(as_of, patient_id).alias("ls")
    return (ServiceLine.select(*patient_columns(lines, as_of), *extra)
            .from_(lines).group_by(lines.c.patient_id)
            .having((fn.SUM(lines.c.pat) != 0) | (fn.SUM(lines.c.ins) != 0)))


def refresh_patient_aging(as_of: dt.date, patient_id: int | None = None) -> int:
    """Store the patients' aging as of ``as_of`` (one patient, or everyone) with INSERT ... SELECT.

    Patients whose account is settled keep no row. :return: the rows stored.
    """
    query = patient_aging_query(as_of, patient_id, extra=(Value(as_of).alias("as_of"),
                                                          Value(utcnow()).alias("refreshed_at"),
                                                          Value(False).alias("placed_or_planned")))
    fields = [PatientAging.patient_id, PatientAging.patient_cents, PatientAging.insurance_cents,
              PatientAging.credit_cents, PatientAging.b0, PatientAging.b1, PatientAging.b2, PatientAging.b3,
              PatientAging.b4, PatientAging.oldest_on, PatientAging.as_of, PatientAging.refreshed_at,
              PatientAging.placed_or_planned]
    with transaction():
        delete = PatientAging.delete()
        if patient_id is not None:
            delete = delete.where(PatientAging.patient_id == patient_id)
        delete.execute()
        PatientAging.insert_from(query, fields).execute()
        mark_placed_or_planned(patient_id)
    stored = PatientAging.select()
    return (stored.where(PatientAging.patient_id == patient_id) if patient_id is not None else stored).count()


def placed_or_planned(patient_id):
    """Whether the account of ``patient_id`` (a column) is with an agency or on an active payment plan."""
    placed = CollectionPlacement.select(SQL("1")).where((CollectionPlacement.patient_id == patient_id)
                                                       & (CollectionPlacement.status == "placed"))
    planned = PaymentPlan.select(SQL("1")).where((PaymentPlan.patient_id == patient_id)
                                                 & (PaymentPlan.status == "active"))
    return fn.EXISTS(placed) | fn.EXISTS(planned)


def mark_placed_or_planned(patient_id: int | None = None) -> None:
    """Store ``placed_or_planned`` on the patient's aging (everyone's when None), in the caller's
    transaction: after a placement, a recall, or a payment plan's start or end."""
    update = PatientAging.update(placed_or_planned=placed_or_planned(PatientAging.patient_id))
    if patient_id is not None:
        update = update.where(PatientAging.patient_id == patient_id)
    update.execute()


def refresh_patient(patient_id: int, as_of: dt.date) -> None:
    """Refresh one patient's stored aging (after a payment, refund, write-off or placement)."""
    refresh_patient_aging(as_of, patient_id)


# --- Payers ------------------------------------------------------------------------------------------

def latest_claims():
    """Per service line, the newest claim billing it (void claims aside): whose balance it is."""
    return (ClaimLine.select(ClaimLine.service_line.alias("line_id"), fn.MAX(ClaimLine.claim).alias("claim_id"))
            .join(Claim).where(Claim.frequency_code != "8")
            .group_by(ClaimLine.service_line))


def payer_aging_query(as_of: dt.date):
    """Per payer: insurance balances by bucket (aged from the date of service) and in total.

    Each line's insurance balance is summed first, then bucketed by its service date. A balance on
    a line no claim bills (there should be none) comes out with the payer id and name None.
    """
    latest = latest_claims().cte("latest", columns=("line_id", "claim_id"))
    owed = (LT.select(LT.service_line, fn.SUM(LT.amount_cents))
            .where((LT.party == "insurance") & (LT.effective_date <= as_of))
            .group_by(LT.service_line)).cte("owed", columns=("line_id", "ins"))
    return (Payer.select(Payer.id, Payer.name, *bucket_sums(ServiceLine.service_date, owed.c.ins, as_of),
                         fn.COALESCE(fn.SUM(owed.c.ins), 0).alias("total"))
            .from_(owed)
            .join(latest, JOIN.LEFT_OUTER, on=(latest.c.line_id == owed.c.line_id))
            .join(Claim, JOIN.LEFT_OUTER, on=(Claim.id == latest.c.claim_id))
            .join(Payer, JOIN.LEFT_OUTER, on=(Payer.id == Claim.payer))
            .join(ServiceLine, JOIN.LEFT_OUTER, on=(ServiceLine.id == owed.c.line_id))
            .group_by(Payer.id, Payer.name)
            .order_by(Payer.name)
            .with_cte(latest, owed))


def patient_totals_query(as_of: dt.date):
    """Patient balances by bucket over everyone (one row), from the per-line sums."""
    lines = line_sums(as_of).alias("ls")
    owes = lines.c.line_id.is_null(False) & (lines.c.pat > 0)
    credit = lines.c.line_id.is_null() | (lines.c.pat < 0)
    return (ServiceLine.select(*bucket_sums(lines.c.since, lines.c.pat, as_of, owes),
                               fn.COALESCE(fn.SUM(Case(None, [(credit, 0 - lines.c.pat)], 0)), 0).alias("credit"),
                               fn.COALESCE(fn.SUM(lines.c.pat), 0).alias("total"))
            .from_(lines))


def take_snapshot(as_of: dt.date) -> int:
    """Store the aging totals of every payer and of patients for ``as_of`` (replacing that day's)."""
    rows = []
    for row in payer_aging_query(as_of).dicts():
        rows.append({"snapshot_date": as_of, "party": "insurance", "payer_id": row["id"],
                     **{k: int(row[k]) for k in BUCKET_KEYS}, "total_cents": int(row["total"])})
    patients = patient_totals_query(as_of).dicts().get()
    rows.append({"snapshot_date": as_of, "party": "patient", "payer_id": None,
                 **{k: int(patients[k]) for k in BUCKET_KEYS}, "total_cents": int(patients["total"])})
    with transaction():
        AgingSnapshot.delete().where(AgingSnapshot.snapshot_date == as_of).execute()
        AgingSnapshot.insert_many(rows).execute()
    return len(rows)


def snapshot_history(days: int = 90) -> list[dict]:
    """Total insurance and patient AR per snapshot day (newest first) over the last ``days`` snapshots."""
    query = (AgingSnapshot.select(AgingSnapshot.snapshot_date,
                                  fn.SUM(Case(None, [(AgingSnapshot.party == "insurance", AgingSnapshot.total_cents)], 0)).alias("insurance"),
                                  fn.SUM(Case(None, [(AgingSnapshot.party == "patient", AgingSnapshot.total_cents)], 0)).alias("patient"))
             .group_by(AgingSnapshot.snapshot_date).order_by(AgingSnapshot.snapshot_date.desc()).limit(days))
    return list(query.dicts())

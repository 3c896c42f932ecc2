"""New patients per day, channel and campaign with their first year's charges and collections, kept in
``marketing_source_day`` and added up per month in ``marketing_source_month``, for the return figures
(campaigns, channels, months).

Recording or correcting a patient's source calls :func:`keep_source` and booking a revenue line calls
:func:`keep_revenue_many`, so the kept rows always say what following every new patient's revenue would.
:func:`refresh_source_days` recounts them all: after sources are inserted in bulk, and each morning,
since a patient merge moves revenue lines from one patient to another without marketing taking part.
"""
from __future__ import annotations

import datetime as dt

import peewee as pw
from medoffice.db import is_sqlite, transaction
from medoffice.sqldates import add_days

from .models import PatientSource, ReferrerYear, RevenueLine, SourceDay, SourceMonth

FOLLOW_DAYS = 365   # a new patient's charges and collections count for a year
NO_CAMPAIGN = 0     # the campaign id kept for a new patient who came by no campaign
CHUNK = 500         # patients per IN list


def source_key(source: PatientSource | None) -> tuple | None:
    """The kept row a source is counted in, (new on, channel, campaign id or NO_CAMPAIGN); None for no source."""
    if source is None:
        return None
    return source.new_on, source.channel, source.campaign_id or NO_CAMPAIGN


def _first_year(patient_id: int, new_on: dt.date) -> tuple[int, int]:
    """The patient's (charges, collections) dated in the year from ``new_on``."""
    revenue = RevenueLine.select(RevenueLine.kind, pw.fn.SUM(RevenueLine.amount_cents)).where(
        (RevenueLine.patient == patient_id) & (RevenueLine.effective_date >= new_on)
        & (RevenueLine.effective_date < new_on + dt.timedelta(days=FOLLOW_DAYS))).group_by(RevenueLine.kind)
    sums = {kind: int(total or 0) for kind, total in revenue.tuples()}
    return sums.get("charge", 0), sums.get("payment", 0)


def _kept_rows(new_on: dt.date) -> tuple:
    """(model, its date column, that column's value) of the kept rows counting a source of ``new_on``."""
    return (SourceDay, SourceDay.new_on, new_on), (SourceMonth, SourceMonth.month, new_on.replace(day=1))


def _add(key: tuple, patients: int, charges: int, collections: int) -> None:
    new_on, channel, campaign_id = key
    for model, date_column, day in _kept_rows(new_on):
        model.insert({date_column: day, model.channel: channel, model.campaign_id: campaign_id,
                      model.new_patients: patients, model.charges_cents: charges,
                      model.collections_cents: collections}).on_conflict(
            conflict_target=[date_column, model.channel, model.campaign_id],
            update={model.new_patients: model.new_patients + pw.EXCLUDED.new_patients,
                    model.charges_cents: model.charges_cents + pw.EXCLUDED.charges_cents,
                    model.collections_cents: model.collections_cents + pw.EXCLUDED.collections_cents}).execute()


def keep_source(patient_id: int, before: tuple | None, after: tuple | None) -> None:
    """Move a patient (and their first year's revenue) from the kept row of their source ``before`` to that
    of ``after`` (either None when there is no such source); inside the writer's transaction."""
    if before == after:
        return
    if before is not None:
        charges, collections = _first_year(patient_id, before[0])
        _add(before, -1, -charges, -collections)
    if after is not None:
        _add(after, 1, *_first_year(patient_id, after[0]))


def keep_revenue_many(lines: list[tuple[int, str, int, dt.date]]) -> None:
    """Count new revenue lines, (patient id, kind, cents, effective date) each, in the kept rows of their patients'
    sources, those that fall in the patient's first year: the sources read together and each kept row updated
    once (an 835 books thousands of payments)."""
    sources = {}
    for chunk in pw.chunked(sorted({line[0] for line in lines}), CHUNK):
        for patient_id, new_on, channel, campaign_id in (
                PatientSource.select(PatientSource.patient, PatientSource.new_on, PatientSource.channel,
                                     PatientSource.campaign)
                .where(PatientSource.patient.in_(chunk)).tuples()):
            sources[patient_id] = (new_on, channel, campaign_id or NO_CAMPAIGN)
    totals: dict[tuple, int] = {}
    for patient_id, kind, amount_cents, effective_date in lines:
        key = sources.get(patient_id)
        if key is not None and key[0] <= effective_date < key[0] + dt.timedelta(days=FOLLOW_DAYS):
            totals[(key, kind)] = totals.get((key, kind), 0) + amount_cents
    for ((new_on, channel, campaign_id), kind), amount_cents in totals.items():
        for model, date_column, day in _kept_rows(new_on):
            column = model.charges_cents if kind == "charge" else model.collections_cents
            model.update({column: column + amount_cents}).where(
                (date_column == day) & (model.channel == channel) & (model.campaign_id == campaign_id)).execute()


def referrer_key(source: PatientSource | None) -> tuple | None:
    """The kept referrer row a source is counted in, (referring provider id, year); None without a referrer."""
    if source is None or source.referring_provider_id is None:
        return None
    return source.referring_provider_id, source.new_on.year


def keep_referrer(before: tuple | None, after: tuple | None) -> None:
    """Move a new patient from the kept referrer year ``before`` to ``after`` (``referrer_key``; either None);
    inside the writer's transaction."""
    if before == after:
        return
    for key, change in ((before, -1), (after, 1)):
        if key is not None:
            ReferrerYear.insert(referring_provider_id=key[0], year=key[1], new_patients=change).on_conflict(
                conflict_target=[ReferrerYear.referring_provider_id, ReferrerYear.year],
                update={ReferrerYear.new_patients: ReferrerYear.new_patients + pw.EXCLUDED.new_patients}).execute()


def _source_year():
    if is_sqlite():
        return pw.Cast(pw.fn.strftime("%Y", PatientSource.new_on), "INTEGER")
    return pw.Cast(pw.fn.EXTRACT(pw.NodeList((pw.SQL("YEAR FROM"), PatientSource.new_on))), "INTEGER")


def refresh_source_days() -> int:
    """Recount every kept row from the sources and revenue lines (and each referrer's years); the number of
    days kept."""
    revenue = RevenueLine.alias("r")
    follow = ((revenue.patient == PatientSource.patient) & (revenue.effective_date >= PatientSource.new_on)
              & (revenue.effective_date < add_days(PatientSource.new_on, FOLLOW_DAYS)))
    campaign = pw.fn.COALESCE(PatientSource.campaign, NO_CAMPAIGN)
    per_patient = (PatientSource.select(
        PatientSource.new_on.alias("new_on"), PatientSource.channel.alias("channel"), campaign.alias("campaign_id"),
        pw.fn.SUM(pw.Case(None, [(revenue.kind == "charge", revenue.amount_cents)], 0)).alias("charges"),
        pw.fn.SUM(pw.Case(None, [(revenue.kind == "payment", revenue.amount_cents)], 0)).alias("collections"))
        .join(revenue, pw.JOIN.LEFT_OUTER, on=follow)
        .group_by(PatientSource.id, PatientSource.new_on, PatientSource.channel, PatientSource.campaign)).alias("pp")
    day = (pw.Select([per_patient], [per_patient.c.new_on, per_patient.c.channel, per_patient.c.campaign_id,
                                     pw.fn.COUNT(pw.SQL("*")), pw.fn.SUM(per_patient.c.charges),
                                     pw.fn.SUM(per_patient.c.collections)])
           .group_by(per_patient.c.new_on, per_patient.c.channel, per_patient.c.campaign_id))
    month = month_start(SourceDay.new_on)
    months = (SourceDay.select(month, SourceDay.channel, SourceDay.campaign_id, pw.fn.SUM(SourceDay.new_patients),
                               pw.fn.SUM(SourceDay.charges_cents), pw.fn.SUM(SourceDay.collections_cents))
              .group_by(month, SourceDay.channel, SourceDay.campaign_id))
    with transaction():
        SourceDay.delete().execute()
        SourceDay.insert_from(day, [SourceDay.new_on, SourceDay.channel, SourceDay.campaign_id,
                                    SourceDay.new_patients, SourceDay.charges_cents,
                                    SourceDay.collections_cents]).execute()
        SourceMonth.delete().execute()
        SourceMonth.insert_from(months, [SourceMonth.month, SourceMonth.channel, SourceMonth.campaign_id,
                                         SourceMonth.new_patients, SourceMonth.charges_cents,
                                         SourceMonth.collections_cents]).execute()
        year = _source_year()
        ReferrerYear.delete().execute()
        ReferrerYear.insert_from(
            PatientSource.select(PatientSource.referring_provider, year, pw.fn.COUNT(pw.SQL("*")))
            .where(PatientSource.referring_provider.is_null(False)).group_by(PatientSource.referring_provider, year),
            [ReferrerYear.referring_provider_id, ReferrerYear.year, ReferrerYear.new_patients]).execute()
    return SourceDay.select().count()


def month_start(column):
    """The first day of a date column's month, on either database."""
    if is_sqlite():
        return pw.fn.date(column, pw.SQL("'start of month'"))
    return pw.Cast(pw.fn.date_trunc(pw.SQL("'month'"), column), "date")

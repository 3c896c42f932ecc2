"""What marketing returned: spend, new patients attributed, their charges and collections in the 12
months after each became a patient, cost per new patient and return on spend, all computed in SQL
(one statement per report, grouped by campaign, channel or month) from the spend and the new patients
kept per day (``sourcedays``)."""
from __future__ import annotations

import datetime as dt

import peewee as pw
from medoffice.db import is_sqlite

from .models import CHANNELS, Campaign, SourceDay, SpendEntry
from .sourcedays import NO_CAMPAIGN


def month_of(column):
    """``YYYY-MM`` of a date column on either database."""
    return pw.fn.strftime(pw.SQL("'%Y-%m'"), column) if is_sqlite() else pw.fn.to_char(column, pw.SQL("'YYYY-MM'"))


def _int(expression):
    return pw.Cast(pw.fn.COALESCE(expression, 0), "BIGINT")


def _in_range(column, start: dt.date, end: dt.date, only=None):
    """``column`` in the range, and the condition ``only`` when there is one."""
    return column.between(start, end) if only is None else column.between(start, end) & only


def _spend(key, start: dt.date, end: dt.date, only=None):
    return (SpendEntry.select(key.alias("k"), pw.fn.SUM(SpendEntry.amount_cents).alias("spend"))
            .join(Campaign, on=(SpendEntry.campaign == Campaign.id))
            .where(_in_range(SpendEntry.spent_on, start, end, only)).group_by(key))


def _patients(key, start: dt.date, end: dt.date, only=None):
    """Per ``key`` (a column of the kept days): new patients in the range (and ``only``) and their charges
    and collections in their first year."""
    counted = _in_range(SourceDay.new_on, start, end, only) & (SourceDay.new_patients > 0)
    return (SourceDay.select(key.alias("k"), pw.fn.SUM(SourceDay.new_patients).alias("new_patients"),
                             pw.fn.SUM(SourceDay.charges_cents).alias("charges"),
                             pw.fn.SUM(SourceDay.collections_cents).alias("collections"))
            .where(counted).group_by(key))


def _combine(keys_query, spend, patients, with_figures: bool = False):
    """Join the keys with spend and patient figures and compute the ratios in SQL; with ``with_figures``,
    only the keys that spent or brought patients."""
    s, p = spend.alias("s"), patients.alias("p")
    spent, new, charged, collected = _int(s.c.spend), _int(p.c.new_patients), _int(p.c.charges), \
        _int(p.c.collections)
    # Rounded half up in whole cents; NULL (shown empty) when nothing to divide by.
    cost_per = pw.Case(None, [(new > 0, (spent * 2 + new) / (new * 2))], None)
    return_bp = pw.Case(None, [(spent > 0, (collected * 20000 + spent) / (spent * 2))], None)
    keys = keys_query.alias("keys")
    query = (pw.Select(from_list=[keys], columns=[
        keys.c.k.alias("key"), keys.c.label.alias("label"), spent.alias("spend_cents"), new.alias("new_patients"),
        cost_per.alias("cost_per_new_cents"), charged.alias("charges_cents"), collected.alias("collections_cents"),
        return_bp.alias("return_bp")])
        .join(s, pw.JOIN.LEFT_OUTER, on=(s.c.k == keys.c.k))
        .join(p, pw.JOIN.LEFT_OUTER, on=(p.c.k == keys.c.k))
        .order_by(keys.c.label))
    return query.where(s.c.k.is_null(False) | p.c.k.is_null(False)) if with_figures else query


def by_campaign(start: dt.date, end: dt.date, campaign_id: int | None = None) -> list[dict]:
    """One row per campaign that spent or brought patients in the period (ids as ``key``); only the
    campaign ``campaign_id`` when given."""
    brought = SourceDay.campaign_id != NO_CAMPAIGN if campaign_id is None else SourceDay.campaign_id == campaign_id
    spent = None if campaign_id is None else SpendEntry.campaign == campaign_id
    spend = _spend(Campaign.id, start, end, spent)
    patients = _patients(SourceDay.campaign_id, start, end, brought)
    campaigns = Campaign.select(Campaign.id.alias("k"), Campaign.name.alias("label"))
    if campaign_id is not None:
        campaigns = campaigns.where(Campaign.id == campaign_id)
    return list(_combine(campaigns, spend, patients, with_figures=True).dicts().execute(Campaign._meta.database))


def by_channel(start: dt.date, end: dt.date) -> list[dict]:
    """One row per channel: spend of its campaigns against every new patient who came by it."""
    spend = _spend(Campaign.channel, start, end)
    patients = _patients(SourceDay.channel, start, end)
    keys = (SpendEntry.select(Campaign.channel.alias("k"), Campaign.channel.alias("label"))
            .join(Campaign, on=(SpendEntry.campaign == Campaign.id)).where(SpendEntry.spent_on.between(start, end))
            .union(SourceDay.select(SourceDay.channel, SourceDay.channel)
                   .where(SourceDay.new_on.between(start, end) & (SourceDay.new_patients > 0))))
    rows = list(_combine(keys, spend, patients).dicts().execute(Campaign._meta.database))
    for row in rows:
        row["label"] = CHANNELS.get(row["key"], row["key"])
    return sorted(rows, key=lambda r: r["label"])


def by_month(start: dt.date, end: dt.date) -> list[dict]:
    """Spend and new patients per month of the period (months with neither are left out)."""
    spend = _spend(month_of(SpendEntry.spent_on), start, end)
    patients = _patients(month_of(SourceDay.new_on), start, end)
    months = (SpendEntry.select(month_of(SpendEntry.spent_on).alias("k"), month_of(SpendEntry.spent_on).alias("label"))
              .where(SpendEntry.spent_on.between(start, end))
              .union(SourceDay.select(month_of(SourceDay.new_on), month_of(SourceDay.new_on))
                     .where(SourceDay.new_on.between(start, end) & (SourceDay.new_patients > 0))))
    return list(_combine(months, spend, patients).dicts().execute(Campaign._meta.database))

"""What marketing returned: spend, new patients attributed, their charges and collections in the 12
months after each became a patient, cost per new patient and return on spend, all computed in SQL
(one statement per report, grouped by campaign, channel or month) from the spend and the new patients
kept per day (``sourcedays``)."""
from __future__ import annotations

import datetime as dt
from functools import cache

import peewee as pw
from medoffice import prepared
from medoffice.db import is_sqlite
from medoffice.prepared import slot

from .models import CHANNELS, Campaign, SourceDay, SpendEntry
from .sourcedays import NO_CAMPAIGN


def month_of(column):
    """``YYYY-MM`` of a date column on either database."""
    return pw.fn.strftime(pw.SQL("'%Y-%m'"), column) if is_sqlite() else pw.fn.to_char(column, pw.SQL("'YYYY-MM'"))


def _int(expression):
    return pw.Cast(pw.fn.COALESCE(expression, 0), "BIGINT")


START, END = slot("start"), slot("end")  # the period, bound when a prepared query runs


def _in_range(column, only=None):
    """``column`` in the period, and the condition ``only`` when there is one."""
    return column.between(START, END) if only is None else column.between(START, END) & only


def _spend(key, only=None):
    return (SpendEntry.select(key.alias("k"), pw.fn.SUM(SpendEntry.amount_cents).alias("spend"))
            .join(Campaign, on=(SpendEntry.campaign == Campaign.id))
            .where(_in_range(SpendEntry.spent_on, only)).group_by(key))


def _patients(key, only=None):
    """Per ``key`` (a column of the kept days): new patients in the period (and ``only``) and their charges
    and collections in their first year."""
    counted = _in_range(SourceDay.new_on, only) & (SourceDay.new_patients > 0)
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
    return (query.where(s.c.k.is_null(False) | p.c.k.is_null(False)) if with_figures else query).dicts()


# Each report's statement is built once with the period (and campaign) as slots, and compiled once.

@cache
def _campaigns_query(one: bool):
    brought = SourceDay.campaign_id == slot("campaign") if one else SourceDay.campaign_id != NO_CAMPAIGN
    spend = _spend(Campaign.id, SpendEntry.campaign == slot("campaign") if one else None)
    campaigns = Campaign.select(Campaign.id.alias("k"), Campaign.name.alias("label"))
    if one:
        campaigns = campaigns.where(Campaign.id == slot("campaign"))
    return _combine(campaigns, spend, _patients(SourceDay.campaign_id, brought), with_figures=True)


@cache
def _channels_query():
    keys = (SpendEntry.select(Campaign.channel.alias("k"), Campaign.channel.alias("label"))
            .join(Campaign, on=(SpendEntry.campaign == Campaign.id)).where(_in_range(SpendEntry.spent_on))
            .union(SourceDay.select(SourceDay.channel, SourceDay.channel)
                   .where(_in_range(SourceDay.new_on) & (SourceDay.new_patients > 0))))
    return _combine(keys, _spend(Campaign.channel), _patients(SourceDay.channel))


@cache
def _months_query(sqlite: bool):  # noqa: ARG001 (a month is worded per engine: one statement for each)
    months = (SpendEntry.select(month_of(SpendEntry.spent_on).alias("k"), month_of(SpendEntry.spent_on).alias("label"))
              .where(_in_range(SpendEntry.spent_on))
              .union(SourceDay.select(month_of(SourceDay.new_on), month_of(SourceDay.new_on))
                     .where(_in_range(SourceDay.new_on) & (SourceDay.new_patients > 0))))
    return _combine(months, _spend(month_of(SpendEntry.spent_on)), _patients(month_of(SourceDay.new_on)))


def by_campaign(start: dt.date, end: dt.date, campaign_id: int | None = None) -> list[dict]:
    """One row per campaign that spent or brought patients in the period (ids as ``key``); only the
    campaign ``campaign_id`` when given."""
    one = campaign_id is not None
    return list(prepared.run(_campaigns_query(one), ("marketing.returns.by_campaign", one), start=start, end=end,
                             campaign=campaign_id))


def by_channel(start: dt.date, end: dt.date) -> list[dict]:
    """One row per channel: spend of its campaigns against every new patient who came by it."""
    rows = list(prepared.run(_channels_query(), "marketing.returns.by_channel", start=start, end=end))
    for row in rows:
        row["label"] = CHANNELS.get(row["key"], row["key"])
    return sorted(rows, key=lambda r: r["label"])


def by_month(start: dt.date, end: dt.date) -> list[dict]:
    """Spend and new patients per month of the period (months with neither are left out)."""
    return list(prepared.run(_months_query(is_sqlite()), "marketing.returns.by_month", start=start, end=end))

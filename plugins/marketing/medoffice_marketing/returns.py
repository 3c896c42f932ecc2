"""What marketing returned: spend, new patients attributed, their charges and collections in the 12
months after each became a patient, cost per new patient and return on spend, all computed in SQL
(one statement per report, grouped by campaign, channel or month) from the spend and the new patients
kept per day (``sourcedays``)."""
from __future__ import annotations

import datetime as dt
from functools import cache

import peewee as pw
from dateutil.relativedelta import relativedelta
from medoffice import prepared
from medoffice.db import is_sqlite
from medoffice.prepared import slot

from .models import CHANNELS, Campaign, SourceDay, SourceMonth, SpendEntry
from .sourcedays import NO_CAMPAIGN


def month_of(column):
    """``YYYY-MM`` of a date column on either database."""
    return pw.fn.strftime(pw.SQL("'%Y-%m'"), column) if is_sqlite() else pw.fn.to_char(column, pw.SQL("'YYYY-MM'"))


def _int(expression):
    return pw.Cast(pw.fn.COALESCE(expression, 0), "BIGINT")


START, END = slot("start"), slot("end")  # the period, bound when a prepared query runs
# The kept months the period covers whole, and the days before and after them.
FIRST_MONTH, LAST_MONTH, HEAD_END, TAIL_START = slot("first_month"), slot("last_month"), slot("head_end"), \
    slot("tail_start")


def _period(start: dt.date, end: dt.date) -> dict:
    """The values of the period's slots: its first and last day, the first days of the first and last
    months it covers whole, and the last day before them and the first after them (the days read from the
    kept days; an empty range where there are none)."""
    first = start if start.day == 1 else start.replace(day=1) + relativedelta(months=1)
    after = (end + dt.timedelta(days=1)).replace(day=1)  # the first day after the months covered whole
    if first >= after:  # no month covered whole: every day from the kept days
        return {"start": start, "end": end, "first_month": first, "last_month": first - dt.timedelta(days=1),
                "head_end": end, "tail_start": end + dt.timedelta(days=1)}
    return {"start": start, "end": end, "first_month": first, "last_month": after - relativedelta(months=1),
            "head_end": first - dt.timedelta(days=1), "tail_start": after}


def _in_range(column, only=None):
    """``column`` in the period, and the condition ``only`` when there is one."""
    return column.between(START, END) if only is None else column.between(START, END) & only


def _spend(key, only=None):
    return (SpendEntry.select(key.alias("k"), pw.fn.SUM(SpendEntry.amount_cents).alias("spend"))
            .join(Campaign, on=(SpendEntry.campaign == Campaign.id))
            .where(_in_range(SpendEntry.spent_on, only)).group_by(key))


def _kept(columns, only=None) -> list:
    """The kept rows counting the period's new patients, selecting ``columns(model, date column)`` where
    ``only(model)`` holds (when given): the days of the months the period covers in part, and the months
    it covers whole."""
    parts = []
    for model, date_column, within in (
            (SourceDay, SourceDay.new_on, SourceDay.new_on.between(START, HEAD_END)
             | SourceDay.new_on.between(TAIL_START, END)),
            (SourceMonth, SourceMonth.month, SourceMonth.month.between(FIRST_MONTH, LAST_MONTH))):
        where = within & (model.new_patients > 0)
        parts.append(model.select(*columns(model, date_column)).where(where if only is None else where & only(model)))
    return parts


def _patients(key, only=None):
    """Per ``key(model, date column)`` of the kept rows: new patients in the period (and ``only``) and their
    charges and collections in their first year."""
    days, months = _kept(lambda model, day: [key(model, day).alias("k"), model.new_patients.alias("n"),
                                             model.charges_cents.alias("charges"),
                                             model.collections_cents.alias("collections")], only)
    kept = days.union_all(months).alias("kept")
    return (pw.Select([kept], [kept.c.k.alias("k"), pw.fn.SUM(kept.c.n).alias("new_patients"),
                               pw.fn.SUM(kept.c.charges).alias("charges"),
                               pw.fn.SUM(kept.c.collections).alias("collections")])
            .group_by(kept.c.k))


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
    def brought(model):
        return model.campaign_id == slot("campaign") if one else model.campaign_id != NO_CAMPAIGN

    spend = _spend(Campaign.id, SpendEntry.campaign == slot("campaign") if one else None)
    campaigns = Campaign.select(Campaign.id.alias("k"), Campaign.name.alias("label"))
    if one:
        campaigns = campaigns.where(Campaign.id == slot("campaign"))
    return _combine(campaigns, spend, _patients(lambda model, day: model.campaign_id, brought), with_figures=True)


def _keys(key, spent):
    """The keys that spent or brought patients in the period, each as its own label."""
    days, months = _kept(lambda model, day: [key(model, day), key(model, day)])
    return (SpendEntry.select(spent.alias("k"), spent.alias("label"))
            .join(Campaign, on=(SpendEntry.campaign == Campaign.id)).where(_in_range(SpendEntry.spent_on))
            .union(days).union(months))


@cache
def _channels_query():
    def channel(model, day):
        return model.channel

    return _combine(_keys(channel, Campaign.channel), _spend(Campaign.channel), _patients(channel))


@cache
def _months_query(sqlite: bool):  # noqa: ARG001 (a month is worded per engine: one statement for each)
    def month(model, day):
        return month_of(day)

    return _combine(_keys(month, month_of(SpendEntry.spent_on)), _spend(month_of(SpendEntry.spent_on)),
                    _patients(month))


def by_campaign(start: dt.date, end: dt.date, campaign_id: int | None = None) -> list[dict]:
    """One row per campaign that spent or brought patients in the period (ids as ``key``); only the
    campaign ``campaign_id`` when given."""
    one = campaign_id is not None
    return list(prepared.run(_campaigns_query(one), ("marketing.returns.by_campaign", one), campaign=campaign_id,
                             **_period(start, end)))


def by_channel(start: dt.date, end: dt.date) -> list[dict]:
    """One row per channel: spend of its campaigns against every new patient who came by it."""
    rows = list(prepared.run(_channels_query(), "marketing.returns.by_channel", **_period(start, end)))
    for row in rows:
        row["label"] = CHANNELS.get(row["key"], row["key"])
    return sorted(rows, key=lambda r: r["label"])


def by_month(start: dt.date, end: dt.date) -> list[dict]:
    """Spend and new patients per month of the period (months with neither are left out)."""
    return list(prepared.run(_months_query(is_sqlite()), "marketing.returns.by_month", **_period(start, end)))

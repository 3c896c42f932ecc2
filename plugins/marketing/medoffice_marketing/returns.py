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
from medoffice.data_versions import kept
from medoffice.db import is_sqlite
from medoffice.prepared import slot

from .models import CHANNELS, MARKETING_FIGURES, Campaign, SourceDay, SourceMonth, SpendEntry
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


def _returns(spend_key, kept_key, spend_only=None, kept_only=None, campaigns: bool = False):
    """Per key: the period's spend (keyed by ``spend_key`` of a spend entry or its campaign, where
    ``spend_only``) against its new patients (keyed by ``kept_key(model, date column)`` of the kept rows,
    where ``kept_only(model)``) with their charges and collections, and the ratios, computed in SQL and
    ordered by label: each key is its own label, or a campaign's name with ``campaigns``.

    The spend entries and kept rows are added up in one pass over their union (a key shows when it spent or
    brought patients): joining the keys to their spend and to their patients read the kept rows twice and
    sorted them three times (the dashboard's year by channel: 0.48 to 0.34 ms a call, 0.70 to 0.46 ms in SQL)."""
    zero = pw.Value(0)
    spend = (SpendEntry.select(spend_key.alias("k"), SpendEntry.amount_cents.alias("spend"), zero.alias("n"),
                               zero.alias("charges"), zero.alias("collections"))
             .join(Campaign, on=(SpendEntry.campaign == Campaign.id)).where(_in_range(SpendEntry.spent_on, spend_only)))
    days, months = _kept(lambda model, day: [kept_key(model, day), zero, model.new_patients, model.charges_cents,
                                             model.collections_cents], kept_only)
    rows = spend.union_all(days).union_all(months).alias("kept")
    totals = (pw.Select([rows], [rows.c.k.alias("k"), pw.fn.SUM(rows.c.spend).alias("spend"),
                                 pw.fn.SUM(rows.c.n).alias("new_patients"), pw.fn.SUM(rows.c.charges).alias("charges"),
                                 pw.fn.SUM(rows.c.collections).alias("collections")])
              .group_by(rows.c.k).alias("totals"))
    spent, new, charged, collected = _int(totals.c.spend), _int(totals.c.new_patients), _int(totals.c.charges), \
        _int(totals.c.collections)
    # Rounded half up in whole cents; NULL (shown empty) when nothing to divide by.
    cost_per = pw.Case(None, [(new > 0, (spent * 2 + new) / (new * 2))], None)
    return_bp = pw.Case(None, [(spent > 0, (collected * 20000 + spent) / (spent * 2))], None)
    label = Campaign.name if campaigns else totals.c.k
    query = pw.Select(from_list=[totals], columns=[
        totals.c.k.alias("key"), label.alias("label"), spent.alias("spend_cents"), new.alias("new_patients"),
        cost_per.alias("cost_per_new_cents"), charged.alias("charges_cents"), collected.alias("collections_cents"),
        return_bp.alias("return_bp")])
    if campaigns:
        query = query.join(Campaign, on=(Campaign.id == totals.c.k))
    return query.order_by(label)


_COLUMNS = ("key", "label", "spend_cents", "new_patients", "cost_per_new_cents", "charges_cents", "collections_cents",
            "return_bp")


def _run(query, key, **values) -> list[dict]:
    """A report's rows as dicts of ``_COLUMNS``, fetched at once as the driver gives them (ints and text: the
    figures are cast to BIGINT) rather than through peewee's row wrapper."""
    return [dict(zip(_COLUMNS, row)) for row in prepared.rows(query, key, **values)]


# Each report's statement is built once with the period (and campaign) as slots, and compiled once.

@cache
def _campaigns_query(one: bool):
    def brought(model):
        return model.campaign_id == slot("campaign") if one else model.campaign_id != NO_CAMPAIGN

    return _returns(Campaign.id, lambda model, day: model.campaign_id,
                    SpendEntry.campaign == slot("campaign") if one else None, brought, campaigns=True)


@cache
def _channels_query():
    return _returns(Campaign.channel, lambda model, day: model.channel)


@cache
def _months_query(sqlite: bool):  # noqa: ARG001 (a month is worded per engine: one statement for each)
    return _returns(month_of(SpendEntry.spent_on), lambda model, day: month_of(day))


def by_campaign(start: dt.date, end: dt.date, campaign_id: int | None = None) -> list[dict]:
    """One row per campaign that spent or brought patients in the period (ids as ``key``); only the
    campaign ``campaign_id`` when given."""
    one = campaign_id is not None
    return _run(_campaigns_query(one), ("marketing.returns.by_campaign", one), campaign=campaign_id,
                **_period(start, end))


def by_channel(start: dt.date, end: dt.date) -> list[dict]:
    """One row per channel: spend of its campaigns against every new patient who came by it; kept until spend,
    campaigns or new patients change (the dashboard and the campaigns page show the year's on every view)."""
    return kept(MARKETING_FIGURES.key, ("by_channel", start, end), lambda: _by_channel(start, end))


def _by_channel(start: dt.date, end: dt.date) -> list[dict]:
    rows = _run(_channels_query(), "marketing.returns.by_channel", **_period(start, end))
    for row in rows:
        row["label"] = CHANNELS.get(row["key"], row["key"])
    return sorted(rows, key=lambda r: r["label"])


def by_month(start: dt.date, end: dt.date) -> list[dict]:
    """Spend and new patients per month of the period (months with neither are left out)."""
    return _run(_months_query(is_sqlite()), "marketing.returns.by_month", **_period(start, end))

"""What the patient-accounts side puts on the Today queue (counts in SQL: this runs on every dashboard view)."""
from __future__ import annotations

import datetime as dt

from flask import url_for
from medoffice import WorkItem
from medoffice.web.tables import count_upto
from peewee import Case, fn

from . import collections, plans
from .models import Claim
from .jobs import follow_up_days, unanswered_condition

TODAY_COUNT_LIMIT = 100  # the Today queue says "100+" rather than count every account on each view


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def work_items(today: dt.date, user=None) -> list[WorkItem]:
    """Unanswered and rejected claims, payment plans with a missed payment, and pre-collections accounts.

    With a ``user``, only the counts that user may act on are computed.
    """
    def may(permission: str) -> bool:
        return user is None or user.has_permission(permission)

    items = []
    if may("billing.claims.edit"):
        items += _claim_items(today)
    if may("billing.plans.edit"):
        missed = plans.missed_count(today)
        if missed:
            items.append(WorkItem(f"Payment {_plural(missed, 'plan', 'plans')} with a missed payment",
                                  url_for("billing.plans_page", status="missed"), "billing.plans.edit", urgency=40,
                                  count=missed, source="Billing",
                                  detail="Call the patient; cancel the plan if it has failed."))
    if may("billing.collections.manage"):
        pre = count_upto(collections.precollections_query(today), TODAY_COUNT_LIMIT + 1)
        if pre:
            items.append(WorkItem(f"{_plural(pre, 'Account', 'Accounts')} ready for a collection agency",
                                  url_for("billing.collections_page"), "billing.collections.manage", urgency=60,
                                  count=min(pre, TODAY_COUNT_LIMIT), count_is_floor=pre > TODAY_COUNT_LIMIT,
                                  source="Billing",
                                  detail="Place them with the agency, or hold or recall them."))
    return items


def _claim_items(today: dt.date) -> list[WorkItem]:
    days = follow_up_days()
    unpaid = unanswered_condition(today, days)
    rejected = Claim.status == "rejected"
    row = (Claim.select(fn.SUM(Case(None, [(unpaid, 1)], 0)), fn.SUM(Case(None, [(rejected, 1)], 0)))
           .where(Claim.status.in_(("submitted", "accepted", "rejected"))).tuples().get())
    unpaid_count, rejected_count = (int(v or 0) for v in row)
    items = []
    if rejected_count:
        items.append(WorkItem(f"Rejected {_plural(rejected_count, 'claim', 'claims')} to fix and send again",
                              url_for("billing.worklists", tab="rejected"), "billing.claims.edit", urgency=30,
                              count=rejected_count, source="Billing"))
    if unpaid_count:
        items.append(WorkItem(f"{_plural(unpaid_count, 'Claim', 'Claims')} not answered after {days} days",
                              url_for("billing.worklists", tab="unpaid"), "billing.claims.edit", urgency=45,
                              count=unpaid_count, source="Billing",
                              detail="Check the claim's status with the payer; assign them to share the work."))
    return items

"""What the patient-accounts side puts on the Today queue (counts in SQL: this runs on every dashboard view).

The dashboard polls these counts, so their queries are compiled to SQL once (see :mod:`medoffice.prepared`).
The claims' counts come from a query that holds the day and settings as fixed values: it is built and compiled
once a day, its keys naming every input the values come from.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from flask import url_for
from medoffice import WorkItem, prepared
from medoffice.data_versions import kept
from medoffice.prepared import slot
from peewee import SQL, Select, fn

from . import collections, plans
from .jobs import follow_up_days, unanswered_condition
from .models import COLLECTIONS, PLANS, Claim
from .worklist import TO_SEND_CONDITIONS, TODAY_COUNT_LIMIT, claim_counts, claim_counts_query
from .worklist import work_items as to_send_items

def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def dashboard_items(today: dt.date, user=None) -> tuple[list[WorkItem], list[WorkItem]]:
    """The claims to send (:func:`.worklist.work_items`) and :func:`work_items`, their claim counts read in one
    statement: (to send, the rest)."""
    days = follow_up_days()
    ready, failing, unpaid, rejected = claim_counts(_claims_query(today, days), ("billing.today.claims", today, days))
    return to_send_items((ready, failing)), work_items(today, user, (unpaid, rejected))


def work_items(today: dt.date, user=None, claims: tuple[int, int] | None = None) -> list[WorkItem]:
    """Unanswered and rejected claims, payment plans with a missed payment, and pre-collections accounts.

    With a ``user``, only the counts that user may act on are computed. ``claims``: (unanswered, rejected) when
    already read.
    """
    def may(permission: str) -> bool:
        return user is None or user.has_permission(permission)

    items = []
    if may("billing.claims.edit"):
        items += _claim_items(today, claims)
    if may("billing.plans.edit"):
        missed = _missed_plans(today)
        if missed:
            items.append(WorkItem(f"Payment {_plural(missed, 'plan', 'plans')} with a missed payment",
                                  url_for("billing.plans_page", status="missed"), "billing.plans.edit", urgency=40,
                                  count=missed, source="Billing",
                                  detail="Call the patient; cancel the plan if it has failed."))
    if may("billing.collections.manage"):
        pre = _precollections(today, TODAY_COUNT_LIMIT + 1)
        if pre:
            items.append(WorkItem(f"{_plural(pre, 'Account', 'Accounts')} ready for a collection agency",
                                  url_for("billing.collections_page"), "billing.collections.manage", urgency=60,
                                  count=min(pre, TODAY_COUNT_LIMIT), count_is_floor=pre > TODAY_COUNT_LIMIT,
                                  source="Billing",
                                  detail="Place them with the agency, or hold or recall them."))
    return items


# Built once, the cutoff a slot: building the plans' joins and subqueries on each view cost as much as running them.
_MISSED_PLANS = Select([plans.missed_by(slot("cutoff")).select(SQL("1")).order_by().alias("_wrapped")],
                       [fn.COUNT(SQL("1"))])


def _missed_plans(today: dt.date) -> int:
    """How many active plans have missed a payment (as plans.missed_count), kept until a plan, an installment or
    a patient payment changes."""
    cutoff = plans.missed_cutoff(today)
    return kept(PLANS.key, ("today.missed_plans", cutoff), lambda: int(
        prepared.scalar(_MISSED_PLANS, "billing.today.missed_plans", cutoff=cutoff) or 0))


def _precollections(today: dt.date, limit: int) -> int:
    """Accounts on the pre-collections list, counted up to ``limit``."""
    values = collections.aging_list_values("precollections", today, collections.stages())
    return kept(COLLECTIONS.key, ("today.precollections", limit, tuple(sorted(values.items()))), lambda:
                prepared.count_upto(collections.AGING_LISTS["precollections"], "billing.today.precollections", limit,
                                    **values))


@lru_cache(maxsize=4)  # one a day and follow-up setting: building it cost more than running it
def _claims_query(today: dt.date, days: int):
    """Ready to send, with scrubber errors, not answered after ``days`` days, rejected."""
    return claim_counts_query(*TO_SEND_CONDITIONS, unanswered_condition(today, days), Claim.status == "rejected")


def _claim_items(today: dt.date, counts: tuple[int, int] | None) -> list[WorkItem]:
    days = follow_up_days()
    unpaid_count, rejected_count = counts or claim_counts(_claims_query(today, days),
                                                          ("billing.today.claims", today, days))[2:]
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

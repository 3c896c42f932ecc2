"""What billing puts on the Today queue (counts in SQL: this runs on every dashboard view)."""
from __future__ import annotations

from flask import url_for
from medoffice import WorkItem, prepared
from medoffice.data_versions import kept
from peewee import SQL, Select, fn

from .models import CLAIMS, Claim

TODAY_COUNT_LIMIT = 100  # the Today queue says "100+" rather than count every account on each view


def claim_counts_query(*conditions) -> Select:
    """One row counting the claims that match each condition, each count its own scalar subquery: an
    index search per count, where summing a CASE per condition read every claim of the states involved."""
    return Select(columns=[Claim.select(fn.COUNT(SQL("1"))).where(condition) for condition in conditions]).tuples()


def claim_counts(query: Select, key, **values) -> list[int]:
    """The counts of a :func:`claim_counts_query`, compiled once per ``key`` (read as the driver gives them) and
    kept per process until a claim changes (the Today queue shows them on every view)."""
    return kept(CLAIMS.key, ("claim counts", key, tuple(sorted(values.items()))),
                lambda: [int(count or 0) for count in prepared.rows(query, key, **values)[0]])


# Claims ready to submit, and open claims the scrubber found errors on (Today counts them with its other claims).
TO_SEND_CONDITIONS = ((Claim.status == "ready") & (Claim.on_hold == False),  # noqa: E712
                      Claim.status.in_(("draft", "ready")) & (Claim.scrub_errors > 0))
# The dashboard polls it: compiled once.
_TO_SEND = claim_counts_query(*TO_SEND_CONDITIONS)


def work_items(counts: tuple[int, int] | None = None) -> list[WorkItem]:
    """Claims ready to submit, and open claims the scrubber found errors on.

    :param counts: (ready, with errors) when already read (Today reads them with its other claim counts).
    """
    ready_count, failing_count = counts or claim_counts(_TO_SEND, "billing.today.claims_to_send")
    items = []
    if ready_count:
        items.append(WorkItem(
            f"Claim{'s' if ready_count != 1 else ''} ready to submit", url_for("billing.claims", status="ready"),
            "billing.claims.submit", urgency=30, count=ready_count, source="Billing"))
    if failing_count:
        items.append(WorkItem(
            f"Claim{'s' if failing_count != 1 else ''} with scrubber errors",
            url_for("billing.claims", status="problems"), "billing.claims.edit", urgency=40, count=failing_count,
            detail="Fix the fields the scrubber names, then mark them ready.", source="Billing"))
    return items

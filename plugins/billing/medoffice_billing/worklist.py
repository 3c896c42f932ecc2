"""What billing puts on the Today queue (counts in SQL: this runs on every dashboard view)."""
from __future__ import annotations

from flask import url_for
from medoffice import WorkItem
from peewee import Case, fn

from .models import Claim


def work_items() -> list[WorkItem]:
    """Claims ready to submit, and open claims the scrubber found errors on."""
    ready = (Claim.status == "ready") & (Claim.on_hold == False)  # noqa: E712
    failing = Claim.status.in_(("draft", "ready")) & (Claim.scrub_errors > 0)
    row = (Claim.select(fn.SUM(Case(None, [(ready, 1)], 0)), fn.SUM(Case(None, [(failing, 1)], 0)))
           .where(Claim.status.in_(("draft", "ready"))).tuples().get())
    ready_count, failing_count = (int(v or 0) for v in row)
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

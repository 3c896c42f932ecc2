"""Finance's scheduled jobs: the daily check that the books have not drifted from billing, and the recurring
bills created ahead of their dates."""
from __future__ import annotations

from medoffice import JobSpec
from medoffice.tasks import Failed

from medoffice.settings import today

from .invariants import keep_tally, run_all
from .payables import PayablesError, create_recurring_bills


def check_invariants() -> str:
    """Keep the log's tally, then run every invariant; fail the run (a Today item for admins) when one fails."""
    keep_tally()
    results = run_all()
    failed = [r for r in results if r.status == "fail"]
    if failed:
        raise Failed(" ".join(f"{r.title}: {r.message}" for r in failed))
    return f"All {len(results)} finance checks pass."


def recurring_bills() -> str:
    """Create the recurring bills coming within their lead time; fail the run (a Today item) with the reason
    when one is refused (a closed month, a budget set to stop)."""
    try:
        made = create_recurring_bills(today())
    except PayablesError as exc:
        raise Failed(f"A recurring bill could not be created: {exc}") from None
    return f"{made} recurring bill{'s' if made != 1 else ''} created."


def finance_jobs() -> list[JobSpec]:
    """The jobs finance schedules."""
    return [JobSpec("finance.invariants", "Check the books against billing", check_invariants, trigger="cron",
                    schedule={"hour": 5, "minute": 40},
                    description="The journal balances, every billing event is booked, money and receivables "
                                "equal billing's."),
            JobSpec("finance.recurring_bills", "Create recurring bills", recurring_bills, trigger="cron",
                    schedule={"hour": 5, "minute": 50},
                    description="Bills that come back on a schedule are entered ahead of their dates, with their "
                                "due dates in the deadlines.")]

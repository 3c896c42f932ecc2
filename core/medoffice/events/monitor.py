"""How the subscribers stand: the status rows (admin page, ``medoffice events status``), the Today
item for a stuck subscriber, the doctor check, and the delivery job."""
from __future__ import annotations

import datetime as dt

from flask import current_app, url_for
from peewee import SQL, fn

from ..contributions import CheckResult, JobSpec, WorkItem
from .. import prepared
from ..data_versions import OPERATIONS_KEY, kept
from ..db import utcnow
from .delivery import deliver_all, start_time
from .models import EventRecord, EventSubscriber
from .publishing import in_background, over_inline_limit
from .registry import subscriptions

BEHIND_AFTER = dt.timedelta(minutes=15)  # three delivery-job intervals: more is not a busy moment


def _waiting(events, delivered_position: int, start_at: dt.datetime | None) -> tuple[int, dt.datetime | None]:
    """(how many events a subscriber has yet to take, when the oldest of them was published): one statement,
    compiled once per subscription, when none wait (the status page asks for every subscriber on each view)."""
    query = EventRecord.select(fn.COUNT(SQL("1")), fn.MIN(EventRecord.position)).where(
        EventRecord.name.in_(sorted(events)) & (EventRecord.position > prepared.slot("delivered")))
    if start_at is not None:
        query = query.where(EventRecord.published_at >= prepared.slot("start_at"))
    count, first = next(iter(prepared.run(query.tuples(), ("events.waiting", tuple(sorted(events)), start_at is None),
                                          delivered=delivered_position, start_at=start_at)))
    if not count:
        return 0, None
    return count, EventRecord.select(EventRecord.published_at).where(EventRecord.position == first).scalar()


def status() -> list[dict]:
    """One dict per subscriber (declared by a loaded module, or known to the database only).

    Keys: name, title, plugin, enabled, declared, events, start, delivered_position, delivered_count,
    last_delivered_at, waiting, oldest_waiting_at, failing_position, failing_event, error,
    error_detail, attempts, failed_at, next_attempt_at, state (``ok``, ``behind``, ``failing``,
    ``disabled``, ``not installed``).
    """
    host = current_app.extensions["medoffice"].host
    rows = {row.name: row for row in EventSubscriber.select()}
    declared = subscriptions(enabled_only=False)
    result = []
    for plugin, subscription in declared:
        row = rows.pop(subscription.name, None)
        start_at = row.start_at if row is not None else start_time(subscription.start)
        result.append(_status(subscription.name, subscription.title or subscription.name, plugin,
                              host.is_enabled(plugin), True, subscription.events, subscription.start, row, start_at))
    for row in rows.values():  # its module was uninstalled: the cursor stays for a reinstall
        result.append(_status(row.name, row.name, row.plugin, False, False, (), None, row, row.start_at))
    return result


def _status(name, title, plugin, enabled, declared, events, start, row, start_at) -> dict:
    delivered = row.delivered_position if row is not None else 0
    count, oldest = _waiting(events, delivered, start_at) if events else (0, None)
    failing = row.failing_position if row is not None else None
    failing_event = (EventRecord.select(EventRecord.name).where(EventRecord.position == failing).scalar()
                     if failing is not None else None)
    if not declared:
        state = "not installed"
    elif not enabled:
        state = "disabled"
    elif failing is not None:
        state = "failing"
    elif count:
        state = "behind"
    else:
        state = "ok"
    return {
        "name": name, "title": title, "plugin": plugin, "enabled": enabled, "declared": declared,
        "events": list(events), "start": start.isoformat() if isinstance(start, dt.date) else start,
        "delivered_position": delivered, "delivered_count": row.delivered_count if row is not None else 0,
        "last_delivered_at": row.last_delivered_at if row is not None else None,
        "waiting": count, "oldest_waiting_at": oldest, "failing_position": failing,
        "failing_event": failing_event, "error": row.error if row is not None else "",
        "error_detail": row.error_detail if row is not None else "",
        "attempts": row.attempts if row is not None else 0,
        "failed_at": row.failed_at if row is not None else None,
        "next_attempt_at": row.next_attempt_at if row is not None else None, "state": state,
    }


def work_items(user) -> list[WorkItem]:
    """A Today item per enabled subscriber stopped by a failing handler (for those who can retry it)."""
    if not user.has_permission("core.events.manage"):
        return []
    names = {s.name: s.title or s.name for _plugin, s in subscriptions()}
    if not names:
        return []
    stuck = kept(OPERATIONS_KEY, ("stuck subscribers", tuple(sorted(names))), lambda: list(prepared.run(
        EventSubscriber.select(EventSubscriber.name, EventSubscriber.failing_position, EventSubscriber.error)
        .where(EventSubscriber.failing_position.is_null(False) & EventSubscriber.name.in_(sorted(names))),
        ("events.stuck", tuple(sorted(names))))))
    return [WorkItem(f"Event subscriber stuck: {names[row.name]}", url_for("core.events", _anchor=f"sub-{row.name}"),
                     "core.events.manage", urgency=10, source="Events",
                     detail=f"Stopped at event {row.failing_position}: {row.error} Fix the cause, then retry it.")
            for row in stuck]


def doctor_check() -> CheckResult:
    """Fail when an enabled subscriber is stuck; warn when one is behind by more than a few job runs."""
    rows = [r for r in status() if r["enabled"]]
    stuck = [r for r in rows if r["state"] == "failing"]
    if stuck:
        return CheckResult("core.events", "fail", "; ".join(
            f"{r['name']} is stuck at event {r['failing_position']} ({r['failing_event']}): {r['error']}"
            for r in stuck) + " Retry with `medoffice events retry NAME` once the cause is fixed.")
    late = [r for r in rows if r["oldest_waiting_at"] is not None and utcnow() - r["oldest_waiting_at"] > BEHIND_AFTER]
    if late:
        return CheckResult("core.events", "warn", "; ".join(
            f"{r['name']} has {r['waiting']} events waiting since {r['oldest_waiting_at']:%Y-%m-%d %H:%M} UTC"
            for r in late) + ": is the scheduler running?")
    return CheckResult("core.events", "ok", f"{len(rows)} event subscriber{'' if len(rows) == 1 else 's'} "
                                            "up to date" if rows else "no module subscribes to events")


def catch_up(plugin: str) -> int:
    """Deliver what waits for ``plugin``'s subscribers, just turned on: at once when a page may wait for it,
    else (a module turned on in a practice with years of events) from a background thread, so the modules
    page answers now and Admin → Events shows the rest going down. Returns how many were left to that thread."""
    waiting = sum(row["waiting"] for row in status() if row["plugin"] == plugin and row["enabled"])
    if over_inline_limit(waiting):
        in_background(lambda: deliver_all(plugin=plugin))
        return waiting
    deliver_all(plugin=plugin)
    return 0


def deliver_job() -> str:
    """The delivery job: whatever in-process delivery left behind, and retries that are due."""
    outcomes = deliver_all()
    delivered = sum(o.delivered for o in outcomes)
    failing = [o.subscriber for o in outcomes if o.state in ("failing", "waiting")]
    message = f"{delivered} event{'' if delivered == 1 else 's'} delivered to {len(outcomes)} subscriber" \
              f"{'' if len(outcomes) == 1 else 's'}."
    if failing:
        message += f" Stuck: {', '.join(failing)} (see Admin → Events)."
    return message


DELIVER_JOB = JobSpec("core.events_deliver", "Deliver events", deliver_job, trigger="interval",
                      schedule={"minutes": 5},
                      description="Delivers events that were not delivered right after their commit, "
                                  "and retries stuck subscribers when their next attempt is due.")

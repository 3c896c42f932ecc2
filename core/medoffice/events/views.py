"""Admin → Events: each subscriber's cursor, what waits for it, a failing handler's error, retry by hand."""
from __future__ import annotations

from flask import abort, current_app, redirect, url_for
from peewee import SQL, fn

from .. import audit, prepared
from ..auth.access import can, requires
from ..auth.access_version import KEY as ACCESS_KEY
from ..data_versions import EVENTS_KEY, OPERATIONS_KEY, kept
from ..settings import practice_timezone
from ..web import core_blueprint as bp
from ..web.shell import notify, render_page
from .delivery import UnknownSubscriber, retry
from .models import EventRecord
from .monitor import status


_LOGGED = EventRecord.select(fn.COUNT(SQL("1"))).where(EventRecord.position.is_null(False))  # compiled once


@bp.route("/admin/events")
@requires("core.events.view")
def events():
    """The subscribers with where each stands, and how many events the log holds."""
    rows, total = kept((OPERATIONS_KEY, EVENTS_KEY, ACCESS_KEY),
                       ("events page", current_app.extensions["medoffice"].host.state_version),
                       lambda: (status(), prepared.scalar(_LOGGED, "events.logged")))
    return render_page("events/subscribers.html", title="Events", rows=rows, timezone=practice_timezone(),
                       total=total, may_retry=can("core.events.manage"),
                       breadcrumbs=[("Admin", None), ("Events", None)])


@bp.route("/admin/events/<name>/retry", methods=["POST"])
@requires("core.events.manage")
def events_retry(name: str):
    """Deliver to one subscriber now, past its backoff (after the cause of its failure was fixed)."""
    try:
        outcome = retry(name)
    except UnknownSubscriber:
        abort(404)
    audit.record("events.retry", "core_event_subscriber", name,
                 detail={"state": outcome.state, "delivered": outcome.delivered})
    if outcome.state == "caught_up":
        notify(f"{name}: {outcome.delivered} event{'' if outcome.delivered == 1 else 's'} delivered; it is up to date.")
    elif outcome.state == "failing":
        notify(f"{name} failed again at event {outcome.failing_position}: {outcome.error}", "error")
    elif outcome.state == "disabled":
        notify(f"{name} belongs to a module that is turned off: turn it on and it catches up.", "warning")
    else:
        notify(f"{name} is being delivered by another server process right now; look again in a moment.", "info")
    return redirect(url_for("core.events", _anchor=f"sub-{name}"))

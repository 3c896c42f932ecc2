"""The daily close screen: a day's desk payments, deposits, ERA trace numbers and bank lines side by side."""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, request, url_for
from medoffice.auth import can, requires
from medoffice.limits import EARLIEST_DATE, LATEST_DATE
from medoffice.models import User
from medoffice.settings import today
from medoffice.web.shell import notify, render_page

from ..dayclose import DayCloseError, close_day, day_view, reopen_day
from . import bp


def _day(text: str | None) -> dt.date:
    if not text:
        return today()
    try:
        day = dt.date.fromisoformat(text[:10])
    except ValueError:
        abort(400, "The day must be a date like 2026-03-31.")
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        abort(400, f"The day must be between {EARLIEST_DATE} and {LATEST_DATE}.")
    return day


def _page(day: dt.date, error: str = "", status: int = 200):
    view = day_view(day)
    closer = None
    if view["closed"] is not None and view["closed"].closed_by_user_id:
        closer = User.get_or_none(User.id == view["closed"].closed_by_user_id)
    return render_page("finance/day.html", title=f"Daily close {day.isoformat()}", v=view, error=error,
                       closer=closer, previous=day - dt.timedelta(days=1), following=day + dt.timedelta(days=1),
                       can_close=can("finance.deposits.make") and day <= today(),
                       breadcrumbs=[("Daily close", None)]), status


@bp.route("/day")
@requires("finance.view")
def day():
    """One day's close (today unless ``day`` says which)."""
    return _page(_day(request.args.get("day")))


@bp.route("/day/close", methods=["POST"])
@requires("finance.deposits.make")
def day_close():
    """Close the day: who closed it and what was left, recorded; its deposits locked."""
    chosen = _day(request.form.get("day"))
    try:
        close_day(chosen, (request.form.get("note") or "")[:1000])
    except DayCloseError as exc:
        return _page(chosen, str(exc), 422)
    notify(f"{chosen.isoformat()} is closed.")
    return redirect(url_for("finance.day", day=chosen.isoformat()), 303)


@bp.route("/day/reopen", methods=["POST"])
@requires("finance.periods.reopen")
def day_reopen():
    """Reopen a closed day, with the reason."""
    chosen = _day(request.form.get("day"))
    try:
        reopen_day(chosen, (request.form.get("reason") or "")[:500])
    except DayCloseError as exc:
        return _page(chosen, str(exc), 422)
    notify(f"{chosen.isoformat()} is reopened.")
    return redirect(url_for("finance.day", day=chosen.isoformat()), 303)

"""The daily close screen: a day's desk payments, deposits, ERA trace numbers and bank lines side by side, for
one office or the whole practice."""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.limits import EARLIEST_DATE, LATEST_DATE
from medoffice.models import Location, User
from medoffice.settings import today
from medoffice.web.forms import with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page

from ..dayclose import WHOLE_PRACTICE, DayCloseError, close_day, day_view, reopen_day
from ..models import DAY
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


_OFFICES = Location.select(Location.id, Location.name).order_by(Location.name).tuples()


def _offices() -> dict[int, str]:
    """The practice's offices by id, by name."""
    return dict(prepared.run(_OFFICES, "finance.offices"))


def _office(text: str | None, offices: dict[int, str]) -> int:
    """The office asked for (0, or nothing: the whole practice)."""
    if not text or text == str(WHOLE_PRACTICE):
        return WHOLE_PRACTICE
    if not text.isdecimal() or int(text) not in offices:
        abort(400, "The office must be one of the practice's locations.")
    return int(text)


def _page(day: dt.date, office: int, offices: dict[int, str], error: str = "", status: int = 200):
    """The day's close drawn afresh (with the reason a close or reopen was refused)."""
    return _day_page(_day_parts(day, office, offices, error)), status


def _day_page(parts: tuple[str, str]):
    title, html = parts
    return render_page("finance/day.html", title=title, content=with_csrf_token(html),
                       breadcrumbs=[("Daily close", None)])


def _day_parts(day: dt.date, office: int, offices: dict[int, str], error: str = "") -> tuple[str, str]:
    """The day's title and close screen, CSRF tokens as slots."""
    view = day_view(day, office)
    closer = None
    if view["closed"] is not None and view["closed"].closed_by_user_id:
        closer = User.get_or_none(User.id == view["closed"].closed_by_user_id)
    place = offices.get(office, "")
    html = render_template("finance/_day.html", v=view, error=error, closer=closer, offices=offices, place=place,
                           previous=day - dt.timedelta(days=1), following=day + dt.timedelta(days=1),
                           can_close=can("finance.deposits.make") and day <= today())
    return f"Daily close {day.isoformat()}" + (f", {place}" if place else ""), slotted(html)


def _redirect(day: dt.date, office: int):
    return redirect(url_for("finance.day", day=day.isoformat(), **({"location": office} if office else {})), 303)


@bp.route("/day")
@requires("finance.view")
def day():
    """One day's close (today unless ``day`` says which) of one office (``location``) or the whole practice, kept
    until what it shows changes (per the offices, today and what the user may close and reopen)."""
    offices = _offices()
    chosen, office = _day(request.args.get("day")), _office(request.args.get("location"), offices)
    may = (can("finance.deposits.make"), can("finance.periods.reopen"))
    return _day_page(kept_part((DAY.key,), ("day", chosen, office, tuple(offices.items()), today(), may),
                               lambda: _day_parts(chosen, office, offices)))


@bp.route("/day/close", methods=["POST"])
@requires("finance.deposits.make")
def day_close():
    """Close the day: who closed it and what was left, recorded; its deposits locked."""
    offices = _offices()
    chosen, office = _day(request.form.get("day")), _office(request.form.get("location"), offices)
    try:
        close_day(chosen, (request.form.get("note") or "")[:1000], office)
    except DayCloseError as exc:
        return _page(chosen, office, offices, str(exc), 422)
    notify(f"{chosen.isoformat()} is closed" + (f" for {offices[office]}." if office else "."))
    return _redirect(chosen, office)


@bp.route("/day/reopen", methods=["POST"])
@requires("finance.periods.reopen")
def day_reopen():
    """Reopen a closed day, with the reason."""
    offices = _offices()
    chosen, office = _day(request.form.get("day")), _office(request.form.get("location"), offices)
    try:
        reopen_day(chosen, (request.form.get("reason") or "")[:500], office)
    except DayCloseError as exc:
        return _page(chosen, office, offices, str(exc), 422)
    notify(f"{chosen.isoformat()} is reopened" + (f" for {offices[office]}." if office else "."))
    return _redirect(chosen, office)

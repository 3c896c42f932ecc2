"""Periods: close a month, reopen one with a reason, close and reopen a year."""
from __future__ import annotations

import calendar
import datetime as dt

from flask import redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.models import User
from medoffice.settings import today
from medoffice.web.forms import with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import csrf_token, notify, render_page
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..models import PERIODS, Period, PeriodEvent, YearClose
from ..periods import PeriodError, close_month, reopen_month
from ..slots import id_slots
from ..yearend import close_year, reopen_year
from . import bp

SHOWN_MONTHS = 24


class MonthForm(FlaskForm):
    """Which month (the close button)."""

    year = IntegerField("Year", validators=[InputRequired(), NumberRange(1900, 2199)])
    month = IntegerField("Month", validators=[InputRequired(), NumberRange(1, 12)])


class ReopenForm(MonthForm):
    """Which month, and why it reopens."""

    reason = TextAreaField("Reason", validators=[DataRequired(message="Give the reason for reopening."),
                                                 Length(max=500)])


class YearForm(FlaskForm):
    """Which year."""

    year = IntegerField("Year", validators=[InputRequired(), NumberRange(1900, 2199)])


class ReopenYearForm(YearForm):
    """Which year, and why it reopens."""

    reason = TextAreaField("Reason", validators=[DataRequired(message="Give the reason for reopening."),
                                                 Length(max=500)])


def _recent_months(day: dt.date) -> list[dt.date]:
    months, year, month = [], day.year, day.month
    for _ in range(SHOWN_MONTHS):
        months.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months


_STORED = (Period.select(Period.year, Period.month, Period.status).order_by(Period.start_date.desc())
           .limit(SHOWN_MONTHS * 3).tuples())
MONTH_NAMES = list(calendar.month_name)  # calendar formats the name afresh on each lookup
_HISTORY = (PeriodEvent.select(PeriodEvent, Period).join(Period)
            .order_by(PeriodEvent.at.desc(), PeriodEvent.id.desc()).limit(20))
_YEARS_CLOSED = YearClose.select()


def _user_names(ids: list[int]) -> dict[int, str]:
    """Usernames of the given users (one prepared query per number of ids)."""
    if not ids:
        return {}
    slots, values = id_slots(ids)
    query = User.select(User.id, User.username).where(User.id.in_(slots))
    return {u.id: u.username for u in prepared.run(query, ("finance.period_users", len(ids)), **values)}


def _month_rows(periods: list[tuple[int, int, str]], closed_years: dict) -> list[Markup]:
    """The months' rows: each month's status and its close (or reopen, with a reason) button as the user may.

    Written here rather than in the template: two years and more of months, each with its form, made the
    template's loop most of the page's time.
    """
    token, may_close, may_reopen = csrf_token(), can("finance.periods.close"), can("finance.periods.reopen")
    close_url, reopen_url = url_for("finance.period_close"), url_for("finance.period_reopen")
    rows = []
    for year, month, status in periods:
        label = escape(f"{MONTH_NAMES[month]} {year}")
        closed = status == "closed"
        action = ""
        if not closed and may_close:
            action = (f'<form method="post" action="{close_url}"><input type="hidden" name="csrf_token" '
                      f'value="{token}">\n'
                      f'        <input type="hidden" name="year" value="{year}"><input type="hidden" name="month" '
                      f'value="{month}">\n        <button type="submit">Close {label}</button></form>')
        elif closed and may_reopen and year not in closed_years:
            action = (f'<form method="post" action="{reopen_url}"><input type="hidden" name="csrf_token" '
                      f'value="{token}">\n'
                      f'        <input type="hidden" name="year" value="{year}"><input type="hidden" name="month" '
                      f'value="{month}">\n        <label for="reason-{year}-{month}">Reason</label> <input '
                      f'id="reason-{year}-{month}" name="reason" required maxlength="500">\n'
                      f'        <button type="submit">Reopen {label}</button></form>')
        state = "closed" if closed else "open"
        rows.append(Markup(f'<tr><td>{label}</td><td><span class="chip chip-{state}">{escape(status.capitalize())}'
                           f'</span></td>\n    <td>{action}</td></tr>'))
    return rows


def _page(error: str = "", status: int = 200):
    """The periods page drawn afresh (with the reason an action was refused)."""
    return _periods_page(_periods_html(error)), status


def _periods_page(html: str):
    return render_page("finance/periods.html", title="Periods", content=with_csrf_token(html),
                       breadcrumbs=[("Periods", None)])


def _periods_html(error: str = "") -> str:
    """The months, the years and the history of closes and reopens, CSRF tokens as slots."""
    stored = {(year, month): status for year, month, status in prepared.run(_STORED, "finance.periods_stored").cursor}
    for day in _recent_months(today()):  # months nothing was posted in yet have no row: shown open
        stored.setdefault((day.year, day.month), "open")
    periods = [(year, month, stored[(year, month)]) for year, month in sorted(stored, reverse=True)]
    history = list(prepared.run(_HISTORY, "finance.period_history"))
    names = _user_names(sorted({e.user_id for e in history if e.user_id}))
    years = sorted({year for year, _month in stored}, reverse=True)
    closed_years = {y.year: y for y in prepared.run(_YEARS_CLOSED, "finance.years_closed")}
    return slotted(render_template("finance/_periods.html", rows=_month_rows(periods, closed_years), history=history,
                                   years=years, closed_years=closed_years, error=error, names=names))


@bp.route("/periods")
@requires("finance.view")
def periods():
    """The months (open or closed), the years, and the history of closes and reopens (kept until a period, its
    history or a year's close changes, per this month and what the user may close and reopen)."""
    may = (can("finance.periods.close"), can("finance.periods.reopen"))
    return _periods_page(kept_part((PERIODS.key,), ("periods", today().replace(day=1), may), _periods_html))


def _act(form, action, done: str):
    if not form.validate_on_submit():
        first = next(iter(form.errors.values()))[0]
        return _page(first, 422)
    try:
        action(form)
    except PeriodError as exc:
        return _page(str(exc), 422)
    notify(done)
    return redirect(url_for("finance.periods"), 303)


@bp.route("/periods/close", methods=["POST"])
@requires("finance.periods.close")
def period_close():
    """Close a month."""
    return _act(MonthForm(), lambda f: close_month(f.year.data, f.month.data), "Month closed.")


@bp.route("/periods/reopen", methods=["POST"])
@requires("finance.periods.reopen")
def period_reopen():
    """Reopen a month, with the reason."""
    return _act(ReopenForm(), lambda f: reopen_month(f.year.data, f.month.data, f.reason.data), "Month reopened.")


@bp.route("/periods/close-year", methods=["POST"])
@requires("finance.periods.close")
def year_close():
    """Close a year: its result moves to retained earnings and its months close."""
    return _act(YearForm(), lambda f: close_year(f.year.data), f"Year {request.form.get('year', '')} closed.")


@bp.route("/periods/reopen-year", methods=["POST"])
@requires("finance.periods.reopen")
def year_reopen():
    """Reopen the latest closed year, with the reason."""
    return _act(ReopenYearForm(), lambda f: reopen_year(f.year.data, f.reason.data),
                f"Year {request.form.get('year', '')} reopened.")

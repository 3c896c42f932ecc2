"""Periods: close a month, reopen one with a reason, close and reopen a year."""
from __future__ import annotations

import datetime as dt

from flask import redirect, request, url_for
from flask_wtf import FlaskForm
from medoffice.auth import requires
from medoffice.models import User
from medoffice.settings import today
from medoffice.web.shell import notify, render_page
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..models import Period, PeriodEvent, YearClose
from ..periods import PeriodError, close_month, reopen_month
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


def _page(error: str = "", status: int = 200):
    stored = {(p.year, p.month): p for p in Period.select().order_by(Period.start_date.desc()).limit(SHOWN_MONTHS * 3)}
    for day in _recent_months(today()):  # months nothing was posted in yet have no row: shown open
        stored.setdefault((day.year, day.month), Period(year=day.year, month=day.month, status="open"))
    periods = [stored[key] for key in sorted(stored, reverse=True)]
    history = list(PeriodEvent.select(PeriodEvent, Period).join(Period)
                   .order_by(PeriodEvent.at.desc(), PeriodEvent.id.desc()).limit(20))
    ids = {e.user_id for e in history if e.user_id}
    names = {u.id: u.username for u in User.select(User.id, User.username).where(User.id.in_(list(ids)))} if ids else {}
    years = sorted({p.year for p in periods}, reverse=True)
    closed_years = {y.year: y for y in YearClose.select()}
    return render_page("finance/periods.html", title="Periods", periods=periods, history=history, years=years,
                       closed_years=closed_years, error=error, names=names, breadcrumbs=[("Periods", None)]), status


@bp.route("/periods")
@requires("finance.view")
def periods():
    """The months (open or closed), the years, and the history of closes and reopens."""
    return _page()


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

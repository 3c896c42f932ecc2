"""The audit binder: a form for the period and the zip download."""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, request
from flask_login import current_user
from medoffice.auth import requires
from medoffice.settings import today
from medoffice.web.shell import render_page

from .. import binder as service
from . import bp


def _date_arg(name: str, default: dt.date) -> dt.date:
    text = request.args.get(name, "").strip()
    if not text:
        return default
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        abort(400, description=f"{name}: give a date as YYYY-MM-DD.")
    if not dt.date(1900, 1, 1) <= value <= dt.date(2199, 12, 31):
        abort(400, description=f"{name}: a date from 1900 to 2199.")
    return value


def _period() -> tuple[dt.date, dt.date]:
    end = _date_arg("end", today())
    start = _date_arg("start", end.replace(year=end.year - 1) if not (end.month == 2 and end.day == 29)
                      else end.replace(year=end.year - 1, day=28))
    if end < start:
        abort(400, description="end: the end date must be on or after the start date.")
    return start, end


@bp.route("/binder")
@requires("compliance.binder.export")
def binder():
    """Choose the period of the binder."""
    start, end = _period()
    return render_page("compliance/binder.html", title="Audit binder", start=start, end=end)


@bp.route("/binder.zip")
@requires("compliance.binder.export")
def binder_zip():
    """The binder for the period, as a zip (the export is audited)."""
    start, end = _period()
    content = service.build(start, end, today(), by=current_user.username)
    response = Response(content, mimetype="application/zip")
    response.headers["Content-Disposition"] = (f'attachment; filename="compliance-binder-{start.isoformat()}-'
                                               f'{end.isoformat()}.zip"')
    response.headers["Cache-Control"] = "no-store"
    return response

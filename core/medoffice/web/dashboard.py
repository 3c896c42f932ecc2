"""The dashboard (lazy widgets and the Today queue) and the public health check."""
from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user

from .. import assets
from ..auth.access import can, public, requires
from ..db import db
from ..settings import today
from . import core_blueprint as bp
from .shell import render_page


def today_items() -> list:
    """Work items from every enabled plugin the user may act on, most urgent first."""
    host, day = current_app.extensions["medoffice"].host, today()
    user = current_user._get_current_object()  # the plugins read it many times: not through the proxy each time
    items = [i for i in host.call("medoffice_work_items", user=user, today=day) if can(i.permission, user)]
    return sorted(items, key=lambda i: (i.urgency, i.due or day, i.title))


@bp.route("/")
@requires("core.dashboard.view")
def dashboard():
    """Home: the Today queue and the widgets of enabled plugins (each loaded lazily)."""
    host = current_app.extensions["medoffice"].host
    widgets = sorted((w for w in host.call("medoffice_widgets") if can(w.permission)),
                     key=lambda w: (w.order, w.title))
    return render_page("core/dashboard.html", title="Today", widgets=widgets)


@bp.route("/today")
@requires("core.dashboard.view")
def today_queue():
    """The Today queue as a fragment (the dashboard loads it lazily and polls it)."""
    return render_page("core/_today.html", title="Today", items=today_items())


@bp.route("/healthz")
@public
def healthz():
    """Liveness, database reachability and the layout's front-end files, for monitoring (no data, no login).

    A missing or altered front-end file is a 503 too: pages would still answer 200 with htmx dead.
    """
    try:
        db.execute_sql("SELECT 1")
    except Exception:
        return jsonify(status="database unreachable"), 503
    report = assets.verify()
    if not report.ok:
        return jsonify(status="front-end files missing or altered", problems=report.problems), 503
    return jsonify(status="ok")


"""HR's page on the employee manual: who has not signed which version."""
from __future__ import annotations

from medoffice.auth import requires
from medoffice.settings import today
from medoffice.web.shell import render_page

from ..manual import KIND, manual_statuses
from . import bp


@bp.route("/manual")
@requires("hr.manual.manage")
def manual():
    """Each published manual's current version and everyone still to acknowledge it."""
    return render_page("hr/manual.html", title="Employee manual", statuses=manual_statuses(today()), kind=KIND)

"""The health check page: ``medoffice doctor``'s checks, run on demand in the browser."""
from __future__ import annotations

from flask import current_app

from ..auth.access import requires
from ..doctor import has_failures, run_checks
from . import core_blueprint as bp
from .shell import render_page


@bp.route("/admin/doctor")
@requires("core.settings.edit")
def doctor():
    """Run every check of core and the enabled modules and show the results."""
    results = run_checks(current_app._get_current_object())
    return render_page("admin/doctor.html", title="Health check", results=results,
                       failed=has_failures(results), warned=any(r.status == "warn" for r in results),
                       breadcrumbs=[("Admin", None), ("Health check", None)])

"""Core's web pages: the shell, login, dashboard and the admin screens."""
from flask import Blueprint

core_blueprint = Blueprint("core", __name__)

from . import input_guard  # noqa: E402,F401  (first: refuses control characters before any view)
from . import (  # noqa: E402,F401  (views register routes on the blueprint)
    admin_plugins,
    auth_views,
    patients,
    dashboard,
)
from . import admin_audit, admin_roles, admin_users, break_glass  # noqa: E402,F401  (security admin)
from . import directory, markdown_views, settings_views  # noqa: E402,F401  (staff, locations, markdown, settings)
from . import admin_doctor, admin_jobs, tasks  # noqa: E402,F401  (jobs, doctor, task progress)
from ..reports import views as report_views  # noqa: E402,F401  (the reports pages)

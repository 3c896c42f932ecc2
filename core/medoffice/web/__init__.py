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
from . import session_views, two_factor_views  # noqa: E402,F401  (sessions; two-factor sign-in)
from . import directory, markdown_views, settings_views  # noqa: E402,F401  (staff, locations, markdown, settings)
from . import patient_merge_views  # noqa: E402,F401  (merging duplicate patient records)
from . import admin_doctor, admin_jobs, tasks  # noqa: E402,F401  (jobs, doctor, task progress)
from ..reports import views as report_views  # noqa: E402,F401  (the reports pages)
from ..events import views as event_views  # noqa: E402,F401  (Admin → Events)
from ..files import views as file_views  # noqa: E402,F401  (the files widget: upload, download, preview)
from ..messages import views as message_views  # noqa: E402,F401  (Admin → Outbox, mail server; consent panel)
from ..deadlines import views as deadline_views  # noqa: E402,F401  (the deadline calendar, list, iCalendar)
from ..documents import views as document_views  # noqa: E402,F401  (documents, versions, acknowledgments)

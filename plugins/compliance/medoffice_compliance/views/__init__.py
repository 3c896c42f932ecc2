"""The compliance pages: one blueprint named ``compliance`` under ``/compliance``."""
from flask import Blueprint

bp = Blueprint("compliance", __name__, url_prefix="/compliance")

from . import binder, credentials, incidents, privacy, program, records, screening  # noqa: E402,F401  (views register routes on bp)
from .forms import form_html  # noqa: E402

bp.add_app_template_global(form_html, "compliance_form")  # ui.form's HTML, in one pass (views/forms.py)

"""The compliance pages: one blueprint named ``compliance`` under ``/compliance``."""
from flask import Blueprint

bp = Blueprint("compliance", __name__, url_prefix="/compliance")

from . import binder, credentials, incidents, privacy, program, records, screening  # noqa: E402,F401  (views register routes on bp)

"""The HR pages: one blueprint named ``hr`` under ``/hr``."""
from flask import Blueprint

bp = Blueprint("hr", __name__, url_prefix="/hr")

from . import (benefits, departments, employees, hiring, leave_policies, leaving, manual, payroll, reviews,  # noqa: E402,F401
               time, training)  # views register routes on bp

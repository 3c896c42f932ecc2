"""The finance pages: one blueprint named ``finance`` under ``/finance``."""
from flask import Blueprint

bp = Blueprint("finance", __name__, url_prefix="/finance")

from . import accounts, bank, budget_lines, budgets, dashboard, dayclose, deposits, journal, payables, periods, rules  # noqa: E402,F401  (views register routes on bp)

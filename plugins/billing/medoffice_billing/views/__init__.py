"""The billing pages: one blueprint named ``billing`` under ``/billing``."""
from flask import Blueprint

bp = Blueprint("billing", __name__, url_prefix="/billing")

from . import claims, coverage, encounters, exports, fees, payers, remittances  # noqa: E402,F401  (views register routes on bp)
from . import collections, ledger, payments, plans, statements, worklists  # noqa: E402,F401
from . import account, appeals, bulk, denials, diagnosis_codes, underpayments  # noqa: E402,F401
from . import clearinghouse, eligibility, estimates  # noqa: E402,F401

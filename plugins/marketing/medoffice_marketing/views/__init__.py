"""Marketing's pages: one blueprint named ``marketing`` under ``/marketing``."""
from flask import Blueprint

bp = Blueprint("marketing", __name__, url_prefix="/marketing")

from . import (  # noqa: E402,F401  (views register routes on bp)
    campaigns, experience, kiosk, materials, patients, recall, reviews, testimonials,
)

"""Friendly 400/403/404/500 pages (fragments for htmx requests)."""
from __future__ import annotations

import logging

from flask import g, render_template
from flask_wtf.csrf import CSRFError

from ..db import db

log = logging.getLogger("medoffice.errors")

MESSAGES = {
    400: ("Something in that request was wrong", "Check the form and try again."),
    403: ("You do not have access to this page", "Ask your administrator for the permission you need."),
    404: ("Page not found", "The page does not exist, or its module is turned off."),
    405: ("That action is not allowed here", "Go back and use the page's buttons."),
    413: ("That file is too large", "Upload a smaller file."),
    500: ("Something went wrong on our side", "Nothing was saved. Try again; if it keeps happening, tell IT."),
}


def register_error_handlers(app) -> None:
    """Render every HTTP error through ``core/error.html``."""

    def render(code: int, detail: str = ""):
        title, hint = MESSAGES.get(code, ("Error", ""))
        permission = g.get("denied_permission") if code == 403 else None
        return render_template("core/error.html", code=code, title=title, hint=hint,
                               detail=detail, permission=permission), code

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, lambda e, code=code: render(code, getattr(e, "description", "")
                                                                     if code == 400 else ""))

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        return render(400, "The form expired or was sent from elsewhere. Reload the page and try again.")

    @app.errorhandler(500)
    def server_error(e):
        if not db.is_closed() and db.in_transaction():
            db.rollback()
        return render(500)

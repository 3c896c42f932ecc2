"""The page shell: layout choice (full page or htmx fragment), navigation, breadcrumbs, helpers."""
from __future__ import annotations

import logging
from collections import OrderedDict

from flask import current_app, flash, g, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..access import can
from ..money import format_cents

log = logging.getLogger("medoffice.shell")
GROUP_ORDER = ["", "Patients", "Billing", "Finance", "People", "Compliance", "Marketing", "Reports", "Admin"]


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page (not a boosted navigation)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(template: str, *, title: str, breadcrumbs: list[tuple[str, str | None]] = (),
                **context):
    """Render a page: the full layout, or just its content block for an htmx request.

    :param breadcrumbs: (label, url) pairs after "Home"; the last one's url may be None.
    """
    return render_template(template, title=title, breadcrumbs=list(breadcrumbs), **context)


def navigation() -> list[tuple[str, list]]:
    """Navigation items of enabled plugins the user may use, grouped and ordered."""
    if not current_user.is_authenticated:
        return []
    cached = g.get("_medoffice_nav")
    if cached is not None:
        return cached
    host = current_app.extensions["medoffice"].host
    groups: dict[str, list] = OrderedDict()
    items = sorted(host.call("medoffice_nav_items"), key=lambda i: (i.order, i.title))
    for item in items:
        if item.endpoint not in current_app.view_functions:
            # One plugin's broken nav item must not take every page down; the contract test flags it.
            log.error("nav item %r points at unknown endpoint %r", item.title, item.endpoint)
            continue
        if can(item.permission):
            groups.setdefault(item.group, []).append(item)
    ordered = sorted(groups.items(), key=lambda kv: (
        GROUP_ORDER.index(kv[0]) if kv[0] in GROUP_ORDER else len(GROUP_ORDER), kv[0]))
    g._medoffice_nav = ordered
    return ordered


def notify(message: str, category: str = "success") -> None:
    """Queue a toast message for the next page (categories: success, info, warning, error)."""
    flash(message, category)


def register_shell(app) -> None:
    """Install template globals, filters and the layout chooser."""

    @app.context_processor
    def shell_context():
        return {
            "layout_template": "core/_fragment.html" if wants_fragment() else "core/layout.html",
            "navigation": navigation,
            "can": can,
            "csrf_token": generate_csrf,
            "insecure_http": app.config.get("INSECURE_HTTP", False),
            "active_theme": app.extensions["medoffice_theme"](),
        }

    app.jinja_env.filters["cents"] = format_cents
    app.jinja_env.globals["url_for"] = url_for

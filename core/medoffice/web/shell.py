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


def navigation() -> list[tuple[str, list[tuple[str, str, bool]]]]:
    """Navigation of enabled plugins the user may use: (group, [(title, url, is current page), ...])."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return []
    cached = g.get("_medoffice_nav")
    if cached is None:
        path = request.path
        cached = []
        for group, entries in _all_navigation():
            links = [(item.title, href, path == href or (href != "/" and path.startswith(href)))
                     for item, href in entries if can(item.permission, user)]
            if links:
                cached.append((group, links))
        g._medoffice_nav = cached
    return cached


def _all_navigation() -> list[tuple[str, list]]:
    """Every enabled plugin's nav items with their URLs, grouped and ordered (built once per plugin state)."""
    runtime = current_app.extensions["medoffice"]

    def build():
        groups: dict[str, list] = OrderedDict()
        for item in sorted(runtime.host.call("medoffice_nav_items"), key=lambda i: (i.order, i.title)):
            if item.endpoint not in current_app.view_functions:
                # One plugin's broken nav item must not take every page down; the contract test flags it.
                log.error("nav item %r points at unknown endpoint %r", item.title, item.endpoint)
                continue
            groups.setdefault(item.group, []).append((item, url_for(item.endpoint)))
        return sorted(groups.items(), key=lambda kv: (
            GROUP_ORDER.index(kv[0]) if kv[0] in GROUP_ORDER else len(GROUP_ORDER), kv[0]))

    return runtime.derived(("navigation", request.script_root), build)


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

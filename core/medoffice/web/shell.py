"""The page shell: layout choice (full page or htmx fragment), navigation, breadcrumbs, helpers."""
from __future__ import annotations

import logging
from collections import OrderedDict

from flask import current_app, flash, g, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from ..auth.access import can
from ..money import format_cents
from ..localtime import local_date, local_datetime, zone_abbreviation
from ..people import person_name
from .tables import TablePage, csv_response

log = logging.getLogger("medoffice.shell")
CURRENT = ' aria-current="page"'
GROUP_ORDER = ["", "Patients", "Billing", "Finance", "People", "Compliance", "Marketing", "Reports", "Admin"]


def wants_fragment() -> bool:
    """True for an htmx request that swaps part of a page (not a boosted navigation)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(template: str, *, title: str, breadcrumbs: list[tuple[str, str | None]] = (),
                **context):
    """Render a page: the full layout, or just its content block for an htmx request.

    :param breadcrumbs: (label, url) pairs after "Home"; the last one's url may be None.

    A list page asked for as CSV (``?format=csv``, its ``table`` fetched whole by ``paginate``) answers
    with the table's rows as a CSV file instead.
    """
    table = context.get("table")
    if isinstance(table, TablePage) and table.exported:
        return csv_response(table, title)
    return render_template(template, title=title, breadcrumbs=list(breadcrumbs), **context)


def navigation_html() -> Markup:
    """The side navigation for the user and page: the enabled plugins' entries the user may use,
    grouped, the current page's marked. Built once per plugin state, set of permissions and current
    entry: every page shows it, and building it took longer than many pages' own work."""
    user = current_user._get_current_object()
    if not user.is_authenticated:
        return Markup("")
    groups = _all_navigation()
    current = current_entries(request.path, groups)
    grants = "all" if user.is_admin else (user.permissions, user.break_glass)
    runtime = current_app.extensions["medoffice"]
    return runtime.derived(("navigation_html", request.script_root, grants, current),
                           lambda: _navigation_markup(groups, user, current))


PATHS_KEPT = 4096  # pages whose current navigation entries a process keeps


def current_entries(path: str, groups=None) -> tuple:
    """The navigation entries ``path`` is under (the page's own, or its section's), looked up once per path and
    plugin state: matching every entry against the path cost more than the rest of the navigation."""
    groups = _all_navigation() if groups is None else groups
    runtime = current_app.extensions["medoffice"]
    known = runtime.derived(("navigation current", request.script_root), dict)
    current = known.get(path)
    if current is None:
        if len(known) >= PATHS_KEPT:
            known.clear()
        current = known[path] = tuple(href for _group, entries in groups for _item, href in entries
                                      if path == href or (href != "/" and path.startswith(href)))
    return current


def _navigation_markup(groups, user, current: tuple) -> Markup:
    html = ['<nav class="sidenav" aria-label="Main">']
    for group, entries in groups:
        links = [f'<li><a href="{escape(href)}"{CURRENT if href in current else ""}>{escape(item.title)}</a></li>'
                 for item, href in entries if can(item.permission, user)]
        if links:
            heading = f"<h2>{escape(group)}</h2>" if group else ""
            html.append(f'<div class="navgroup">{heading}<ul>{"".join(links)}</ul></div>')
    html.append("</nav>")
    return Markup("\n".join(html))


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


def fixed_url(endpoint: str, **values) -> str:
    """``url_for`` for a URL that stays the same while the app runs (stylesheets, scripts, pages
    without arguments), built once: the layout asks for a dozen on every page."""
    runtime = current_app.extensions["medoffice"]
    key = ("fixed_url", request.script_root, endpoint, tuple(sorted(values.items())))
    return runtime.derived(key, lambda: url_for(endpoint, **values))


CSRF_SLOT = "\x00csrf\x00"  # where the request's CSRF token goes in a cached piece of the layout


SIGNED_TOKENS_KEPT = 4096  # sessions whose signed CSRF token a process keeps


def csrf_token() -> str:
    """The request's signed CSRF token (as ``flask_wtf.csrf.generate_csrf``), signed once per session and
    process rather than on every page: medoffice sets no age limit on tokens (``WTF_CSRF_TIME_LIMIT``
    None), so a token signed earlier for the same session token validates the same."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    signed = current_app.extensions.setdefault("medoffice_signed_csrf", {})
    if field in g:  # signed in this request already (here, or by a form's own CSRF field): kept for the next
        token = g.get(field)
        raw = session.get(field)
        if raw and raw not in signed and current_app.config.get("WTF_CSRF_TIME_LIMIT") is None:
            _keep(signed, raw, token)
        return token
    raw = session.get(field)
    token = signed.get(raw) if raw else None
    if token is None or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        token = generate_csrf()
        _keep(signed, session[field], token)
    else:
        setattr(g, field, token)
    return token


def _keep(signed: dict, raw: str, token: str) -> None:
    if len(signed) >= SIGNED_TOKENS_KEPT:
        signed.clear()
    signed[raw] = token


def cached_fragment(template: str, key: tuple, **context) -> str:
    """``template`` rendered with ``context`` once per ``key`` and plugin state (a theme switch bumps it), for
    the parts of the layout that are the same on every page (a theme may still override them)."""
    runtime = current_app.extensions["medoffice"]
    return runtime.derived(("fragment", template, request.script_root, key),
                           lambda: render_template(template, **context))


def page_assets(theme: str) -> Markup:
    """The icon, stylesheets and scripts every full page loads (``core/_assets.html``), built once per theme."""
    return Markup(cached_fragment("core/_assets.html", (theme,), theme=theme))


def topbar_html() -> Markup:
    """The signed-in user's top bar (``core/_topbar.html``: menu button, home, patient search, their name,
    password, sessions, log out), built once per name and patient permission; only the CSRF token changes."""
    return Markup(topbar_fragment().replace(CSRF_SLOT, escape(csrf_token())))


def topbar_fragment() -> Markup:
    """The top bar as kept, ``CSRF_SLOT`` where the request's token goes."""
    user = current_user._get_current_object()
    find_patients = can("core.patients.view", user)
    return Markup(cached_fragment("core/_topbar.html", (user.full_name, find_patients), user_name=user.full_name,
                                  find_patients=find_patients, csrf_slot=CSRF_SLOT))


def notify(message: str, category: str = "success") -> None:
    """Queue a toast message for the next page (categories: success, info, warning, error)."""
    flash(message, category)


def register_shell(app) -> None:
    """Install template globals, filters and the layout chooser."""

    from . import layout

    @app.context_processor
    def shell_context():
        return {
            "layout_template": "core/_fragment.html" if wants_fragment() else layout.layout_template(),
            "navigation_html": navigation_html,
            "page_assets": page_assets,
            "topbar_html": topbar_html,
            "fixed_url": fixed_url,
            "can": can,
            "csrf_token": csrf_token,
            "insecure_http": app.config.get("INSECURE_HTTP", False),
            "active_theme": app.extensions["medoffice_theme"](),
        }

    app.jinja_env.filters["cents"] = format_cents
    app.jinja_env.filters["person"] = person_name  # a user name shown as the person's name
    app.jinja_env.filters["localtime"] = local_datetime  # a timestamp in the practice's zone
    app.jinja_env.filters["localdate"] = local_date  # a date in the practice's format
    app.jinja_env.globals.update(breadcrumbs_html=layout.breadcrumbs_html, kept_head=layout.kept_head,
                                 kept_foot=layout.kept_foot)
    app.jinja_env.globals["zone_abbreviation"] = zone_abbreviation
    app.jinja_env.globals["url_for"] = url_for

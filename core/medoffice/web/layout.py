"""The page layout around a page's content, kept rendered between pages.

``core/layout.html`` is its two halves, ``core/_layout_head.html`` (document head, top bar, side navigation,
breadcrumbs, toasts) and ``core/_layout_foot.html``. Rendering them through Jinja cost about a quarter of
millisecond a page, as much as core's whole request cycle. Yet for one user on one section of the app they
come out the same on every page but for the title, the breadcrumbs and the CSRF token. So a full page
without toasts to show extends ``core/_layout_kept.html`` instead, which puts the head rendered before for
the same user, section, theme and plugin state (with those three filled in) and the foot around the content.
The HTML is the same to the byte (the test renders both ways). A theme that overrides ``core/layout.html``
always gets its own template; one that overrides a part (``core/_toasts.html``, the head) has it rendered
into what is kept.
"""
from __future__ import annotations

from flask import current_app, render_template, request, session
from flask_login import current_user
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape

from ..auth import sessions
from ..auth.access import can, grants_key
from . import shell
from .break_glass import emergency_context

FULL = "core/layout.html"
KEPT = "core/_layout_kept.html"
HEADS_KEPT = 1024  # rendered heads a process keeps (users x sections); it starts over when full
TITLE_SLOT = "\x00title\x00"
CRUMBS_SLOT = "\x00crumbs\x00"


def breadcrumbs_html(breadcrumbs) -> Markup:
    """The breadcrumb trail: Home, then each (label, url) pair, the last one (or one without url) as the
    current page; nothing without breadcrumbs. The markup ``core/_layout_head.html`` wrote, in one pass."""
    if not breadcrumbs:
        return Markup("")
    home = escape(shell.fixed_url("core.dashboard"))
    html = ['\n      <nav class="breadcrumbs" aria-label="Breadcrumb">\n        <ol>\n'
            f'          <li><a href="{home}">Home</a></li>\n          ']
    last = len(breadcrumbs) - 1
    for number, (label, href) in enumerate(breadcrumbs):
        if href and number != last:
            crumb = f'<a href="{escape(href)}">{escape(label)}</a>'
        else:
            crumb = f'<span aria-current="page">{escape(label)}</span>'
        html.append(f"\n          <li>{crumb}</li>\n          ")
    html.append("\n        </ol>\n      </nav>\n      ")
    return Markup("".join(html))


def layout_template() -> str:
    """The layout a full page extends: the kept one, unless toasts wait to be shown (rendered afresh) or the
    theme has a layout of its own."""
    if "_flashes" in session or _theme_has_own_layout():
        return FULL
    return KEPT


def _theme_has_own_layout() -> bool:
    runtime = current_app.extensions["medoffice"]

    def check() -> bool:
        env = current_app.jinja_env
        try:
            return env.get_template(FULL).filename != env.get_template("default:" + FULL).filename
        except TemplateNotFound:  # a loader without themes (``default:`` is the theme loader's prefix)
            return False

    return runtime.derived(("layout overridden", current_app.extensions["medoffice_theme"]()), check)


def kept_head(title, breadcrumbs) -> Markup:
    """``core/_layout_head.html`` for this page: kept per user, section, theme and plugin state, with the
    page's title, breadcrumbs and CSRF token put in."""
    user = current_user._get_current_object()
    theme = current_app.extensions["medoffice_theme"]()
    key = (request.script_root, theme, emergency_context().get("emergency_until"))
    if user.is_authenticated:
        key += (user.full_name, grants_key(user), can("core.patients.view", user), shell.current_entries(request.path),
                sessions.idle_minutes())
    runtime = current_app.extensions["medoffice"]
    kept = runtime.derived(("layout heads", theme), dict)
    html = kept.get(key)
    if html is None:
        if len(kept) >= HEADS_KEPT:
            kept.clear()
        html = kept[key] = render_template(
            "core/_layout_head.html", title=TITLE_SLOT, breadcrumbs=(), breadcrumbs_html=lambda _: CRUMBS_SLOT,
            csrf_token=lambda: shell.CSRF_SLOT, topbar_html=shell.topbar_fragment, layout_template=KEPT)
    token = escape(shell.csrf_token())
    return Markup(html.replace(TITLE_SLOT, escape(title)).replace(CRUMBS_SLOT, breadcrumbs_html(breadcrumbs))
                  .replace(shell.CSRF_SLOT, token))


def kept_foot() -> Markup:
    """``core/_layout_foot.html``, rendered once per theme and plugin state (it holds nothing of the page)."""
    theme = current_app.extensions["medoffice_theme"]()
    return Markup(shell.cached_fragment("core/_layout_foot.html", ("layout foot", theme)))

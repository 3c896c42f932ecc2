"""The parts of marketing's detail and form pages that are the same for everyone who sees them (a record's
details, its forms), rendered once and kept per process until their data changes (``medoffice.data_versions``),
the request's CSRF token put in on every view."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import request
from markupsafe import Markup
from medoffice import dates
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import kept
from medoffice.web import shell
from medoffice.web.field_html import render_form
from medoffice.web.forms import slotted_form_html, with_csrf_token


def kept_part(keys: tuple[str, ...], arguments: tuple[Hashable, ...], build: Callable[[], Any]) -> Any:
    """``build()`` kept until one of the data versions ``keys`` or the access version (users, who is named; the
    settings, the date format) moves, for ``arguments`` and what any rendered HTML depends on besides: the date
    pattern, the links' root and the plugin state (templates, a theme)."""
    from medoffice.app import medoffice_runtime  # the app module imports the plugins

    return kept((*keys, ACCESS_KEY),
                (*arguments, dates.pattern(), request.script_root, medoffice_runtime().host.state_version), build)


def slotted(html: str) -> str:
    """HTML rendered in this request, its CSRF token (in every form it holds) left as a slot to be kept."""
    return str(html).replace(shell.csrf_token(), shell.CSRF_SLOT)


def kept_form(keys: tuple[str, ...], arguments: tuple[Hashable, ...], make_form: Callable[[], Any],
              **drawn) -> Markup:
    """The unsubmitted form ``make_form()`` builds, as ``ui.form`` draws it (``drawn``: its action, submit,
    cancel), kept as :func:`kept_part` keeps (``keys``: the versions of what its values and choices are read from;
    ``arguments``: everything else they depend on, such as the record's id or today), the request's CSRF token
    put in. A form refused with errors is drawn from the request instead."""
    html = kept_part(keys, ("form", *arguments, *sorted(drawn.items())),
                     lambda: slotted_form_html(make_form(), lambda form: render_form(form, **drawn)))
    return with_csrf_token(html)

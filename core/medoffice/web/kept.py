"""Parts of a page that are the same for everyone who sees them with the same permissions (a record's details, a
register, its forms), rendered once and kept per process until their data changes (``medoffice.data_versions``),
the request's CSRF token put in on every view.

A detail page typically keeps its sections with :func:`kept_part` (HTML left with a CSRF slot by :func:`slotted`,
filled with ``forms.with_csrf_token``) and its blank forms with :func:`kept_form`; what is written for each view
(the read audit of a patient's record, a files panel drawn per user) stays outside the kept value.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, render_template, request
from markupsafe import Markup

from .. import dates
from ..auth.access_version import KEY as ACCESS_KEY
from ..data_versions import kept
from . import shell
from .field_html import render_form
from .forms import slotted_form_html, with_csrf_token


def kept_part(keys: tuple[str, ...], arguments: tuple[Hashable, ...], build: Callable[[], Any]) -> Any:
    """``build()`` kept until one of the data versions ``keys`` or the access version (users, roles, settings such as
    the date format) moves, for ``arguments`` (the record, the permissions the part depends on: put the result of
    ``can(...)`` here) and what rendered HTML depends on besides: the date pattern, the links' root and the plugin
    state (templates, a theme)."""
    state = current_app.extensions["medoffice"].host.state_version
    return kept((*keys, ACCESS_KEY), (*arguments, dates.pattern(), request.script_root, state), build)


def slotted(html: str) -> str:
    """HTML rendered in this request with its CSRF token (in every form it holds) left as a slot, to be kept and
    shown to any session through ``forms.with_csrf_token``."""
    return str(html).replace(shell.csrf_token(), shell.CSRF_SLOT)


def kept_template(keys: tuple[str, ...], arguments: tuple[Hashable, ...], template: str,
                  context: Callable[[], dict]) -> Markup:
    """``template`` rendered with ``context()``, kept as :func:`kept_part` keeps (``keys``: the versions of what the
    context is read from; ``arguments``: everything else it depends on), with the request's CSRF token put in any form
    it holds: a page's filter bar, totals table or bulk form drawn once, not on every view."""
    html = kept_part(keys, ("template", template, *arguments),
                     lambda: slotted(render_template(template, **context())))
    return with_csrf_token(html)


def kept_form(keys: tuple[str, ...], arguments: tuple[Hashable, ...], make_form: Callable[[], Any],
              **drawn) -> Markup:
    """The unsubmitted form ``make_form()`` builds, as ``ui.form`` draws it (``drawn``: its action, submit,
    cancel), kept as :func:`kept_part` keeps (``keys``: the versions of what its values and choices are read from;
    ``arguments``: everything else they depend on, such as the record's id or today), the request's CSRF token
    put in. Draw a form refused with errors from the request instead."""
    html = kept_part(keys, ("form", *arguments, *sorted(drawn.items())),
                     lambda: slotted_form_html(make_form(), lambda form: render_form(form, **drawn)))
    return with_csrf_token(html)

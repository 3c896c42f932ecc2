"""Form helpers shared by core and plugins (Flask-WTF forms, inline errors via core/ui.html)."""
from __future__ import annotations

from typing import Any, Callable

from flask import current_app
from markupsafe import Markup, escape
from wtforms import StringField
from wtforms.fields.choices import SelectChoice

from . import field_html, shell  # field_html also registers render_field and render_form for core/ui.html


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs (WTForms 3.4 drops plain tuples)."""
    return [SelectChoice(value, label) for value, label in pairs]


def form_values(form, names: list[str] | None = None) -> dict:
    """The form's data for ``names`` (default: every input field), text fields stripped, None as ""."""
    values = {}
    for field in form:
        if field.type in ("CSRFTokenField", "SubmitField") or (names is not None and field.name not in names):
            continue
        value = field.data
        if isinstance(field, StringField):
            value = (value or "").strip()
        values[field.name] = value
    return values


def blank_form_html(key, form_class, render: Callable[[Any], Any] | None = None) -> Markup:
    """``render(form_class(formdata=None))`` of an empty form (default: the whole form as ``ui.form`` draws it),
    built once per plugin state and ``key`` (a theme switch bumps the state), with only the request's CSRF
    token put in: a list page showing a blank "add" form on every GET spent more building and rendering it than
    on the rest of the page. Show a submitted form with its errors by rendering it as usual instead.

    :param key: what tells this form apart from the plugin's others (its name, its submit label...).
    """
    kept = current_app.extensions["medoffice"].derived(("blank form", key), dict)
    html = kept.get("html")
    if html is None:
        html = kept["html"] = slotted_form_html(form_class(formdata=None), render)
    return with_csrf_token(html)


def slotted_form_html(form, render: Callable[[Any], Any] | None = None) -> str:
    """``render(form)`` (default: the whole form as ``ui.form`` draws it) with its CSRF token left as a slot, to be
    kept and shown to any session through :func:`with_csrf_token`."""
    token = form.csrf_token.current_token if getattr(form, "csrf_token", None) else None
    html = str(render(form) if render is not None else field_html.render_form(form))
    return html.replace(token, shell.CSRF_SLOT) if token else html


def with_csrf_token(html: str) -> Markup:
    """Kept form HTML (:func:`slotted_form_html`) with the request's CSRF token put in."""
    return Markup(html.replace(shell.CSRF_SLOT, escape(shell.csrf_token())))

"""Inline edit: change one value in place (a table cell, a fact on a page) with htmx.

The cell has three states, each a fragment that replaces the previous one (``outerHTML``):
display (value plus an Edit button), editor (a one-field form; Save posts, Cancel or
Escape fetches the display state again) and, after a valid save, display again. An invalid
value re-renders the editor with the error inline and status 422.

A plugin needs three things: an ``InlineTarget`` per cell (its DOM id, accessible label and
two URLs), a view answering GET (editor) and POST (save) on ``edit_url``, and a view
answering GET on ``cell_url`` (display, for Cancel). For example::

    PHONE = StringField("Phone", validators=[Optional(), Regexp(...)])

    def phone_target(thing):
        return InlineTarget(f"thing-{thing.id}-phone", f"phone of {thing.name}",
                            url_for("x.thing_phone_edit", id=thing.id),
                            url_for("x.thing_phone_cell", id=thing.id))

    @bp.route("/things/<int:id>/phone/edit", methods=["GET", "POST"])
    @requires("x.things.edit")
    def thing_phone_edit(id):
        thing = Thing.get_by_id(id)
        if request.method == "GET":
            return edit_response(phone_target(thing), PHONE, thing.phone)
        return save_response(phone_target(thing), PHONE, lambda value: save_phone(thing, value))

    @bp.route("/things/<int:id>/phone")
    @requires("x.things.view")
    def thing_phone_cell(id):
        thing = Thing.get_by_id(id)
        return cell_response(phone_target(thing), thing.phone)

and in the table column ``value=lambda t: render_cell(phone_target(t), t.phone, editable=can(...))``.
``save`` runs only for a valid value; it writes (in a transaction, audited) and returns the
value to display.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import get_template_attribute, request
from flask_wtf import FlaskForm
from markupsafe import Markup, escape

TEMPLATE = "core/_inline_edit.html"


@dataclass(frozen=True)
class InlineTarget:
    """Where one editable value lives: DOM id, accessible label, editor/save URL, display URL."""

    dom_id: str
    label: str
    edit_url: str
    cell_url: str


def _form(field, current: Any = None):
    """A one-field Flask-WTF form (field name ``value``): bound to the request on POST."""
    form_class = type("InlineEditForm", (FlaskForm,), {"value": field})
    if request.method == "POST":
        return form_class()
    return form_class(formdata=None, data={"value": current})


def render_cell(target: InlineTarget, value: Any, *, editable: bool = True, focus: bool = False) -> Markup:
    """The display state: the value (escaped) and, when ``editable``, an Edit button.

    :param focus: move keyboard focus to the Edit button once swapped in (after save/cancel).
    """
    shown = _EMPTY if value is None or value == "" else escape(value)
    button = (f'<button type="button" class="link inline-edit-button" hx-get="{escape(target.edit_url)}" '
              f'hx-target="#{escape(target.dom_id)}" hx-swap="outerHTML" aria-label="Edit {escape(target.label)}">'
              "Edit</button>") if editable else ""
    return Markup(f'\n<span id="{escape(target.dom_id)}" class="inline-cell"{" data-inline-focus" if focus else ""}>\n'
                  f'  <span class="inline-value">{shown}</span>\n  {button}\n</span>\n')


_EMPTY = '<span class="empty" aria-label="empty">—</span>'


def cell_renderer(*, editable: bool = True) -> Callable[[InlineTarget, Any], Markup]:
    """:func:`render_cell` for the many cells of one list (written in Python: a list of fifty spent more in
    the template macro it replaced than on the rest of its rows)."""
    return lambda target, value: render_cell(target, value, editable=editable)


def cell_response(target: InlineTarget, value: Any, *, editable: bool = True):
    """Response for ``cell_url``: the display state, focused (Cancel and Escape land here)."""
    return render_cell(target, value, editable=editable, focus=True)


def edit_response(target: InlineTarget, field, current: Any):
    """Response for GET on ``edit_url``: the editor, pre-filled with ``current``.

    :param field: an unbound WTForms field, e.g. ``StringField("Phone", validators=[...])``.
    """
    return Markup(get_template_attribute(TEMPLATE, "editor")(target, _form(field, current)))


def save_response(target: InlineTarget, field, save: Callable[[Any], Any]):
    """Response for POST on ``edit_url``: validate, ``save(value)``, return the display state.

    ``save`` receives the field's cleaned data (text stripped) and returns what to display.
    An invalid value returns the editor with its error and status 422; nothing is saved.
    """
    form = _form(field)
    if not form.validate_on_submit():
        return Markup(get_template_attribute(TEMPLATE, "editor")(target, form)), 422
    value = form.value.data
    if isinstance(value, str):
        value = value.strip()
    return render_cell(target, save(value), focus=True)

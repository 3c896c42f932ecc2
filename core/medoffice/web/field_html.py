"""Form fields as HTML, built in Python: the ``field`` macro of core/ui.html is a call to ``render_field``.

Through the macro and wtforms' widgets a field cost ~75 us, half of it in wtforms' ``html_params``
(every attribute goes through ``Markup.format``); a 44-field form spent over 3 ms there. The common
widgets are written here with plain string formatting and give exactly the same HTML, attribute
for attribute; any other widget, a form whose meta renders fields its own way or a field with its
own ``__call__`` is rendered by wtforms as before.
"""
from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.fields.choices import Choice
from wtforms.fields.core import Field, Label
from wtforms.meta import DefaultMeta
from wtforms.widgets.core import clean_key

from . import core_blueprint

# The macro's layout, whitespace included, so pages keep their exact HTML.
_OPEN = '\n\n<div class="field">\n  '
_OPEN_WITH_ERRORS = '\n\n<div class="field has-error">\n  '
_REQUIRED_STAR = '<span class="req" aria-hidden="true">*</span>'
_CLOSE = "\n</div>\n"


def _attribute(value) -> str:
    """An attribute's value as ``html_params`` writes it between its quotes."""
    return str(escape(value)).replace('"', "&quot;")


def html_attrs(attrs: dict) -> str:
    """Attributes as wtforms' ``html_params`` writes them: sorted by name, True bare, False left out."""
    parts = []
    for key in sorted(attrs):
        value = attrs[key]
        if value is True:
            parts.append(key)
        elif value is not False:
            parts.append(f'{key}="{_attribute(value)}"')
    return " ".join(parts)


def _add_flags(field, widget, attrs: dict, call_callables: bool) -> None:
    """The validation attributes the field's validators set (required, maxlength...), as the widget adds them."""
    flags = vars(field.flags)
    for name in widget.validation_attrs:
        if name in flags and name not in attrs:
            value = flags[name]
            attrs[name] = value() if call_callables and callable(value) else value


def _input(field, widget, attrs: dict) -> str:
    """``widgets.Input.__call__``."""
    attrs.setdefault("id", field.id)
    attrs.setdefault("type", widget.input_type)
    if "value" not in attrs:
        attrs["value"] = field._value()
    datalist = getattr(field, "_datalist", None)
    if datalist is not None and "list" not in attrs:
        attrs["list"] = datalist if isinstance(datalist, str) else datalist.id
    _add_flags(field, widget, attrs, call_callables=True)
    attrs["name"] = field.name
    return f"<input {html_attrs(attrs)}>"


def _password(field, widget, attrs: dict) -> str:
    if widget.hide_value:
        attrs["value"] = ""
    return _input(field, widget, attrs)


def _checkbox(field, widget, attrs: dict) -> str:
    if getattr(field, "checked", field.data):
        attrs.setdefault("checked", True)
    return _input(field, widget, attrs)


def _number(field, widget, attrs: dict) -> str:
    for name in ("step", "min", "max"):
        if getattr(widget, name) is not None:
            attrs.setdefault(name, getattr(widget, name))
    return _input(field, widget, attrs)


def _date(field, widget, attrs: dict) -> str | None:
    """A date input without bounds (wtforms formats date bounds itself: those go through it)."""
    if "min" in attrs or "max" in attrs or field.flags.min is not None or field.flags.max is not None:
        return None
    return _input(field, widget, attrs)


def _textarea(field, widget, attrs: dict) -> str:
    attrs.setdefault("id", field.id)
    _add_flags(field, widget, attrs, call_callables=False)
    attrs["name"] = field.name
    return f"<textarea {html_attrs(attrs)}>\r\n{escape(field._value())}</textarea>"


def _option(choice: Choice) -> str:
    """``widgets.Select.render_option``; options with their own attributes are left to it."""
    if choice.render_kw:
        return widgets.Select.render_option(choice)
    value = str(choice.value) if isinstance(choice.value, bool) else choice.value
    selected = "selected " if choice.selected else ""
    # (html_attrs of the one attribute, without sorting a dict for each of a page's hundreds of options)
    return f'<option {selected}value="{_attribute(value)}">{escape(choice.label or choice.value)}</option>'


def _select(field, widget, attrs: dict) -> str | None:
    """A single-choice select without option groups."""
    if widget.multiple or field.has_groups():
        return None
    choices = list(field.iter_choices())
    if not all(type(choice) is Choice for choice in choices):
        return None
    attrs.setdefault("id", field.id)
    _add_flags(field, widget, attrs, call_callables=False)
    attrs["name"] = field.name
    return f"<select {html_attrs(attrs)}>{''.join(_option(choice) for choice in choices)}</select>"


class TextArea(widgets.TextArea):
    """wtforms' textarea, same HTML, with the fast attributes: for textareas a page renders by calling the
    field with many attributes of its own (the markdown editor) rather than through ``ui.field``."""

    def __call__(self, field, **kwargs):
        if "name" in kwargs:
            return super().__call__(field, **kwargs)
        return Markup(_textarea(field, self, kwargs))


_WIDGETS = {
    widgets.TextInput: _input, widgets.EmailInput: _input, widgets.TelInput: _input, widgets.URLInput: _input,
    widgets.SearchInput: _input, widgets.HiddenInput: _input, widgets.PasswordInput: _password,
    widgets.CheckboxInput: _checkbox, widgets.NumberInput: _number, widgets.DateInput: _date,
    widgets.TextArea: _textarea, TextArea: _textarea, widgets.Select: _select,
}


def render_widget(field, **kwargs) -> Markup:
    """What ``field(**kwargs)`` renders, without wtforms' slow attribute formatting for common widgets."""
    render = _WIDGETS.get(type(field.widget))
    if (render is not None and type(field).__call__ is Field.__call__
            and type(field.meta).render_field is DefaultMeta.render_field):
        attrs = {clean_key(k): v for k, v in (field.render_kw or {}).items()}
        attrs.update({clean_key(k): v for k, v in kwargs.items()})
        if "name" not in attrs:
            html = render(field, field.widget, attrs)
            if html is not None:
                return Markup(html)
    return field(**kwargs)


def _label(field) -> str:
    label = field.label
    if type(label) is Label:
        attrs = html_attrs({"for": label.field_id})
        return f'<label{" " if attrs else ""}{attrs}>{escape(label.text)}</label>'
    return str(escape(label))


@core_blueprint.app_template_global()
def render_field(field, help=None) -> Markup:
    """A form field with its label, required star, help text and errors (the ``ui.field`` macro)."""
    errors = field.errors
    err_id = f"{field.id}-error"
    widget = render_widget(field, **({"aria-describedby": err_id, "aria-invalid": "true"} if errors else {}))
    html = [_OPEN_WITH_ERRORS if errors else _OPEN]
    if field.type == "BooleanField":
        html.append(f"\n  <label>{widget} {escape(field.label.text)}</label>\n  ")
    else:
        html.append(f"\n  {_label(field)}{_REQUIRED_STAR if field.flags.required else ''}\n  {widget}\n  ")
    html.append("\n  ")
    description = help or field.description
    if description:
        html.append(f'<small class="help">{escape(description)}</small>')
    html.append("\n  ")
    if errors:
        html.append(f'<p class="field-error" id="{escape(err_id)}">{Markup(" ").join(errors)}</p>')
    html.append(_CLOSE)
    return Markup("".join(html))


_NOT_LISTED = ("CSRFTokenField", "HiddenField", "SubmitField")


@core_blueprint.app_template_global()
def render_form(form, action: str = "", submit: str = "Save", cancel: str | None = None, attrs: str = "",
                extra_hidden: dict | None = None) -> Markup:
    """A whole form (the ``ui.form`` macro): CSRF token, form errors, each field as :func:`render_field`, hidden
    fields, ``extra_hidden`` inputs and the submit and cancel buttons. The same HTML as the macro's template
    wrote, whitespace included, in one pass: its three loops and a macro call per field cost ~80 us a form
    more than the fields themselves. ``attrs`` is written as given (trusted markup such as htmx attributes)."""
    html = [f'\n<form method="post" action="{escape(action)}" class="form" novalidate {attrs}>\n  ']
    csrf = getattr(form, "csrf_token", None)
    if csrf:
        html.append(render_widget(csrf))
    html.append("\n  ")
    if form.errors and form.form_errors:
        html.append(f'<div class="form-error" role="alert">{Markup(" ").join(form.form_errors)}</div>')
    html.append("\n  ")
    hidden = []
    for field in form:
        if field.type not in _NOT_LISTED:
            html.append(render_field(field))
        elif field.type == "HiddenField":
            hidden.append(str(escape(field)))
    html.append("\n  ")
    html.extend(hidden)
    html.append("\n  ")
    for name, value in (extra_hidden or {}).items():
        html.append(f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">')
    html.append(f'\n  <div class="actions"><button type="submit">{escape(submit)}</button>')
    if cancel:
        html.append(f' <a class="button secondary" href="{escape(cancel)}">Cancel</a>')
    html.append("</div>\n</form>\n")
    return Markup("".join(html))

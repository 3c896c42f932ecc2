"""Form helpers shared by core and plugins (Flask-WTF forms, inline errors via core/ui.html)."""
from __future__ import annotations

from wtforms import StringField
from wtforms.fields.choices import SelectChoice

from . import field_html  # noqa: F401  (registers render_field, which the field macro of core/ui.html calls)


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

"""Form fields for billing input: money in cents, modifier lists and diagnosis pointers."""
from __future__ import annotations

import re

from medoffice.money import format_cents, parse_cents
from wtforms import Field
from wtforms.widgets import TextInput

from ..reference import modifier_is_valid_format


class MoneyField(Field):
    """An amount typed as dollars ("125", "1,250.00"); ``data`` is integer cents or None when blank."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_cents(self.data).replace("$", "")

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_data = [text] if valuelist else valuelist  # spaces alone are blank, also for InputRequired
        self.data = None
        if text:
            try:
                self.data = parse_cents(text)
            except ValueError as exc:
                raise ValueError(str(exc)[0].upper() + str(exc)[1:] + ".") from None


class ModifiersField(Field):
    """Up to four two-character modifiers typed as "25 59" or "25,59"; ``data`` is a list."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return " ".join(self.data or [])

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").upper()
        items = [m for m in re.split(r"[\s,:]+", text) if m]
        self.data = items
        bad = [m for m in items if not modifier_is_valid_format(m)]
        if bad:
            raise ValueError(f"{bad[0]} is not a modifier: use two letters or digits, such as 25 or GT.")
        if len(items) > 4:
            raise ValueError("A line takes at most 4 modifiers.")
        if len(set(items)) != len(items):
            raise ValueError("A modifier is repeated.")


class PointersField(Field):
    """Diagnosis pointers typed as "1" or "1,2,4"; ``data`` is a list of positions."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ",".join(str(p) for p in (self.data or []))

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        items = [p for p in re.split(r"[\s,]+", text) if p]
        if not all(p.isdecimal() for p in items):
            self.data = []
            raise ValueError("Enter diagnosis numbers separated by commas, such as 1 or 1,2.")
        self.data = [int(p) for p in items]


def row_input(field, label: str, extra: dict | None = None):
    """Render an input of a table-row form: tied to ``<prefix>-form`` by the ``form`` attribute,
    labelled for screen readers, and pointing at its error message when it has one."""
    attrs = {"aria-label": label, "form": field.id.rsplit("-", 1)[0] + "-form", **(extra or {})}
    if field.errors:
        attrs.update({"aria-invalid": "true", "aria-describedby": f"{field.id}-error"})
    return field(**attrs)

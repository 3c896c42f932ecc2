"""A money field: dollars typed, integer cents kept."""
from __future__ import annotations

from medoffice.money import format_cents, parse_cents
from wtforms import Field
from wtforms.widgets import TextInput


class MoneyField(Field):
    """An amount typed as dollars ("125", "1,250.00"); ``data`` is integer cents or None when blank."""

    widget = TextInput()

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else format_cents(self.data).replace("$", "")

    def process_formdata(self, valuelist):
        text = (valuelist[0] if valuelist else "").strip()
        self.raw_data = [text] if valuelist else valuelist
        self.data = None
        if text:
            try:
                self.data = parse_cents(text)
            except ValueError as exc:
                raise ValueError(str(exc)[0].upper() + str(exc)[1:] + ".") from None

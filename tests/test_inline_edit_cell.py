"""An inline-edit cell's display state is written in Python (medoffice.web.inline_edit.render_cell): the same
HTML as the template macro it replaced, for every kind of value and state."""
from __future__ import annotations

import datetime as dt

from markupsafe import Markup

from medoffice.web.inline_edit import InlineTarget, cell_renderer, render_cell

OLD_CELL_MACRO = """{% macro cell(t, value, editable=True, focus=False) %}
<span id="{{ t.dom_id }}" class="inline-cell"{% if focus %} data-inline-focus{% endif %}>
  <span class="inline-value">{% if value is none or value == '' %}<span class="empty" aria-label="empty">—</span>{% else %}{{ value }}{% endif %}</span>
  {% if editable %}<button type="button" class="link inline-edit-button" hx-get="{{ t.edit_url }}" hx-target="#{{ t.dom_id }}" hx-swap="outerHTML" aria-label="Edit {{ t.label }}">Edit</button>{% endif %}
</span>
{% endmacro %}"""


def test_the_cell_is_written_as_the_macro_wrote_it(app):
    target = InlineTarget("staff-3-phone", "phone of O'Brien & \"Bob\" <b>", "/staff/3/phone/edit?a=1&b=2",
                          "/staff/3/phone")
    values = [None, "", "570-555-0100", '<script>alert("x")</script> & co', Markup("<em>kept</em>"), 0, 42,
              dt.date(2026, 12, 6)]
    with app.test_request_context("/"):
        macro = app.jinja_env.from_string(OLD_CELL_MACRO + "{{ cell(t, value, editable, focus) }}")
        for value in values:
            for editable in (True, False):
                for focus in (True, False):
                    old = macro.render(t=target, value=value, editable=editable, focus=focus)
                    assert render_cell(target, value, editable=editable, focus=focus) == old, (value, editable, focus)
            assert cell_renderer(editable=False)(target, value) == render_cell(target, value, editable=False)
    assert "&lt;script&gt;" in render_cell(target, values[3]) and "<em>kept</em>" in render_cell(target, values[4])

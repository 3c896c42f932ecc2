"""The ``ui.field`` macro renders in Python (medoffice.web.field_html): its HTML must stay what the
Jinja macro and wtforms' widgets wrote, byte for byte, for every kind of field the forms use."""
from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import (BooleanField, DateField, EmailField, Form, HiddenField, IntegerField, PasswordField, RadioField,
                     SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from medoffice.web.field_html import render_widget

MoneyField = pytest.importorskip("medoffice_billing.views.fields").MoneyField

# core/ui.html's field macro before it moved to Python.
JINJA_FIELD_MACRO = """{% macro field(f, help=None) %}
{% set err_id = f.id ~ '-error' %}
<div class="field{% if f.errors %} has-error{% endif %}">
  {% if f.type == 'BooleanField' %}
  <label>{{ f(**({'aria-describedby': err_id, 'aria-invalid': 'true'} if f.errors else {})) }} {{ f.label.text }}</label>
  {% else %}
  {{ f.label }}{% if f.flags.required %}<span class="req" aria-hidden="true">*</span>{% endif %}
  {{ f(**({'aria-describedby': err_id, 'aria-invalid': 'true'} if f.errors else {})) }}
  {% endif %}
  {% if help or f.description %}<small class="help">{{ help or f.description }}</small>{% endif %}
  {% if f.errors %}<p class="field-error" id="{{ err_id }}">{{ f.errors|join(' ') }}</p>{% endif %}
</div>
{% endmacro %}"""


def _never(form, field):
    raise ValidationError('Always wrong: <b>"quoted"</b> & more.')


class EveryKindForm(Form):
    name = StringField("Name <&\">", validators=[DataRequired(), Length(min=2, max=40)])
    note = StringField("Note", description="Shown on the <receipt>", render_kw={"list": "notes", "autocomplete": "off",
                                                                              "data_kind": "note"})
    count = IntegerField("Visits", validators=[Optional(), NumberRange(min=1, max=480)])
    plain_number = IntegerField("Plain number")
    born = DateField("Born", validators=[Optional()])
    seen = DateField("Seen", description="The visit date", validators=[DataRequired()])
    kind = SelectField("Kind", choices=[SelectChoice("a", "Apple & pear"), SelectChoice("b", 'B "quoted"'),
                                        SelectChoice("", "(none)")])
    rank = SelectField("Rank", coerce=int, choices=[SelectChoice(1, "First"), SelectChoice(2, "Second")],
                       validators=[DataRequired()])
    flag = SelectField("Flag", coerce=lambda v: v in (True, "True"), choices=[SelectChoice(True, "Yes"),
                                                                             SelectChoice(False, "No")])
    styled = SelectField("Styled", choices=[SelectChoice("x", "X", render_kw={"data_tone": "red"}),
                                            SelectChoice("y", "Y")])
    grouped = SelectField("Grouped", choices=[SelectChoice("g1", "One", optgroup="G"), SelectChoice("g2", "Two")])
    many = SelectMultipleField("Many", choices=[SelectChoice("m", "M"), SelectChoice("n", "N")])
    pick = RadioField("Pick", choices=[SelectChoice("p", "P"), SelectChoice("q", "Q")])
    agree = BooleanField("I agree <really>", validators=[DataRequired()])
    extra = BooleanField("Extra", description="Optional")
    body = TextAreaField("Body", validators=[Length(max=500)])
    secret = PasswordField("Password", validators=[DataRequired(), Length(min=8)])
    email = EmailField("Email")
    token = HiddenField("Token")
    fee = MoneyField("Fee", description="Dollars and cents", validators=[DataRequired()])
    always = StringField("Always", validators=[_never])


GOOD = MultiDict({"name": 'O\'Brien "Bob" & <co>', "note": "n", "count": "12", "plain_number": "3",
                  "born": "1980-02-29", "seen": "2024-05-01", "kind": "b", "rank": "2", "flag": "True", "styled": "x",
                  "grouped": "g2", "many": ["m", "n"], "pick": "q", "agree": "y", "extra": "y",
                  "body": "line 1\n<b>line 2</b>", "secret": "hunter2hunter2", "email": "a@b.c", "token": "t&k",
                  "fee": "1,250.00", "always": "x"})
BAD = MultiDict({"name": "x", "count": "0", "born": "yesterday", "seen": "", "rank": "7", "kind": "zz",
                 "body": "y" * 600, "secret": "short", "fee": "12.345", "email": "<e>"})


def _forms():
    """The form unbound with defaults, filled with initial data, and submitted valid-ish and invalid."""
    initial = EveryKindForm(data={"name": "Ann", "count": 5, "born": dt.date(1990, 1, 2), "kind": "a", "rank": 1,
                                  "flag": False, "agree": True, "fee": 12500, "body": "text"})
    good, bad = EveryKindForm(GOOD), EveryKindForm(BAD)
    good.validate()
    bad.validate()
    return [EveryKindForm(), initial, good, bad]


def test_every_field_kind_renders_exactly_as_the_jinja_macro_did(app):
    with app.test_request_context("/"):
        env = app.jinja_env
        old = env.from_string(JINJA_FIELD_MACRO + "{{ field(f, help) }}")
        new = env.from_string('{% import "core/ui.html" as ui %}{{ ui.field(f, help) }}')
        checked = 0
        for form in _forms():
            for f in form:
                for help in (None, "Extra help <i>", Markup("<em>kept</em>")):
                    assert new.render(f=f, help=help) == old.render(f=f, help=help), (f.name, f.errors, help)
                    checked += 1
        assert checked == 4 * len(list(EveryKindForm())) * 3


def test_invalid_fields_point_at_their_error_message(app):
    with app.test_request_context("/"):
        form = EveryKindForm(BAD)
        form.validate()
        html = app.jinja_env.from_string('{% import "core/ui.html" as ui %}{{ ui.field(f) }}').render(f=form.name)
        assert 'aria-describedby="name-error"' in html and 'aria-invalid="true"' in html
        assert '<p class="field-error" id="name-error">' in html and 'class="field has-error"' in html


def test_widgets_render_as_wtforms_renders_them_with_extra_attributes(app):
    with app.test_request_context("/"):
        for form in _forms():
            for f in form:
                for extra in ({}, {"class_": "wide", "data_row": 3, "aria_label": 'Say "hi"', "disabled": True,
                                   "readonly": False, "value": Markup("<kept>")}):
                    assert render_widget(f, **extra) == f(**extra), (f.name, extra)


# core/ui.html's form macro before it moved to Python (its field macro as above).
JINJA_FORM_MACRO = """{% macro form(f, action='', submit='Save', cancel=None, attrs='', extra_hidden={}) %}
<form method="post" action="{{ action }}" class="form" novalidate {{ attrs|safe }}>
  {% if f.csrf_token %}{{ f.csrf_token }}{% endif %}
  {% if f.errors and f.form_errors %}<div class="form-error" role="alert">{{ f.form_errors|join(' ') }}</div>{% endif %}
  {% for x in f if x.type not in ('CSRFTokenField', 'HiddenField', 'SubmitField') %}{{ field(x) }}{% endfor %}
  {% for x in f if x.type == 'HiddenField' %}{{ x }}{% endfor %}
  {% for name, value in extra_hidden.items() %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
  <div class="actions"><button type="submit">{{ submit }}</button>{% if cancel %} <a class="button secondary" href="{{ cancel }}">Cancel</a>{% endif %}</div>
</form>
{% endmacro %}"""


class WholeForm(EveryKindForm):
    def validate(self, extra_validators=None):
        super().validate(extra_validators)
        self.form_errors.append('The <whole> form & "more" is wrong.')
        return False


def test_whole_forms_render_exactly_as_the_jinja_macro_did(app):
    from flask_wtf import FlaskForm

    class Secured(FlaskForm):
        name = StringField("Name", validators=[DataRequired()])
        token = HiddenField("Token")

    calls = [{}, {"action": "/x?a=1&b=<2>", "submit": 'Add "it" & go', "cancel": "/back?a=1&b=2",
                  "attrs": Markup('hx-post="/x" hx-target="#t"'), "extra_hidden": {"next": "/p?q=<1>", "n": 3}},
             {"attrs": 'data-x="1"', "cancel": None, "extra_hidden": {}}]
    with app.test_request_context("/"):
        env = app.jinja_env
        old = env.from_string(JINJA_FIELD_MACRO + JINJA_FORM_MACRO + "{{ form(f, **kw) }}")
        new = env.from_string('{% import "core/ui.html" as ui %}{{ ui.form(f, **kw) }}')
        submitted = WholeForm(BAD)
        submitted.validate()
        secured = Secured(MultiDict({"name": "", "token": "a&b"}), meta={"csrf": True})
        secured.validate()
        forms = [*_forms(), submitted, Secured(meta={"csrf": True}), secured]
        for form in forms:
            for kw in calls:
                assert new.render(f=form, kw=kw) == old.render(f=form, kw=kw), (type(form).__name__, form.errors, kw)
        assert 'name="csrf_token"' in new.render(f=secured, kw={}) and "form-error" in new.render(f=submitted, kw={})

"""Compliance's forms, with their own widgets, come out of core's ``render_form`` (``ui.form``) as the Jinja
form macro wrote them, character for character: with and without CSRF, with field and form errors, hidden
fields, extra hidden inputs and a cancel link; and the state select with its options escaped once gives
wtforms' HTML, whichever state is chosen."""
from __future__ import annotations

import pytest
from flask import render_template_string
from wtforms import HiddenField, SelectField, StringField
from wtforms.widgets import Select

from medoffice.web.field_html import render_form
from medoffice_compliance.views import forms

from test_field_html import JINJA_FIELD_MACRO, JINJA_FORM_MACRO

MACRO = JINJA_FIELD_MACRO + JINJA_FORM_MACRO + (
    "{{ form(f, action=action, submit=submit, cancel=cancel, attrs=attrs, extra_hidden=extra) }}")


class _WithHidden(forms.FlaskForm):
    name = StringField("Name <b>")
    token = HiddenField(default="a&b")
    state = SelectField("State", choices=forms.STATE_SELECT_CHOICES, widget=forms.StateSelect())


@pytest.mark.parametrize("csrf", [False, True])
def test_compliance_forms_render_as_the_form_macro_did(make_app, csrf):
    app = make_app(plugins=["compliance"], csrf=csrf)
    cases = [(forms.RetentionRuleForm, {}), (forms.HoldForm, {}), (forms.NewAssessmentForm, {}),
             (forms.DestructionForm, {}), (_WithHidden, {})]
    with app.test_request_context("/"):
        for form_class, _ in cases:
            for options in ({"action": "/x?a=1&b=2", "submit": "Save <it>", "cancel": None, "attrs": "", "extra": {}},
                            {"action": "/y", "submit": "Go", "cancel": "/back?x=<1>", "attrs": 'data-x="1"',
                             "extra": {"next": "/a&b", "k": 'v"'}}):
                form = form_class(formdata=None)
                expected = render_template_string(MACRO, f=form, **options)
                got = render_form(form, options["action"], options["submit"], options["cancel"],
                                  options["attrs"], options["extra"])
                assert str(got) == expected
                form.validate()  # field errors, and a form error
                form.form_errors.append("Refused <here>.")
                assert str(render_form(form, options["action"], options["submit"], options["cancel"],
                                       options["attrs"], options["extra"])) \
                    == render_template_string(MACRO, f=form, **options)


def test_state_select_is_the_long_select(make_app):
    app = make_app(plugins=["compliance"])
    with app.test_request_context("/"):
        for chosen in (None, "", "NY", "CA", "zz"):
            form = forms.RetentionRuleForm(formdata=None, state=chosen)
            field = form.state
            assert str(field()) == str(forms.LongSelect()(field)) == str(Select()(field))
        field.choices = forms.choices([("a", "A & B"), ("b", "")])  # other options: the plain path
        field.data = "b"
        assert str(field()) == str(Select()(field))


def test_the_program_page_shows_the_staff_options_as_choices_would(make_app):
    from medoffice_compliance.views import program

    app = make_app(plugins=["compliance"])
    training = [{"staff_id": 1, "name": "Ames, Al <x>", "credentials": "MD & co", "latest": None, "due": None,
                 "overdue": True},
                {"staff_id": 2, "name": "Bo, Cy", "credentials": "", "latest": None, "due": None, "overdue": True}]
    pairs = [("1", "Ames, Al <x>, MD & co"), ("2", "Bo, Cy")]
    with app.test_request_context("/"):
        for chosen in (None, "2"):
            _rows, options = program._training_html(training, "%m/%d/%Y")
            shown, checked = forms.TrainingForm(formdata=None), forms.TrainingForm(formdata=None)
            shown.staff_id.option_html = options
            shown.staff_id.data = checked.staff_id.data = chosen
            checked.staff_id.choices = forms.choices(pairs)
            assert str(shown.staff_id()) == str(checked.staff_id()) == str(Select()(checked.staff_id))


def test_the_training_rows_escape_each_name_as_escape_does():
    """The names and credentials are escaped in one call over them all; a text holding the NUL that joins them
    is escaped on its own, so the rows stay the same."""
    from markupsafe import escape
    from medoffice_compliance.views import program

    texts = ["Ames, Al <x>", "MD & co", "", "O'Hara, \"Jo\"", "plain"]
    assert program._escaped(texts) == [str(escape(text)) for text in texts]
    odd = texts + ["a\0<b>"]
    assert program._escaped(odd) == [str(escape(text)) for text in odd]


def test_file_inputs_are_wtforms_file_inputs(make_app):
    from wtforms.widgets import FileInput

    app = make_app(plugins=["compliance"])
    with app.test_request_context("/"):
        for form_class in (forms.DestructionForm, forms.CredentialForm, forms.VerificationForm):
            for field in form_class(formdata=None):
                if isinstance(field.widget, forms.FileInput):
                    for kwargs in ({}, {"class_": "x", "aria-describedby": "e", "aria-invalid": "true"},
                                   {"multiple": True, "accept": ".pdf"}):
                        assert str(field(**kwargs)) == str(FileInput()(field, **kwargs))
        screening = [f for f in forms.__dict__.values() if isinstance(f, type) and issubclass(f, forms.FlaskForm)]
        files = [field for form_class in screening for field in form_class(formdata=None)
                 if isinstance(field.widget, forms.FileInput)]
        assert len(files) == 5 and any(field.flags.required for field in files)
        for field in files:
            assert str(field()) == str(FileInput()(field))

"""HR's forms. Select fields hold ids as text; the views turn them into ids or None."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from medoffice.limits import DateInRange
from medoffice.web.forms import choices
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from .. import rules


class EmploymentForm(FlaskForm):
    """Employment on a staff record."""

    hire_date = DateField("Hire date", validators=[DataRequired("Give the hire date."), DateInRange()])
    end_date = DateField("End date", validators=[Optional(), DateInRange()])
    status = SelectField("Status", choices=choices(rules.STATUSES))
    employment_type = SelectField("Type", choices=choices(rules.TYPES))
    flsa_exempt = BooleanField("Exempt from overtime (FLSA)")
    job_title = StringField("Job title", validators=[Optional(), Length(max=80)])
    department = SelectField("Department", choices=[])
    location = SelectField("Location", choices=[])
    supervisor = SelectField("Supervisor", choices=[])


class PayRateForm(FlaskForm):
    """A new pay rate from a date on."""

    effective_on = DateField("Effective from", validators=[DataRequired("Give the date the rate starts."),
                                                          DateInRange()])
    basis = SelectField("Basis", choices=choices(rules.BASES))
    amount = StringField("Amount (an hour, or a year for salary)", validators=[DataRequired("Give the amount.")])
    reason = StringField("Reason", validators=[Optional(), Length(max=200)])


class ContactForm(FlaskForm):
    """An emergency contact."""

    name = StringField("Name", validators=[DataRequired("Give the contact's name."), Length(max=120)])
    relationship = StringField("Relationship", validators=[Optional(), Length(max=60)])
    phone = StringField("Phone", validators=[DataRequired("Give a phone number."), Length(max=30)])
    email = StringField("E-mail", validators=[Optional(), Email(), Length(max=120)])


class DocumentForm(FlaskForm):
    """A document for the employee's file."""

    kind = SelectField("Kind", choices=choices([(k.key, k.title) for k in rules.DOCUMENT_KINDS]))
    expires_on = DateField("Expires on", validators=[Optional(), DateInRange()])
    note = StringField("Note", validators=[Optional(), Length(max=200)])
    file = FileField("File", validators=[FileRequired("Choose the file.")])


class SensitiveForm(FlaskForm):
    """The sealed fields; a blank field clears its value."""

    ssn = StringField("Social Security number", validators=[Optional(), Length(max=11)])
    date_of_birth = StringField("Date of birth (YYYY-MM-DD)", validators=[Optional(), Length(max=10)])
    bank_routing = StringField("Direct deposit: routing number", validators=[Optional(), Length(max=9)])
    bank_account = StringField("Direct deposit: account number", validators=[Optional(), Length(max=17)])


class RevealForm(FlaskForm):
    """Reveal the sensitive fields (a POST, so the read is deliberate and audited)."""


class RemoveForm(FlaskForm):
    """Remove a document, with the reason."""

    reason = StringField("Reason", validators=[DataRequired("Say why the document is removed."), Length(max=200)])

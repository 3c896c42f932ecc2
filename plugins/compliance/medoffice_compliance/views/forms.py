"""Compliance's forms. Select fields hold ids and keys as text; the views turn them into values."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup, escape
from medoffice.limits import DateInRange
from medoffice.web.field_html import html_attrs
from medoffice.web.forms import choices
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets.core import clean_key

from .. import privacy, program, rules, screening

STATE_CHOICES = [("", "—")] + [(s, s) for s in rules.STATES]


class LongSelect(widgets.Select):
    """wtforms' select, the same HTML, for a long list of plain options (``choices()``'s: no groups, no
    option attributes) written in one pass: the whole active staff or every state cost ~2 us an option
    through a ``Choice`` and an attribute dict each, more than the rest of their form. A field only shown may
    carry its options as ``option_html``, (value, the option's escaped HTML after ``<option ``: 'value="1">Name
    </option>') pairs its page built: no ``SelectChoice`` per option (its ``choices`` are what a submitted form
    is checked against)."""

    def __call__(self, field, **kwargs):
        attrs = {clean_key(k): v for k, v in kwargs.items()}
        attrs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in attrs:
                attrs[name] = flags[name]
        attrs["name"] = field.name
        coerce, data = field.coerce, field.data
        shown = getattr(field, "option_html", None)  # (value, its option's HTML after "<option ") pairs
        if shown is not None and data is None:  # nothing chosen: no option to mark, none to coerce
            options = "".join(f"<option {rest}" for _value, rest in shown)
        elif shown is not None:
            options = "".join(f'<option {"selected " if coerce(value) == data else ""}{rest}' for value, rest in shown)
        else:
            options = self.options(field.choices, coerce, data)
        return Markup(f"<select {html_attrs(attrs)}>{options}</select>")

    def options(self, field_choices, coerce, data) -> str:
        return "".join(f'<option {"selected " if coerce(choice.value) == data else ""}'
                       f'value="{escape(choice.value)}">{escape(choice.label or choice.value)}</option>'
                       for choice in field_choices)


class FileInput(widgets.FileInput):
    """wtforms' file input, the same HTML, its attributes written by core's ``html_attrs``: wtforms formats each
    through ``Markup.format``, and core's fast field rendering hands file inputs back to wtforms (~40 us of the
    records page's destruction form)."""

    def __call__(self, field, **kwargs):
        attrs = {clean_key(k): v for k, v in kwargs.items()}
        attrs["value"] = False  # a browser ignores a file input's value
        if self.multiple:
            attrs["multiple"] = True
        attrs.setdefault("id", field.id)
        attrs.setdefault("type", self.input_type)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in attrs:
                value = flags[name]
                attrs[name] = value() if callable(value) else value
        attrs["name"] = field.name
        return Markup(f"<input {html_attrs(attrs)}>")


STATE_SELECT_CHOICES = choices(STATE_CHOICES)


class StateSelect(LongSelect):
    """LongSelect for a field whose options are ``STATE_SELECT_CHOICES`` (the same SelectChoice objects: wtforms
    copies the list, not its items), their HTML escaped once per process, not two escapes an option a page."""

    _escaped = [(choice.value, f'value="{escape(choice.value)}">{escape(choice.label or choice.value)}</option>')
                for choice in STATE_SELECT_CHOICES]

    def options(self, field_choices, coerce, data) -> str:
        if len(field_choices) != len(STATE_SELECT_CHOICES) or any(
                mine is not theirs for mine, theirs in zip(field_choices, STATE_SELECT_CHOICES)):
            return super().options(field_choices, coerce, data)
        return "".join(f'<option {"selected " if coerce(value) == data else ""}{rest}' for value, rest in self._escaped)


class CredentialForm(FlaskForm):
    """A credential of a provider or of the practice."""

    kind = SelectField("Kind", choices=choices([(k.key, k.title) for k in rules.CREDENTIAL_KINDS]))
    staff_id = SelectField("Provider", choices=[])
    state = SelectField("State", choices=choices(STATE_CHOICES))
    number = StringField("Number", validators=[Optional(), Length(max=60)])
    issuer = StringField("Issued by / carrier / payer", validators=[Optional(), Length(max=120)])
    payer_id = StringField("Payer identifier (enrollments)", validators=[Optional(), Length(max=40)])
    status = SelectField("Enrollment status", choices=choices([("", "—")] + list(rules.ENROLLMENT_STATUSES)))
    effective_on = DateField("Effective / last attested", validators=[Optional(), DateInRange()])
    expires_on = DateField("Expires / re-credentialing", validators=[Optional(), DateInRange()])
    limit_per_claim = StringField("Malpractice limit per claim", validators=[Optional(), Length(max=20)])
    limit_aggregate = StringField("Malpractice aggregate limit", validators=[Optional(), Length(max=20)])
    note = StringField("Note", validators=[Optional(), Length(max=200)])
    document = FileField("Document (scan or PDF)", widget=FileInput())


class VerificationForm(FlaskForm):
    """A primary-source verification."""

    verified_on = DateField("Verified on", validators=[DataRequired("Give the date."), DateInRange()])
    source = StringField("Where (primary source)", validators=[DataRequired("Say where."), Length(max=200)])
    result = StringField("What it showed", validators=[Optional(), Length(max=200)])
    evidence = FileField("Evidence (printout or screenshot)", widget=FileInput())


class ReasonForm(FlaskForm):
    """A reason (removing, extending)."""

    reason = StringField("Reason", validators=[DataRequired("Give the reason."), Length(max=300)])


class PrivacyRequestForm(FlaskForm):
    """A privacy-rights request as received."""

    patient_id = StringField("Patient (record number)", validators=[DataRequired("Choose the patient.")])
    kind = SelectField("Kind", choices=choices([(k.key, k.title) for k in rules.REQUEST_KINDS]))
    received_on = DateField("Received on", validators=[DataRequired("Give the date received."), DateInRange()])
    identity_verified = BooleanField("Identity verified")
    access_format = SelectField("Form and format (access)", choices=choices([("", "—")] + list(rules.ACCESS_FORMATS)))
    fee = StringField("Fee (access copies)", validators=[Optional(), Length(max=12)])
    details = TextAreaField("What is asked", validators=[Optional(), Length(max=4000)])


class DecisionForm(FlaskForm):
    """The answer to a privacy request."""

    decision = SelectField("Decision", choices=choices(privacy.DECISIONS))
    reason = TextAreaField("Reason or details (told to the patient)", validators=[Optional(), Length(max=2000)])


class DisclosureForm(FlaskForm):
    """A disclosure for the accounting."""

    patient_id = StringField("Patient (record number)", validators=[DataRequired("Choose the patient.")])
    disclosed_on = DateField("Disclosed on", validators=[DataRequired("Give the date."), DateInRange()])
    recipient = StringField("To whom", validators=[DataRequired("Say to whom."), Length(max=200)])
    description = StringField("What", validators=[DataRequired("Say what."), Length(max=300)])
    purpose = StringField("Purpose", validators=[DataRequired("Say why."), Length(max=300)])


class IncidentForm(FlaskForm):
    """An incident as reported."""

    title = StringField("Title (no patient names)", validators=[DataRequired("Give a title."), Length(max=200)])
    description = TextAreaField("What happened", validators=[Optional(), Length(max=8000)])
    occurred_on = DateField("Occurred on", validators=[Optional(), DateInRange()])
    discovered_on = DateField("Discovered on", validators=[DataRequired("Give the discovery date."), DateInRange()])
    reported_by = StringField("Reported by", validators=[Optional(), Length(max=150)])
    phi_involved = BooleanField("PHI involved", default=True)
    affected = TextAreaField("People affected by state (\"CA 120, NV 3\")", validators=[Optional(), Length(max=2000)])


class AssessmentForm(FlaskForm):
    """The four-factor risk assessment and its decision."""

    factor_nature = TextAreaField(rules.FACTORS[0][1], validators=[Optional(), Length(max=4000)])
    factor_recipient = TextAreaField(rules.FACTORS[1][1], validators=[Optional(), Length(max=4000)])
    factor_acquired = TextAreaField(rules.FACTORS[2][1], validators=[Optional(), Length(max=4000)])
    factor_mitigation = TextAreaField(rules.FACTORS[3][1], validators=[Optional(), Length(max=4000)])
    decision = SelectField("Decision", choices=choices(rules.DECISIONS))
    decision_reasoning = TextAreaField("Reasoning", validators=[Optional(), Length(max=4000)])


class PatientsForm(FlaskForm):
    """Patients an incident affects."""

    patient_ids = StringField("Patient record numbers, separated by commas",
                              validators=[DataRequired("Give at least one."), Length(max=4000)])


class NoticeForm(FlaskForm):
    """The wording of the breach notice letters."""

    what_happened = TextAreaField("What happened", validators=[DataRequired("Say what happened."), Length(max=2000)])
    information = StringField("Information involved", validators=[DataRequired("Say what."), Length(max=300)])
    our_steps = TextAreaField("What we are doing", validators=[DataRequired("Say what."), Length(max=2000)])
    your_steps = TextAreaField("What they can do", validators=[DataRequired("Say what."), Length(max=2000)])


class NoticeDateForm(FlaskForm):
    """HHS or media notified on a date."""

    notice = SelectField("Notice", choices=choices((("hhs", "HHS"), ("media", "Media"))))
    on = DateField("Sent on", validators=[DataRequired("Give the date."), DateInRange()])


class TrainingForm(FlaskForm):
    """A completed training."""

    staff_id = SelectField("Staff member", choices=[], widget=LongSelect())
    course = StringField("Course", validators=[DataRequired("Name the course."), Length(max=120)],
                         default="HIPAA privacy and security")
    completed_on = DateField("Completed on", validators=[DataRequired("Give the date."), DateInRange()])


class NewAssessmentForm(FlaskForm):
    """A new security risk assessment."""

    title = StringField("Title", validators=[DataRequired("Name it."), Length(max=120)])
    started_on = DateField("Started on", validators=[DataRequired("Give the date."), DateInRange()])


class RiskItemForm(FlaskForm):
    """One answered question of the assessment."""

    answer = SelectField("Answer", choices=choices(program.ANSWERS))
    likelihood = SelectField("Likelihood", choices=choices([("0", "—")] + [(str(v), t) for v, t in program.LEVELS]))
    impact = SelectField("Impact", choices=choices([("0", "—")] + [(str(v), t) for v, t in program.LEVELS]))
    note = StringField("Note", validators=[Optional(), Length(max=1000)])
    remediation = StringField("Remediation task", validators=[Optional(), Length(max=300)])
    owner = SelectField("Owner", choices=[])
    due_on = DateField("Due on", validators=[Optional(), DateInRange()])


class RemediatedForm(FlaskForm):
    """A remediation task done."""

    done_on = DateField("Done on", validators=[DataRequired("Give the date."), DateInRange()])
    note = StringField("What was done", validators=[DataRequired("Say what was done."), Length(max=300)])


class BusinessAssociateForm(FlaskForm):
    """A business associate and its agreement."""

    name = StringField("Vendor", validators=[DataRequired("Give the vendor's name."), Length(max=200)])
    services = StringField("Services", validators=[Optional(), Length(max=300)])
    contact = StringField("Contact", validators=[Optional(), Length(max=200)])
    npi = StringField("NPI (if any)", validators=[Optional(), Length(max=10)])
    signed_on = DateField("BAA signed on", validators=[Optional(), DateInRange()])
    review_on = DateField("Review on", validators=[Optional(), DateInRange()])
    terminated_on = DateField("Terminated on", validators=[Optional(), DateInRange()])
    return_destroy_confirmed_on = DateField("Return or destruction confirmed on", validators=[Optional(), DateInRange()])
    baa = FileField("Signed BAA (scan or PDF)", widget=FileInput())


class ImportForm(FlaskForm):
    """An exclusion list file."""

    source = SelectField("List", choices=choices(list(screening.SOURCES.items())))
    list_date = DateField("The list's date", validators=[DataRequired("Give the list's date."), DateInRange()])
    file = FileField("File (CSV)", validators=[FileRequired("Choose the file.")], widget=FileInput())


class ReviewForm(FlaskForm):
    """Clear or confirm a possible match."""

    decision = SelectField("Decision", choices=choices((("cleared", "Clear: not the same person"),
                                                       ("confirmed", "Confirm: excluded"))))
    note = StringField("How you decided", validators=[DataRequired("Say how you decided."), Length(max=300)])


class RunForm(FlaskForm):
    """Screen now (a POST, so the run is deliberate)."""


class RetentionRuleForm(FlaskForm):
    """A retention rule for a record type in a state."""

    record_type = StringField("Type of record", default="medical_record",
                              validators=[DataRequired("Name the type of record."), Length(max=60)])
    state = SelectField("State (none: the default)", choices=STATE_SELECT_CHOICES, widget=StateSelect())
    adult_years = StringField("Adults: years after the last visit", validators=[DataRequired("Give the years.")])
    majority_age = StringField("Minors: age of majority", default="18", validators=[DataRequired("Give the age.")])
    minor_years = StringField("Minors: years after majority", default="0", validators=[DataRequired("Give the years.")])
    note = StringField("Source (statute)", validators=[Optional(), Length(max=200)])


class HoldForm(FlaskForm):
    """A legal hold on a patient's records."""

    patient_id = StringField("Patient (record number)", validators=[DataRequired("Choose the patient.")])
    reason = StringField("Reason", validators=[DataRequired("Give the reason."), Length(max=300)])
    placed_on = DateField("Placed on", validators=[DataRequired("Give the date."), DateInRange()])


class DestructionForm(FlaskForm):
    """A destruction of records."""

    patient_id = StringField("Patient (record number)", validators=[DataRequired("Choose the patient.")])
    record_type = StringField("Type of record", default="medical_record",
                              validators=[DataRequired("Name the type."), Length(max=60)])
    destroyed_on = DateField("Destroyed on", validators=[DataRequired("Give the date."), DateInRange()])
    method = StringField("Method", validators=[DataRequired("Give the method."), Length(max=120)])
    witness = StringField("Witness", validators=[DataRequired("Name the witness."), Length(max=150)])
    certificate = FileField("Certificate of destruction", widget=FileInput())

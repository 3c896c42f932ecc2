"""The patient directory: search, register, view (audited) and edit demographics."""
from __future__ import annotations

from flask import current_app, redirect, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from .. import audit
from ..access import requires
from ..db import transaction, utcnow
from ..models import Counter, Patient
from ..settings import today
from . import core_blueprint as bp
from .shell import notify, render_page
from .forms import choices, form_values
from .tables import TableColumn, paginate

SEX_CHOICES = [("F", "Female"), ("M", "Male"), ("U", "Unknown")]
CONTACT_CHOICES = [("phone", "Phone"), ("text", "Text message"), ("email", "E-mail"), ("mail", "Mail"),
                   ("none", "Do not contact")]
PHONE = Regexp(r"^[0-9()+.\- ]{7,20}$", message="Enter a phone number such as 555-201-3344.")


class PatientForm(FlaskForm):
    """Demographics and contact preferences."""

    first_name = StringField("First name", validators=[DataRequired(), Length(max=60)])
    middle_name = StringField("Middle name", validators=[Optional(), Length(max=60)])
    last_name = StringField("Last name", validators=[DataRequired(), Length(max=60)])
    date_of_birth = DateField("Date of birth", validators=[DataRequired(message="Enter the date of birth (YYYY-MM-DD).")])
    sex = SelectField("Sex", choices=choices(SEX_CHOICES), default="U")
    address1 = StringField("Street address", validators=[Optional(), Length(max=120)])
    address2 = StringField("Address line 2", validators=[Optional(), Length(max=120)])
    city = StringField("City", validators=[Optional(), Length(max=80)])
    state = StringField("State", validators=[Optional(), Regexp(r"^[A-Za-z]{2}$", message="Use the two-letter state code.")])
    zip = StringField("ZIP code", validators=[Optional(), Regexp(r"^\d{5}(-?\d{4})?$", message="Use 5 or 9 digits.")])
    phone = StringField("Phone", validators=[Optional(), PHONE])
    mobile = StringField("Mobile", validators=[Optional(), PHONE])
    email = EmailField("E-mail", validators=[Optional(), Email(message="Enter an e-mail address such as name@example.com."), Length(max=120)])
    preferred_contact = SelectField("Preferred contact", choices=choices(CONTACT_CHOICES), default="phone")
    ok_to_text = BooleanField("OK to send text messages")
    ok_to_email = BooleanField("OK to send e-mail")
    marketing_opt_out = BooleanField("No marketing messages")

    def validate_date_of_birth(self, field):
        """No future birthdays and nothing before 1900."""
        if field.data and (field.data > today() or field.data.year < 1900):
            raise ValidationError("The date of birth must be between 1900 and today.")


def next_account_number() -> str:
    """The next patient account number from the database counter (inside a transaction)."""
    Counter.insert(name="core.patient_account", value=0).on_conflict_ignore().execute()
    Counter.update(value=Counter.value + 1).where(Counter.name == "core.patient_account").execute()
    value = Counter.get(Counter.name == "core.patient_account").value
    return f"P{value:07d}"


@bp.route("/patients")
@requires("core.patients.view")
def patients():
    """Search the patient list by name, account number or date of birth."""
    def search(text):
        terms = [t for t in text.replace(",", " ").split() if t]
        expr = None
        for term in terms:
            like = f"%{term}%"
            part = (Patient.last_name ** like) | (Patient.first_name ** like) | (Patient.account_number ** like)
            if len(term) == 10 and term[4] == "-":
                part = part | (Patient.date_of_birth == term)
            expr = part if expr is None else expr & part
        return expr

    table = paginate(
        Patient.select().where(Patient.active == True),  # noqa: E712
        id="patients-table",
        columns=[
            TableColumn("name", "Name", sort=Patient.last_name, value=lambda p: p.display_name,
                        link=lambda p: url_for("core.patient", patient_id=p.id)),
            TableColumn("account_number", "Account", sort=Patient.account_number),
            TableColumn("date_of_birth", "Date of birth", sort=Patient.date_of_birth),
            TableColumn("phone", "Phone", value=lambda p: p.mobile or p.phone),
        ],
        search=search, default_sort="name", endpoint="core.patients",
        noun="patient", noun_plural="patients", search_placeholder="Name, account or YYYY-MM-DD",
        empty_message="No patients match. Register a new patient, or load the demo data.",
    )
    audit.record_list("patient.list", (p.id for p in table.rows))
    return render_page("core/patients.html", title="Patients", table=table,
                       breadcrumbs=[("Patients", None)])


@bp.route("/patients/new", methods=["GET", "POST"])
@requires("core.patients.edit")
def patient_new():
    """Register a patient."""
    form = PatientForm()
    if form.validate_on_submit():
        values = form_values(form)
        values["state"] = (values["state"] or "").upper()
        with transaction():
            patient = Patient.create(account_number=next_account_number(), **values)
            audit.record("patient.create", "patient", patient.id, patient_id=patient.id)
        notify(f"Registered {patient.display_name} ({patient.account_number}).")
        return redirect(url_for("core.patient", patient_id=patient.id))
    return render_page("core/patient_form.html", title="Register a patient", form=form,
                       breadcrumbs=[("Patients", url_for("core.patients")), ("Register", None)]), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>")
@requires("core.patients.view")
def patient(patient_id: int):
    """A patient's page: demographics plus the panels of enabled plugins. The view is audited."""
    record = Patient.get_or_none(Patient.id == patient_id)
    if record is None:
        return render_page("core/error.html", title="Patient not found", code=404,
                           hint="The patient does not exist.", detail="", permission=None), 404
    audit.record_read("patient.view", "patient", record.id, patient_id=record.id)
    host = current_app.extensions["medoffice"].host
    panels = [p for p in host.call("medoffice_patient_panels")]
    return render_page("core/patient.html", title=record.display_name, patient=record, panels=panels,
                       breadcrumbs=[("Patients", url_for("core.patients")), (record.display_name, None)])


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@requires("core.patients.edit")
def patient_edit(patient_id: int):
    """Edit demographics; the audit entry keeps the fields' before and after values' names."""
    record = Patient.get_or_none(Patient.id == patient_id)
    if record is None:
        return redirect(url_for("core.patients"))
    form = PatientForm(obj=record)
    if form.validate_on_submit():
        values = form_values(form)
        values["state"] = (values["state"] or "").upper()
        changed = sorted(f for f, v in values.items() if getattr(record, f) != v)
        with transaction():
            Patient.update(updated_at=utcnow(), **values).where(Patient.id == record.id).execute()
            audit.record("patient.update", "patient", record.id, patient_id=record.id,
                         detail={"fields": changed})
        notify("Saved." if changed else "Nothing changed.")
        return redirect(url_for("core.patient", patient_id=record.id))
    return render_page("core/patient_form.html", title=f"Edit {record.display_name}", form=form, patient=record,
                       breadcrumbs=[("Patients", url_for("core.patients")),
                                    (record.display_name, url_for("core.patient", patient_id=record.id)),
                                    ("Edit", None)]), (422 if form.errors else 200)

"""The patient directory: search, register, view (audited) and edit demographics."""
from __future__ import annotations


from flask import Response, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from .. import audit, dates
from ..auth.access import requires
from ..data_versions import PATIENTS_KEY
from ..db import transaction, utcnow
from ..messages import consent
from ..models import Counter, Patient
from ..plain import PlainSelect
from ..patient_duplicates import possible_duplicates
from ..patient_search import exact_account, search_expression
from ..patients import load_for_display
from ..settings import today
from . import core_blueprint as bp
from .shell import notify, render_page
from .forms import choices, form_values
from .tables import TableColumn, paginate, url_template

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

    def validate_date_of_birth(self, field):
        """No future birthdays and nothing before 1900."""
        if field.data and (field.data > today() or field.data.year < 1900):
            raise ValidationError("The date of birth must be between 1900 and today.")


class RegisterPatientForm(PatientForm):
    """Registration also asks what the patient agrees to be contacted about; the answers go to the
    consent register (later changes are made on the patient's Contact consent card)."""

    text_ok = BooleanField("OK to text about appointments and recalls")
    email_ok = BooleanField("OK to e-mail about appointments, recalls and bills")
    marketing_ok = BooleanField("OK to send news and offers (marketing)")

    CONSENTS = {
        "text_ok": [("text", "appointments_recalls")],
        "email_ok": [("email", "appointments_recalls"), ("email", "billing")],
        "marketing_ok": [("email", "marketing"), ("post", "marketing")],
    }

    def consents(self) -> list[tuple[str, str]]:
        """The (channel, purpose) pairs the patient agreed to."""
        return [pair for name, pairs in self.CONSENTS.items() if self[name].data for pair in pairs]


def next_account_number() -> str:
    """The next patient account number from the database counter (inside a transaction)."""
    Counter.insert(name="core.patient_account", value=0).on_conflict_ignore().execute()
    Counter.update(value=Counter.value + 1).where(Counter.name == "core.patient_account").execute()
    value = Counter.get(Counter.name == "core.patient_account").value
    return f"P{value:07d}"


_LIST_COLUMNS = (Patient.id, Patient.last_name, Patient.first_name, Patient.account_number, Patient.date_of_birth,
                 Patient.phone, Patient.mobile)


@bp.route("/patients")
@requires("core.patients.view")
def patients():
    """Search the patient list by name, account number, phone or date of birth; an exact account
    number opens that patient."""
    wanted = exact_account(request.args.get("q") or "")
    if wanted is not None:
        target = url_for("core.patient", patient_id=wanted.id)
        if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
            # The type-ahead box: tell htmx to load the patient's page as a navigation.
            return Response(status=200, headers={"HX-Location": target})
        return redirect(target)

    patient_url = url_template("core.patient", "patient_id")
    table = paginate(
        PlainSelect(Patient, _LIST_COLUMNS).where(Patient.active == True),  # noqa: E712
        id="patients-table",
        columns=[
            TableColumn("name", "Name", sort=Patient.last_name, value=lambda p: f"{p.last_name}, {p.first_name}",
                        link=lambda p: patient_url(p.id)),
            TableColumn("account_number", "Account", sort=Patient.account_number),
            TableColumn("date_of_birth", "Date of birth", sort=Patient.date_of_birth, kind="date"),
            TableColumn("phone", "Phone", value=lambda p: p.mobile or p.phone),
        ],
        search=search_expression, default_sort="name", endpoint="core.patients",
        noun="patient", noun_plural="patients", search_placeholder=f"Name, account, phone or {dates.hint()}",
        empty_message="No patients match. Register a new patient, or load the demo data.",
        key=("core.patients",), kept_by=PATIENTS_KEY,
    )
    audit.record_list("patient.list", (p.id for p in table.rows))
    return render_page("core/patients.html", title="Patients", table=table,
                       breadcrumbs=[("Patients", None)])


@bp.route("/patients/new", methods=["GET", "POST"])
@requires("core.patients.edit")
def patient_new():
    """Register a patient."""
    form = RegisterPatientForm()
    duplicates = []
    if form.validate_on_submit() and not request.form.get("create_anyway"):
        duplicates = possible_duplicates(form.first_name.data, form.last_name.data, form.date_of_birth.data,
                                         (form.phone.data, form.mobile.data))
        if duplicates:
            audit.record_list("patient.duplicates.list", (c.patient.id for c in duplicates))
    if form.validate_on_submit() and not duplicates:
        values = {k: v for k, v in form_values(form).items() if k not in RegisterPatientForm.CONSENTS}
        values["state"] = (values["state"] or "").upper()
        with transaction():
            patient = Patient.create(account_number=next_account_number(), **values)
            audit.record("patient.create", "patient", patient.id, patient_id=patient.id)
            for channel, purpose in form.consents():
                consent.record(patient.id, channel, purpose, "granted", "in_person", by=current_user.username)
        notify(f"Registered {patient.display_name} ({patient.account_number}).")
        return redirect(url_for("core.patient", patient_id=patient.id))
    return render_page("core/patient_form.html", title="Register a patient", form=form, duplicates=duplicates,
                       breadcrumbs=[("Patients", url_for("core.patients")), ("Register", None)]), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>")
@requires("core.patients.view")
def patient(patient_id: int):
    """A patient's page: demographics plus the panels of enabled plugins. The view is audited."""
    record = load_for_display(patient_id, "patient.view")
    host = current_app.extensions["medoffice"].host
    panels = [p for p in host.call("medoffice_patient_panels")]
    return render_page("core/patient.html", title=record.display_name, patient=record, panels=panels,
                       breadcrumbs=[("Patients", url_for("core.patients")), (record.display_name, None)])


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@requires("core.patients.edit")
def patient_edit(patient_id: int):
    """Edit demographics (the form's view is an audited read); the change's audit entry names the changed fields."""
    record = load_for_display(patient_id, "patient.edit.view")
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

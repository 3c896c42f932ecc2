"""A patient's insurance and guarantor, and the "Insurance and balance" panel on the patient page."""
from __future__ import annotations

from flask import redirect, url_for
from flask_wtf import FlaskForm
from medoffice.auth import requires
from medoffice.models import Patient
from medoffice.patients import load_for_display, load_record_for_display
from medoffice.settings import today
from medoffice.web.forms import choices, form_values
from medoffice.web.shell import notify, render_page
from peewee import fn
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from ..claims import STATE_LABELS
from ..eligibility import desk_view
from ..coverage import COVERAGE_FIELDS, RANKS, RELATIONSHIPS, CoverageError, account, policies, save_coverage, save_guarantor
from ..models import Claim, Coverage, LineTransaction, Payer
from ..x12.claim837 import MEDICARE_SECONDARY_TYPES
from . import bp
from .fields import MoneyField

STATE = Regexp(r"^[A-Za-z]{2}$", message="Use the two-letter state code.")
ZIP = Regexp(r"^\d{5}(-?\d{4})?$", message="Use 5 or 9 digits.")


class CoverageForm(FlaskForm):
    """One insurance policy."""

    payer = SelectField("Payer", coerce=int, validators=[DataRequired(message="Choose the payer.")])
    rank = SelectField("Order", coerce=int, choices=choices(RANKS.items()), default=1)
    member_id = StringField("Member id", validators=[DataRequired(), Length(max=40)])
    group_number = StringField("Group number", validators=[Optional(), Length(max=40)])
    plan_name = StringField("Plan name", validators=[Optional(), Length(max=80)])
    effective_date = DateField("Effective date", validators=[DataRequired(message="Enter the date (YYYY-MM-DD).")])
    end_date = DateField("End date", validators=[Optional()], description="Leave blank while the policy is in force.")
    copay = MoneyField("Copay", validators=[Optional()])
    # The service names a bad code in words; the field's own "Not a valid choice" would not.
    msp_type = SelectField("Medicare Secondary Payer type",
                           choices=choices([("", "None: not a Medicare policy that pays second"),
                                            *((code, f"{code} {label}") for code, label in MEDICARE_SECONDARY_TYPES.items())]),
                           default="", validate_choice=False,
                           description="Only for a Medicare policy that is secondary or tertiary: why the other "
                                       "insurance pays first. Medicare rejects secondary claims without it.")
    relationship = SelectField("Patient's relationship to the subscriber", choices=choices(RELATIONSHIPS.items()),
                               default="18")
    subscriber_first_name = StringField("Subscriber first name", validators=[Optional(), Length(max=60)])
    subscriber_last_name = StringField("Subscriber last name", validators=[Optional(), Length(max=60)])
    subscriber_date_of_birth = DateField("Subscriber date of birth", validators=[Optional()])
    subscriber_sex = SelectField("Subscriber sex", choices=choices([("F", "Female"), ("M", "Male"), ("U", "Unknown")]), default="U")
    subscriber_address1 = StringField("Subscriber street address", validators=[Optional(), Length(max=120)])
    subscriber_address2 = StringField("Subscriber address line 2", validators=[Optional(), Length(max=120)])
    subscriber_city = StringField("Subscriber city", validators=[Optional(), Length(max=80)])
    subscriber_state = StringField("Subscriber state", validators=[Optional(), STATE])
    subscriber_zip = StringField("Subscriber ZIP code", validators=[Optional(), ZIP])


class GuarantorForm(FlaskForm):
    """Who is responsible for the patient's balance."""

    guarantor_relationship = SelectField("Guarantor", choices=choices([("18", "The patient"), *[
        (k, v) for k, v in RELATIONSHIPS.items() if k != "18"]]), default="18")
    guarantor_first_name = StringField("First name", validators=[Optional(), Length(max=60)])
    guarantor_last_name = StringField("Last name", validators=[Optional(), Length(max=60)])
    guarantor_address1 = StringField("Street address", validators=[Optional(), Length(max=120)])
    guarantor_address2 = StringField("Address line 2", validators=[Optional(), Length(max=120)])
    guarantor_city = StringField("City", validators=[Optional(), Length(max=80)])
    guarantor_state = StringField("State", validators=[Optional(), STATE])
    guarantor_zip = StringField("ZIP code", validators=[Optional(), ZIP])
    guarantor_phone = StringField("Phone", validators=[Optional(), Length(max=20)])
    guarantor_email = StringField("E-mail", validators=[Optional(), Email(message="Enter an e-mail address."),
                                                        Length(max=120)])


def _payer_choices(current: int | None = None) -> list:
    query = Payer.select().where((Payer.active == True) | (Payer.id == (current or 0))).order_by(Payer.name)  # noqa: E712
    return choices([(0, "Choose a payer")] + [(p.id, p.name) for p in query])


def _crumbs(patient: Patient, *tail):
    return [("Patients", url_for("core.patients")),
            (patient.display_name, url_for("core.patient", patient_id=patient.id)), *tail]


@bp.route("/patients/<int:patient_id>/insurance")
@requires("billing.view")
def insurance(patient_id: int):
    """A patient's policies (current first) and guarantor. The view is audited."""
    patient = load_for_display(patient_id, "billing.insurance.view")
    return render_page("billing/insurance.html", title=f"Insurance: {patient.display_name}", patient=patient,
                       policies=policies(patient.id), account=account(patient.id), today=today(),
                       eligibility=desk_view(patient.id, today()),
                       relationships=RELATIONSHIPS,
                       breadcrumbs=_crumbs(patient, ("Insurance", None)))


def _coverage_values(form: CoverageForm) -> dict:
    values = form_values(form)
    values["payer"] = Payer.get_by_id(values["payer"])
    values["copay_cents"] = values.pop("copay") or 0
    values["subscriber_state"] = values["subscriber_state"].upper()
    return values


def _coverage_form_page(form, patient, title, coverage=None):
    return render_page("billing/coverage_form.html", title=title, form=form, patient=patient, coverage=coverage,
                       breadcrumbs=_crumbs(patient, ("Insurance", url_for("billing.insurance", patient_id=patient.id)),
                                           (title, None))), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/insurance/new", methods=["GET", "POST"])
@requires("billing.coverage.edit")
def coverage_new(patient_id: int):
    """Add a policy for a patient."""
    patient = load_for_display(patient_id, "billing.coverage.new.view")
    form = CoverageForm()
    form.payer.choices = _payer_choices()
    if form.validate_on_submit():
        try:
            saved = save_coverage(patient.id, _coverage_values(form))
        except CoverageError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            notify(f"Added {saved.rank_label.lower()} coverage with {saved.payer.name}.")
            return redirect(url_for("billing.insurance", patient_id=patient.id))
    return _coverage_form_page(form, patient, "Add a policy")


@bp.route("/insurance/<int:coverage_id>/edit", methods=["GET", "POST"])
@requires("billing.coverage.edit")
def coverage_edit(coverage_id: int):
    """Edit a policy (end it by entering its end date)."""
    coverage, patient = load_record_for_display(Coverage, coverage_id, "billing.coverage.edit.view")
    data = {name: getattr(coverage, name) for name in COVERAGE_FIELDS if name != "payer"}
    form = CoverageForm(data={**data, "payer": coverage.payer_id, "copay": coverage.copay_cents})
    form.payer.choices = _payer_choices(coverage.payer_id)
    if form.validate_on_submit():
        try:
            save_coverage(patient.id, _coverage_values(form), coverage)
        except CoverageError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            notify("Saved the policy.")
            return redirect(url_for("billing.insurance", patient_id=patient.id))
    return _coverage_form_page(form, patient, f"Edit {coverage.rank_label.lower()} policy", coverage)


@bp.route("/patients/<int:patient_id>/guarantor", methods=["GET", "POST"])
@requires("billing.coverage.edit")
def guarantor(patient_id: int):
    """Set who guarantees the patient's balance."""
    patient = load_for_display(patient_id, "billing.guarantor.view")
    form = GuarantorForm(obj=account(patient.id))
    if form.validate_on_submit():
        values = form_values(form)
        values["guarantor_state"] = values["guarantor_state"].upper()
        try:
            save_guarantor(patient.id, values)
        except CoverageError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            notify("Saved the guarantor.")
            return redirect(url_for("billing.insurance", patient_id=patient.id))
    return render_page("billing/guarantor_form.html", title="Guarantor", form=form, patient=patient,
                       breadcrumbs=_crumbs(patient, ("Insurance", url_for("billing.insurance", patient_id=patient.id)),
                                           ("Guarantor", None))), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/panel")
@requires("billing.view")
def patient_panel(patient_id: int):
    """The patient page's panel: policies in force, open claims and balances (sums in SQL). Audited."""
    patient = load_for_display(patient_id, "billing.account.view")
    day = today()
    current = [c for c in policies(patient.id) if c.covers(day)]
    open_claims = list(Claim.select(Claim, Payer).join(Payer)
                       .where((Claim.patient_id == patient.id) & Claim.status.not_in(("paid", "closed")))
                       .order_by(Claim.service_date.desc()).limit(10))
    balances = dict(LineTransaction.select(LineTransaction.party, fn.SUM(LineTransaction.amount_cents))
                    .where(LineTransaction.patient_id == patient.id).group_by(LineTransaction.party).tuples())
    return render_page("billing/_patient_panel.html", title="Insurance and balance", patient=patient,
                       current=current, eligibility=desk_view(patient.id, day), open_claims=open_claims, state_labels=STATE_LABELS,
                       insurance_balance=balances.get("insurance", 0), patient_balance=balances.get("patient", 0))

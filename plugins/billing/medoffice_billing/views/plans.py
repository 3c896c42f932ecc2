"""Payment plans: the list (active, missed, paid off, cancelled), setting one up, its installments, cancelling."""
from __future__ import annotations

from flask import redirect, request, url_for
from flask_wtf import FlaskForm
from medoffice import settings
from medoffice.dates import format_date
from medoffice.auth import requires
from medoffice.data_versions import PATIENTS_KEY
from medoffice.models import Patient
from medoffice.money import format_cents
from medoffice.patients import load_for_display, load_record_for_display
from medoffice.plain import PlainSelect
from medoffice.web.forms import choices
from medoffice.web.shell import notify, render_page
from medoffice.prepared import slot
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from .. import ledger, plans
from ..models import PLANS, PaymentPlan
from ..plans import FREQUENCIES, STATUS_LABELS, PlanError
from . import bp
from .fields import MoneyField
from .ledger import attach_patients, audit_list, needs_patient_join, patient_crumbs, patient_search
from .payments import ReasonForm, act_with_reason

FILTERS = {"active": "Active", "missed": "Missed a payment", "completed": "Paid off", "cancelled": "Cancelled",
           "all": "All"}


class PlanForm(FlaskForm):
    """A new payment plan."""

    total = MoneyField("Amount the plan covers", validators=[InputRequired(message="Enter the amount.")])
    installment = MoneyField("Each installment", validators=[InputRequired(message="Enter the installment.")])
    frequency = SelectField("How often", choices=choices(FREQUENCIES.items()), default="monthly")
    first_due = DateField("First payment due", validators=[InputRequired(message="Enter the date (YYYY-MM-DD).")])
    note = StringField("Note", validators=[Optional(), Length(max=200)])


# what the list shows of a plan (the patient's name and account come from attach_patients)
_LIST_COLUMNS = (PaymentPlan.id, PaymentPlan.patient_id, PaymentPlan.start_date, PaymentPlan.installment_cents,
                 PaymentPlan.frequency, PaymentPlan.total_cents, PaymentPlan.status, PaymentPlan.missed_flagged_on)


@bp.route("/plans")
@requires("billing.view")
def plans_page():
    """Payment plans by state, with what each has received."""
    key = request.args.get("status", "active")
    key = key if key in FILTERS else "active"
    query = PlainSelect(PaymentPlan, _LIST_COLUMNS)
    joined = needs_patient_join("patient", "account")
    if joined:
        query = query.join(Patient, on=(Patient.id == PaymentPlan.patient_id))
    values = {}
    if key == "missed":
        query = query.where(PaymentPlan.id.in_(plans.missed_by(slot("cutoff")).select(PaymentPlan.id)))
        values["cutoff"] = plans.missed_cutoff(settings.today())
    elif key != "all":
        query = query.where(PaymentPlan.status == slot("status"))
        values["status"] = key
    plan_url = url_template("billing.plan", "plan_id")

    table = paginate(
        query, id="plans-table",
        columns=[
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda p: f"{p.patient.last_name}, {p.patient.first_name}",
                        link=lambda p: plan_url(p.id)),
            TableColumn("account", "Account", sort=Patient.account_number, value=lambda p: p.patient.account_number),
            TableColumn("start", "Since", sort=PaymentPlan.start_date, kind="date", value=lambda p: p.start_date),
            TableColumn("installment", "Installment", sort=PaymentPlan.installment_cents, numeric=True,
                        value=lambda p: f"{format_cents(p.installment_cents)} {p.frequency}"),
            TableColumn("total", "Total", sort=PaymentPlan.total_cents, numeric=True,
                        value=lambda p: format_cents(p.total_cents)),
            TableColumn("status", "Status", sort=PaymentPlan.status, value=lambda p: STATUS_LABELS.get(p.status, p.status)
                        + (f" (missed {format_date(p.missed_flagged_on)})" if p.missed_flagged_on and p.status == "active"
                           else "")),
        ],
        search=patient_search, default_sort="start", endpoint="billing.plans_page", endpoint_args={"status": key},
        noun="plan", noun_plural="plans", search_placeholder="Patient or account",
        empty_message="No payment plans here. Set one up from a patient's ledger.",
        key=("billing.plans", key, joined), values=values, kept_by=(PLANS.key, PATIENTS_KEY),
        attach=attach_patients)
    audit_list("billing.plans.list", table.rows, status=key)
    base = url_for("billing.plans_page")  # the tabs' URLs as url_for writes them (the keys are plain words)
    tabs = [(tab, label, f"{base}?status={tab}") for tab, label in FILTERS.items()]
    return render_page("billing/plans.html", title="Payment plans", table=table, tabs=tabs, current=key,
                       breadcrumbs=[("Payment plans", None)])


@bp.route("/patients/<int:patient_id>/plans/new", methods=["GET", "POST"])
@requires("billing.plans.edit")
def plan_new(patient_id: int):
    """Set up a payment plan for (part of) what the patient owes."""
    patient = load_for_display(patient_id, "billing.plan.new.view")
    owed = ledger.patient_balances(patient.id).patient_cents
    form = PlanForm(data={"total": owed if owed > 0 else None, "frequency": "monthly"}
                    if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            plan = plans.create_plan(patient.id, form.total.data, form.installment.data, form.frequency.data,
                                     form.first_due.data, form.note.data)
        except PlanError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            notify("The payment plan is set up; its statements are held while it is active.")
            return redirect(url_for("billing.plan", plan_id=plan.id))
    return render_page("billing/plan_form.html", title="Set up a payment plan", form=form, patient=patient, owed=owed,
                       breadcrumbs=patient_crumbs(patient, ("Ledger", url_for("billing.ledger_page",
                                                                               patient_id=patient.id)),
                                                  ("Payment plan", None))), (422 if form.errors else 200)


@bp.route("/plans/<int:plan_id>")
@requires("billing.view")
def plan(plan_id: int):
    """A plan: its installments and what each has received. Audited."""
    record, patient = load_record_for_display(PaymentPlan, plan_id, "billing.plan.view")
    paid, installments = plans.progress(record)
    return render_page("billing/plan.html", title="Payment plan", plan=record, patient=patient, paid=paid,
                       installments=installments, frequencies=FREQUENCIES, status_labels=STATUS_LABELS,
                       breadcrumbs=patient_crumbs(patient, ("Ledger", url_for("billing.ledger_page",
                                                                               patient_id=patient.id)),
                                                  ("Payment plan", None)))


@bp.route("/plans/<int:plan_id>/cancel", methods=["GET", "POST"])
@requires("billing.plans.edit")
def plan_cancel(plan_id: int):
    """Cancel an active plan, with the reason (the patient's statements resume)."""
    record, patient = load_record_for_display(PaymentPlan, plan_id, "billing.plan.cancel.view")
    form = ReasonForm()
    if act_with_reason(form, lambda reason: plans.end_plan(record, "cancelled", reason), PlanError)[0]:
        notify("The payment plan is cancelled; statements resume.")
        return redirect(url_for("billing.plan", plan_id=record.id))
    return render_page("billing/reason_form.html", title="Cancel the payment plan", form=form, patient=patient,
                       submit="Cancel the plan", danger=True, intro="The patient's statements resume with the next run.",
                       cancel=url_for("billing.plan", plan_id=record.id),
                       breadcrumbs=patient_crumbs(patient, ("Payment plan", url_for("billing.plan", plan_id=record.id)),
                                                  ("Cancel", None))), (422 if form.errors else 200)

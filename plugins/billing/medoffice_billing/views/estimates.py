"""Good Faith Estimates: the list (deadlines, disputes), writing one for a patient, its PDF, recording its
delivery, and closing a dispute flag."""
from __future__ import annotations

import re
from types import SimpleNamespace

from flask import Response, abort, redirect, request, url_for
from flask_wtf import FlaskForm
from medoffice import settings
from medoffice.auth import can, requires
from medoffice.data_versions import PATIENTS_KEY
from medoffice.models import Location, Patient, StaffMember
from medoffice.patients import load_for_display, load_record_for_display
from medoffice.web.forms import choices
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .. import estimates as estimate_service
from ..estimates import DELIVERY, OPEN_DISPUTE, EstimateError
from ..models import ESTIMATES, GoodFaithEstimate
from . import bp
from .ledger import attach_patients, audit_list, needs_patient_join, patient_crumbs

_ITEM = re.compile(r"^\s*([A-Za-z0-9]{5})\s*(?:[x×*]\s*(\d{1,2}))?\s*$")


class EstimateForm(FlaskForm):
    """A new Good Faith Estimate."""

    provider_id = SelectField("Provider", coerce=int, validate_choice=False)
    location_id = SelectField("Location", coerce=int, validate_choice=False)
    service_date = DateField("Expected date of service", validators=[Optional()],
                             description="Leave blank when the patient asks for an estimate before scheduling.")
    scheduled_on = DateField("Scheduled (or asked) on", validators=[DataRequired(message="Enter the date (YYYY-MM-DD).")])
    requested = BooleanField("The patient asked for an estimate (not yet scheduled)")
    self_pay = BooleanField("The patient has insurance but chooses to pay for this themselves")
    diagnosis_codes = StringField("Diagnosis codes (ICD-10-CM)", validators=[Optional(), Length(max=120)],
                                  description="Where known, separated by commas, such as E11.9, I10.")
    items = TextAreaField("Items and services", validators=[DataRequired(message="List at least one code."),
                                                            Length(max=2000)],
                          description="One fee-schedule code a line, with units if more than one: 99213, or 36415 x 2.")
    notes = TextAreaField("Notes for the patient", validators=[Optional(), Length(max=2000)])


class DeliverForm(FlaskForm):
    """How the estimate reached the patient."""

    how = SelectField("Delivered", choices=choices(DELIVERY.items()), default="paper")


class CloseDisputeForm(FlaskForm):
    """Closing a dispute flag."""

    note = StringField("How it was settled", validators=[DataRequired(message="Say how the dispute was settled."),
                                                         Length(max=200)])


def _items(text: str) -> list[tuple[str, int]]:
    wanted = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        found = _ITEM.match(line)
        if not found:
            raise EstimateError("items", f"Line {number} ({line.strip()[:20]!r}) is not a 5-character code with "
                                         "optional units, such as 99213 or 36415 x 2.")
        wanted.append((found.group(1).upper(), int(found.group(2) or 1)))
    return wanted


def _form_choices(form: EstimateForm) -> None:
    form.provider_id.choices = choices([(0, "None named")] + [
        (s.id, f"{s.last_name}, {s.first_name}") for s in StaffMember.select().where(
            StaffMember.is_provider == True).order_by(StaffMember.last_name)])  # noqa: E712
    form.location_id.choices = choices([(0, "None named")] + [(l.id, l.name) for l in Location.select().order_by(
        Location.name)])


# what the list shows of an estimate (the patient's name comes from attach_patients)
_LIST_COLUMNS = (GoodFaithEstimate.id, GoodFaithEstimate.number, GoodFaithEstimate.patient_id,
                 GoodFaithEstimate.service_date, GoodFaithEstimate.due_by, GoodFaithEstimate.status,
                 GoodFaithEstimate.total_cents, GoodFaithEstimate.billed_cents, GoodFaithEstimate.dispute_flagged_on)


@bp.route("/estimates")
@requires("billing.view")
def estimates():
    """Every estimate, or only those flagged for the dispute process (``disputes=1``). Audited (lists patients)."""
    disputes = request.args.get("disputes") == "1"
    query = GoodFaithEstimate.select(*_LIST_COLUMNS).objects(SimpleNamespace)
    joined = needs_patient_join("patient")  # else the page's patients are read after it (attach_patients)
    if joined:
        query = query.join(Patient, on=(GoodFaithEstimate.patient_id == Patient.id))
    if disputes:
        query = query.where(OPEN_DISPUTE)
    estimate_url = url_template("billing.estimate", "estimate_id")
    table = paginate(
        query, id="estimates-table",
        columns=[
            TableColumn("number", "Estimate", sort=GoodFaithEstimate.number, link=lambda e: estimate_url(e.id)),
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda e: f"{e.patient.last_name}, {e.patient.first_name}"),
            TableColumn("service_date", "Service", sort=GoodFaithEstimate.service_date, kind="date"),
            TableColumn("due_by", "Deliver by", sort=GoodFaithEstimate.due_by, kind="date"),
            TableColumn("status", "Status", sort=GoodFaithEstimate.status, kind="status"),
            TableColumn("total_cents", "Estimate", sort=GoodFaithEstimate.total_cents, kind="money"),
            TableColumn("billed_cents", "Billed", kind="money"),
            TableColumn("dispute_flagged_on", "Dispute flag", sort=GoodFaithEstimate.dispute_flagged_on, kind="date"),
        ],
        search=lambda text: (GoodFaithEstimate.number ** f"%{text}%") | (Patient.last_name ** f"%{text}%"),
        default_sort="due_by", endpoint="billing.estimates", endpoint_args={"disputes": 1} if disputes else None,
        noun="estimate", noun_plural="estimates", search_placeholder="Estimate or patient",
        empty_message="No Good Faith Estimate matches." if disputes else "No Good Faith Estimate yet.",
        key=("billing.estimates", disputes, joined), kept_by=(ESTIMATES.key, PATIENTS_KEY), attach=attach_patients)
    audit_list("billing.estimates.view", table.rows)
    return render_page("billing/estimates.html", title="Good Faith Estimates", table=table, disputes=disputes,
                       breadcrumbs=[("Good Faith Estimates", None)])



@bp.route("/patients/<int:patient_id>/estimates/new", methods=["GET", "POST"])
@requires("billing.estimates.edit")
def estimate_new(patient_id: int):
    """Write a Good Faith Estimate for a patient paying themselves, priced from the fee schedule."""
    patient = load_for_display(patient_id, "billing.estimate.new.view")
    form = EstimateForm(data={"scheduled_on": settings.today()} if request.method == "GET" else None)
    _form_choices(form)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data for name in (
            "provider_id", "location_id", "service_date", "scheduled_on", "requested", "self_pay", "diagnosis_codes",
            "notes")}
        try:
            estimate = estimate_service.create_estimate(patient.id, values, _items(form.items.data))
        except EstimateError as exc:
            target = getattr(form, exc.field, None) or form.items
            target.errors = [*target.errors, str(exc)]
        else:
            due = f" Deliver it by {estimate.due_by.isoformat()}." if estimate.due_by else ""
            notify(f"Estimate {estimate.number} written: {estimate.total_cents / 100:,.2f} dollars.{due}")
            return redirect(url_for("billing.estimate", estimate_id=estimate.id))
    return render_page("billing/estimate_form.html", title="New Good Faith Estimate", form=form, patient=patient,
                       breadcrumbs=patient_crumbs(patient, ("New Good Faith Estimate", None))), \
        (422 if form.errors else 200)


@bp.route("/estimates/<int:estimate_id>")
@requires("billing.view")
def estimate(estimate_id: int):
    """One estimate: items, deadline, delivery and dispute flag. Audited."""
    row, patient = load_record_for_display(GoodFaithEstimate, estimate_id, "billing.estimate.view")
    return _estimate_page(row, patient)


def _estimate_page(row, patient, deliver_form=None, close_form=None, status: int = 200):
    return render_page("billing/estimate.html", title=row.number, estimate=row, patient=patient,
                       doc=estimate_service.document(row), deliver_form=deliver_form or DeliverForm(),
                       close_form=close_form or CloseDisputeForm(), delivery=DELIVERY,
                       can_edit=can("billing.estimates.edit"), can_close=can("billing.collections.manage"),
                       breadcrumbs=[("Good Faith Estimates", url_for("billing.estimates")), (row.number, None)]), status


@bp.route("/estimates/<int:estimate_id>.pdf")
@requires("billing.view")
def estimate_pdf(estimate_id: int):
    """The estimate as a PDF to give or send the patient. Audited as an export."""
    row, _patient = load_record_for_display(GoodFaithEstimate, estimate_id, "billing.estimate.pdf", export=True)
    return Response(estimate_service.estimate_pdf(row), mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{row.number}.pdf"'})


@bp.route("/estimates/<int:estimate_id>/deliver", methods=["POST"])
@requires("billing.estimates.edit")
def estimate_deliver(estimate_id: int):
    """Record that the estimate reached the patient."""
    row, patient = load_record_for_display(GoodFaithEstimate, estimate_id, "billing.estimate.deliver.view")
    form = DeliverForm()
    if form.validate_on_submit():
        try:
            estimate_service.deliver(row, form.how.data)
        except EstimateError as exc:
            form.how.errors = [str(exc)]
        else:
            notify(f"Recorded the delivery of {row.number}.")
            return redirect(url_for("billing.estimate", estimate_id=row.id))
    return _estimate_page(row, patient, deliver_form=form, status=422)


@bp.route("/estimates/<int:estimate_id>/dispute/close", methods=["POST"])
@requires("billing.collections.manage")
def estimate_close_dispute(estimate_id: int):
    """Close the dispute flag: statements and collections resume on the account."""
    row, patient = load_record_for_display(GoodFaithEstimate, estimate_id, "billing.estimate.dispute.view")
    form = CloseDisputeForm()
    if form.validate_on_submit():
        try:
            estimate_service.close_dispute(row, form.note.data)
        except EstimateError as exc:
            form.note.errors = [str(exc)]
        else:
            notify("The dispute flag is closed; statements and collections resume on the account.")
            return redirect(url_for("billing.estimate", estimate_id=row.id))
    return _estimate_page(row, patient, close_form=form, status=422)


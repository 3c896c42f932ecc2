"""Desk payments: take a payment, the printable receipt (and its PDF), voids, refunds, and the day's
payments with end-of-day totals by method and user."""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from medoffice import prepared, settings
from medoffice.limits import date_problem
from medoffice.auth import requires
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import PATIENTS_KEY, kept
from medoffice.models import Location, Patient, StaffMember, User
from medoffice.money import format_cents
from medoffice.patients import load_for_display, load_record_for_display
from medoffice.plain import PlainSelect
from medoffice.web.forms import choices
from medoffice.web.kept import kept_template
from medoffice.web.shell import notify, render_page
from medoffice.prepared import slot
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from .. import account_notes, ledger, payments, plans, statements
from ..models import PAYMENTS, PatientPayment
from ..eligibility import desk_view
from ..payments import METHODS, PaymentError
from . import bp
from .fields import MoneyField
from .ledger import attach_patients, audit_list, needs_patient_join, patient_crumbs, patient_search


class PaymentForm(FlaskForm):
    """A payment taken at the desk."""

    amount = MoneyField("Amount", validators=[InputRequired(message="Enter the amount.")])
    method = SelectField("Method", choices=choices(METHODS.items()), default="card")
    reference = StringField("Check number or card reference", validators=[Optional(), Length(max=40)],
                            description="A check's number; for a card, the last four digits or the authorization "
                                        "code (never the whole card number).")
    received_on = DateField("Date received", validators=[InputRequired(message="Enter the date (YYYY-MM-DD).")])
    location = SelectField("Office", choices=[], validate_choice=False,
                           description="The office whose desk took it: its day is closed and deposited apart.")
    memo = StringField("Note", validators=[Optional(), Length(max=200)])
    toward_plan = BooleanField("Count it toward the payment plan", default=True)


def _offices(form: PaymentForm) -> list[tuple[int, str]]:
    """The active offices as the form's choices, the user's own office (their staff record's) first chosen."""
    offices = list(Location.select(Location.id, Location.name).where(Location.active == True)  # noqa: E712
                   .order_by(Location.name).tuples())
    form.location.choices = choices((str(i), name) for i, name in offices)
    if not form.is_submitted() and offices:
        own = (StaffMember.select(StaffMember.location).join(User, on=(User.staff == StaffMember.id))
               .where(User.id == current_user.id).scalar())
        form.location.data = str(own if own in {i for i, _ in offices} else offices[0][0])
    return offices


def _chosen_office(form: PaymentForm, offices: list[tuple[int, str]]) -> int | None:
    """The office the payment was taken at: the one chosen, the only one, or None when the practice has none."""
    if len(offices) == 1:
        return offices[0][0]
    return int(form.location.data) if (form.location.data or "").isdecimal() else None


class RefundForm(FlaskForm):
    """Credit paid back to the patient."""

    amount = MoneyField("Amount", validators=[InputRequired(message="Enter the amount.")])
    method = SelectField("Paid back by", choices=choices(METHODS.items()), default="check")
    reference = StringField("Check number or card reference", validators=[Optional(), Length(max=40)])
    reason = StringField("Reason", validators=[DataRequired(message="Say why the money goes back."), Length(max=200)])


class ReasonForm(FlaskForm):
    """Why something is undone."""

    reason = StringField("Reason", validators=[DataRequired(message="Say why."), Length(max=200)])


def act_with_reason(form, act, refusal: type[Exception]) -> tuple[bool, object]:
    """Validate ``form`` and run ``act(reason)``; an exception of type ``refusal`` shows beside the reason.

    :return: (whether it was done, what ``act`` returned).
    """
    if not form.validate_on_submit():
        return False, None
    try:
        return True, act(form.reason.data)
    except refusal as exc:
        form.reason.errors = [*form.reason.errors, str(exc)]
        return False, None


def _field_error(form, exc: PaymentError) -> None:
    target = getattr(form, exc.field, None) or form.amount
    target.errors = [*target.errors, str(exc)]


@bp.route("/patients/<int:patient_id>/payments/new", methods=["GET", "POST"])
@requires("billing.payments.post")
def payment_new(patient_id: int):
    """Take a payment; it goes to the oldest open charges and the receipt opens."""
    patient = load_for_display(patient_id, "billing.payment.new.view")
    form = PaymentForm(data={"received_on": settings.today(), "toward_plan": True} if request.method == "GET" else None)
    offices = _offices(form)
    plan = plans.active_plan(patient.id)
    if form.validate_on_submit():
        try:
            if len(offices) > 1 and _chosen_office(form, offices) is None:
                raise PaymentError("location", "Choose the office that took the payment.")
            payment = payments.post_payment(patient.id, form.amount.data, form.method.data, form.reference.data,
                                            form.received_on.data, form.memo.data, bool(form.toward_plan.data),
                                            _chosen_office(form, offices))
        except PaymentError as exc:
            _field_error(form, exc)
        else:
            notify(f"Payment of {format_cents(payment.amount_cents)} received: receipt {payment.receipt_number}.")
            return redirect(url_for("billing.receipt", payment_id=payment.id))
    balances = ledger.patient_balances(patient.id)
    return render_page("billing/payment_form.html", title="Take a payment", form=form, patient=patient, plan=plan,
                       offices=offices,
                       balances=balances, notes=account_notes.current(patient.id),
                       eligibility=desk_view(patient.id, settings.today()), breadcrumbs=patient_crumbs(
                           patient, ("Ledger", url_for("billing.ledger_page", patient_id=patient.id)),
                           ("Take a payment", None))), (422 if form.errors else 200)


def _receipt_context(payment: PatientPayment, patient: Patient) -> dict:
    return {"payment": payment, "patient": patient, "allocations": payments.allocations(payment),
            "balances": ledger.patient_balances(patient.id), "methods": METHODS,
            "practice": statements.practice_details()}


@bp.route("/receipts/<int:payment_id>")
@requires("billing.view")
def receipt(payment_id: int):
    """A printable receipt (print stylesheet: the receipt only). Audited."""
    payment, patient = load_record_for_display(PatientPayment, payment_id, "billing.receipt.view")
    context = _receipt_context(payment, patient)
    return render_page("billing/receipt.html", title=f"Receipt {payment.receipt_number}", **context,
                       breadcrumbs=patient_crumbs(context["patient"], ("Ledger", url_for(
                           "billing.ledger_page", patient_id=payment.patient_id)), (payment.receipt_number, None)))


@bp.route("/receipts/<int:payment_id>.pdf")
@requires("billing.view")
def receipt_pdf(payment_id: int):
    """The receipt as a PDF. Audited."""
    payment, patient = load_record_for_display(PatientPayment, payment_id, "billing.receipt.pdf", export=True)
    data = statements.to_pdf(render_template("billing/receipt_pdf.html", **_receipt_context(payment, patient)))
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="receipt-{payment.receipt_number}.pdf"'})


@bp.route("/receipts/<int:payment_id>/void", methods=["GET", "POST"])
@requires("billing.payments.void")
def receipt_void(payment_id: int):
    """Void a payment taken by mistake (its entries are reversed), with the reason."""
    payment, patient = load_record_for_display(PatientPayment, payment_id, "billing.receipt.void.view")
    form = ReasonForm()
    if act_with_reason(form, lambda reason: payments.void_payment(payment, reason), PaymentError)[0]:
        notify(f"Receipt {payment.receipt_number} is void; the payment came off the ledger.")
        return redirect(url_for("billing.receipt", payment_id=payment.id))
    return render_page("billing/reason_form.html", title=f"Void receipt {payment.receipt_number}", form=form,
                       patient=patient, submit="Void the payment", danger=True,
                       intro=f"The payment of {format_cents(payment.amount_cents)} comes off the ledger; the "
                             "receipt stays, marked void.",
                       cancel=url_for("billing.receipt", payment_id=payment.id),
                       breadcrumbs=patient_crumbs(patient, (payment.receipt_number, url_for(
                           "billing.receipt", payment_id=payment.id)), ("Void", None))), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/refunds/new", methods=["GET", "POST"])
@requires("billing.payments.void")
def refund_new(patient_id: int):
    """Pay a patient's credit back."""
    patient = load_for_display(patient_id, "billing.refund.new.view")
    balances = ledger.patient_balances(patient.id)
    form = RefundForm(data={"amount": balances.credit_cents or None} if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            refund = payments.refund(patient.id, form.amount.data, form.method.data, form.reference.data,
                                     form.reason.data)
        except PaymentError as exc:
            _field_error(form, exc)
        else:
            notify(f"Refund recorded: receipt {refund.receipt_number}.")
            return redirect(url_for("billing.receipt", payment_id=refund.id))
    return render_page("billing/refund_form.html", title="Refund credit", form=form, patient=patient,
                       balances=balances, breadcrumbs=patient_crumbs(
                           patient, ("Ledger", url_for("billing.ledger_page", patient_id=patient.id)),
                           ("Refund", None))), (422 if form.errors else 200)


def _day_arg(name: str, default: dt.date) -> dt.date:
    text = request.args.get(name, "")
    try:
        day = dt.date.fromisoformat(text) if text else default
    except ValueError:
        abort(400, description="Dates are written YYYY-MM-DD.")
    problem = date_problem(day)
    if problem:
        abort(400, description=problem)
    return day


_DAY_PAYMENTS = (PlainSelect(PatientPayment, [PatientPayment.id, PatientPayment.receipt_number, PatientPayment.voided_at,
                                              PatientPayment.kind, PatientPayment.patient_id, PatientPayment.method,
                                              PatientPayment.reference, PatientPayment.username,
                                              PatientPayment.amount_cents])
                 .where(PatientPayment.received_on == slot("day")))  # the day's receipts, built once
_USER_NAMES = User.select(User.username, User.full_name).tuples()


@bp.route("/payments")
@requires("billing.view")
def desk_payments():
    """The day's desk payments and refunds with end-of-day totals by method and by user."""
    day = _day_arg("day", settings.today())
    query = _DAY_PAYMENTS
    joined = needs_patient_join("patient")
    if joined:
        query = query.join(Patient, on=(Patient.id == PatientPayment.patient_id))
    receipt_url = url_template("billing.receipt", "payment_id")
    ledger_url = url_template("billing.ledger_page", "patient_id")
    # the users' names as person_name gives them, read as the driver's tuples (its query builds a model per user)
    names = dict(kept(ACCESS_KEY, "billing: user names by username",
                      lambda: prepared.rows(_USER_NAMES, "billing.desk_payments.user_names")))

    def search(text):
        return (PatientPayment.receipt_number ** f"%{text}%") | patient_search(text)

    table = paginate(
        query, id="payments-table",
        columns=[
            TableColumn("receipt", "Receipt", sort=PatientPayment.id, value=lambda p: p.receipt_number
                        + (" (void)" if p.voided_at else "") + (" (refund)" if p.kind == "refund" else ""),
                        link=lambda p: receipt_url(p.id)),
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda p: f"{p.patient.last_name}, {p.patient.first_name}",
                        link=lambda p: ledger_url(p.patient_id)),
            TableColumn("method", "Method", sort=PatientPayment.method, value=lambda p: METHODS.get(p.method, p.method)),
            TableColumn("reference", "Reference", value=lambda p: p.reference),
            TableColumn("user", "Taken by", sort=PatientPayment.username,
                        value=lambda p: (names.get(p.username) or p.username) if p.username else ""),
            TableColumn("amount", "Amount", sort=PatientPayment.amount_cents, numeric=True,
                        value=lambda p: format_cents(-p.amount_cents if p.kind == "refund" else p.amount_cents)),
        ],
        search=search, default_sort="receipt", endpoint="billing.desk_payments", endpoint_args={"day": day.isoformat()},
        noun="receipt", noun_plural="receipts", search_placeholder="Receipt, patient or account",
        empty_message="No payments were taken on this day.", key=("billing.desk_payments", joined),
        values={"day": day}, kept_by=(PAYMENTS.key, PATIENTS_KEY), attach=attach_patients)
    totals_html = kept_template((PAYMENTS.key,), (day,), "billing/_end_of_day_totals.html",
                                lambda: {"totals": payments.end_of_day(day), "methods": METHODS})
    audit_list("billing.payments.list", table.rows, day=day.isoformat())
    return render_page("billing/payments.html", title="Desk payments", table=table, day=day, totals_html=totals_html,
                       previous=day - dt.timedelta(days=1), following=day + dt.timedelta(days=1),
                       today=settings.today(), breadcrumbs=[("Desk payments", None)])


@bp.route("/widgets/desk-today")
@requires("billing.view")
def desk_widget():
    """Dashboard widget: today's desk payments by method."""
    rows = payments.end_of_day(settings.today())
    by_method: dict[str, int] = {}
    for row in rows:
        by_method[row["method"]] = by_method.get(row["method"], 0) + int(row["net_cents"])
    return render_page("billing/_desk_widget.html", title="Desk payments today", by_method=by_method, methods=METHODS,
                       count=sum(int(r["payments"]) for r in rows), total=sum(by_method.values()))

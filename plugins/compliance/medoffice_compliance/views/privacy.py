"""Privacy-rights pages: the list of requests (with their clocks), one request (its patient
read audited), logging, extending and answering one, and the disclosure log."""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from medoffice import audit
from medoffice.models import Patient
from medoffice.money import parse_cents
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.settings import today
from medoffice.web.forms import with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from medoffice.auth import can, requires
from medoffice.data_versions import PATIENTS_KEY

from .. import privacy as service
from .. import rules
from ..models import DISCLOSURES_VERSION, PRIVACY_VERSION, PrivacyRequest
from . import bp
from .forms import DecisionForm, DisclosureForm, PrivacyRequestForm, ReasonForm

STATUS_TABS = ("open", "completed", "denied")


def _patient_id(text: str) -> int | None:
    """A patient chosen by account number (or record id): None when there is no such patient."""
    text = (text or "").strip()
    if not text or len(text) > 40:
        return None
    found = Patient.select(Patient.id).where(Patient.account_number == text).first()
    if found is None and text.isascii() and text.isdecimal() and len(text) < 10:
        found = Patient.select(Patient.id).where(Patient.id == int(text)).first()
    return found.id if found else None


# The columns the list shows (and the patient it records as read), not every column of both tables, read as plain
# rows (``medoffice.plain``): no request and patient model built and filled column by column for each row.
_REQUESTS = (PlainSelect(PrivacyRequest, [PrivacyRequest.id, PrivacyRequest.kind,
                                          PrivacyRequest.patient.alias("patient_id"), PrivacyRequest.received_on,
                                          PrivacyRequest.due_on, PrivacyRequest.status, PrivacyRequest.extended_on,
                                          Patient.last_name, Patient.first_name])
             .join(Patient).where(PrivacyRequest.status == slot("status")))


@bp.route("/privacy")
@requires("compliance.privacy.view")
def privacy_requests():
    """Privacy requests, open ones first by due date; the patients shown are recorded."""
    status = request.args.get("status", "open")
    if status not in STATUS_TABS:
        abort(400, description="status: open, completed or denied.")
    link = url_template("compliance.privacy_request", "request_id")
    current = today()
    table = paginate(
        _REQUESTS, id="privacy-table",
        columns=[
            TableColumn("id", "#", sort=PrivacyRequest.id, link=lambda r: link(r.id)),
            TableColumn("kind", "Kind", sort=PrivacyRequest.kind, value=lambda r: rules.REQUEST_BY_KEY[r.kind].title),
            TableColumn("patient", "Patient", value=lambda r: f"{r.last_name}, {r.first_name}"),  # display_name
            TableColumn("received_on", "Received", sort=PrivacyRequest.received_on, kind="date"),
            TableColumn("due_on", "Due", sort=PrivacyRequest.due_on, kind="date"),
            TableColumn("clock", "Clock", kind="status",
                        value=lambda r: "" if r.due_on is None or r.status != "open" else
                        ("overdue" if r.due_on < current else "open")),
            TableColumn("extended", "Extended", kind="boolean", value=lambda r: r.extended_on is not None),
        ],
        search=None, default_sort="due_on", endpoint="compliance.privacy_requests", endpoint_args={"status": status},
        # kept until a request or a patient changes, and for the day (the clock column counts from today)
        key=("compliance.privacy_requests",), values={"status": status},
        kept_by=(PRIVACY_VERSION.key, PATIENTS_KEY), kept_with=(current,), noun="request", noun_plural="requests",
        empty_message="No request here.")
    audit.record_list("compliance.privacy_requests.list", (r.patient_id for r in table.rows))
    return render_page("compliance/privacy_requests.html", title="Privacy requests", table=table, status=status,
                       tabs=_tabs(status))


def _tabs(status: str) -> Markup:
    """The status tabs, the current one marked: the list's URL built once, not once a tab (``url_for`` costs
    microseconds a call, and a query argument is appended as it would append it: the statuses need no quoting)."""
    base = url_for("compliance.privacy_requests")
    return Markup("".join(f'<a href="{base}?status={tab}" {CURRENT if tab == status else ""}>{tab.capitalize()}</a> '
                          for tab in STATUS_TABS))


CURRENT = 'aria-current="page"'


@bp.route("/privacy/new", methods=["GET", "POST"])
@requires("compliance.privacy.edit")
def privacy_request_new():
    """Log a request the day it arrives; its clock starts on the received date."""
    form = PrivacyRequestForm()
    if request.method == "POST" and form.validate_on_submit():
        patient_id = _patient_id(form.patient_id.data)
        try:
            if patient_id is None:
                raise service.PrivacyError("No patient has that record number.", "patient_id")
            fee_text = (form.fee.data or "").strip()
            try:
                fee = parse_cents(fee_text) if fee_text else 0
            except ValueError as bad:
                raise service.PrivacyError(str(bad), "fee") from None
            created = service.receive(patient_id, form.kind.data, form.received_on.data,
                                      identity_verified=bool(form.identity_verified.data),
                                      details=form.details.data or "", access_format=form.access_format.data or "",
                                      fee_cents=fee, by=current_user.username, today=today())
        except service.PrivacyError as refused:
            getattr(form, refused.field, form.kind).errors = [str(refused)]
        else:
            notify(f"Request #{created.id} logged; due {created.due_on.isoformat() if created.due_on else 'without a legal clock'}.")
            return redirect(url_for("compliance.privacy_request", request_id=created.id))
    status = 422 if request.method == "POST" else 200
    return render_page("compliance/form.html", title="Log a privacy request", form=form, submit="Log request",
                       cancel=url_for("compliance.privacy_requests"),
                       breadcrumbs=[("Privacy requests", url_for("compliance.privacy_requests"))]), status


def _content(request_id: int, edit: bool, day: dt.date) -> tuple[str, int] | None:
    """The request's content as its page shows it on ``day`` (the patient, the clock, the disclosures asked for
    and, for who may ``edit`` an open one, its forms; the CSRF token a slot) and its patient's id; None when there
    is no such request or patient."""
    row = PrivacyRequest.get_or_none(PrivacyRequest.id == request_id)
    patient = Patient.get_or_none(Patient.id == row.patient_id) if row is not None else None  # the view audits it
    if patient is None:
        return None
    kind = rules.REQUEST_BY_KEY[row.kind]
    disclosures = service.disclosures_for(row.patient_id, row.received_on) if row.kind == "accounting" else []
    can_extend = row.status == "open" and rules.extension_problem(kind, row.received_on, row.extended_on is not None,
                                                                  day) is None
    html = render_template("compliance/_privacy_request.html", req=row, patient=patient, kind=kind, edit=edit,
                           disclosures=disclosures, can_extend=can_extend,
                           timely=rules.on_time(row.due_on, row.decided_on), rules=rules,
                           extend_form=ReasonForm(formdata=None), decision_form=DecisionForm(formdata=None),
                           identity_form=ReasonForm(formdata=None))
    return slotted(html), patient.id


def _page(request_id: int):
    """A request's page: its content kept until a request, a disclosure, a patient's record, the users or the
    settings change, for the day and who may edit; the read of the patient is audited on every view."""
    edit, day = can("compliance.privacy.edit"), today()
    content = kept_part((PRIVACY_VERSION.key, DISCLOSURES_VERSION.key, PATIENTS_KEY),
                        ("request", request_id, edit, day), lambda: _content(request_id, edit, day))
    if content is None:
        abort(404)
    html, patient_id = content
    audit.record_read("compliance.privacy_request.view", PrivacyRequest._meta.table_name, request_id,
                      patient_id=patient_id)
    return render_page("compliance/privacy_request.html", title=f"Privacy request #{request_id}",
                       content=with_csrf_token(html),
                       breadcrumbs=[("Privacy requests", url_for("compliance.privacy_requests"))])


@bp.route("/privacy/<int:request_id>")
@requires("compliance.privacy.view")
def privacy_request(request_id: int):
    """One request: its clock, extension, answer and letters (the read is audited)."""
    return _page(request_id)


def _request_or_404(request_id: int) -> PrivacyRequest:
    row = PrivacyRequest.get_or_none(PrivacyRequest.id == request_id)
    if row is None:
        abort(404)
    return row


def _refused(form, title: str, endpoint: str, request_id: int, submit: str):
    """A refused form on its own page (422), without the patient: a refused change writes nothing,
    not even the audit entry showing the request again would."""
    back = url_for("compliance.privacy_request", request_id=request_id)
    return render_page("compliance/form.html", title=title, form=form, submit=submit,
                       action=url_for(endpoint, request_id=request_id), cancel=back,
                       breadcrumbs=[("Privacy requests", url_for("compliance.privacy_requests")),
                                    (f"#{request_id}", back)]), 422


@bp.route("/privacy/<int:request_id>/extend", methods=["POST"])
@requires("compliance.privacy.edit")
def privacy_request_extend(request_id: int):
    """Take the one extension; the written notice to the patient is queued as a letter."""
    row = _request_or_404(request_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            service.extend(row, form.reason.data, by=current_user.username, today=today())
        except service.PrivacyError as refused:
            form.reason.errors = [str(refused)]
        else:
            notify("Extended; the notice letter waits in the outbox to be printed and posted.")
            return redirect(url_for("compliance.privacy_request", request_id=row.id))
    return _refused(form, f"Extend privacy request #{row.id}", "compliance.privacy_request_extend", row.id,
                    "Extend and send the notice")


@bp.route("/privacy/<int:request_id>/identity", methods=["POST"])
@requires("compliance.privacy.edit")
def privacy_request_identity(request_id: int):
    """Record that the requester's identity was verified, and how."""
    row = _request_or_404(request_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            service.verify_identity(row, form.reason.data, by=current_user.username)
        except service.PrivacyError as refused:
            form.reason.errors = [str(refused)]
        else:
            notify("Identity verified.")
            return redirect(url_for("compliance.privacy_request", request_id=row.id))
    return _refused(form, f"Verify the identity for request #{row.id}", "compliance.privacy_request_identity",
                    row.id, "Record verification")


@bp.route("/privacy/<int:request_id>/decide", methods=["POST"])
@requires("compliance.privacy.edit")
def privacy_request_decide(request_id: int):
    """Answer the request; the answer goes to the patient as a letter."""
    row = _request_or_404(request_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            service.decide(row, form.decision.data, form.reason.data or "", by=current_user.username, today=today())
        except service.PrivacyError as refused:
            getattr(form, refused.field, form.reason).errors = [str(refused)]
        else:
            notify("Answered; the letter waits in the outbox to be printed and posted.")
            return redirect(url_for("compliance.privacy_request", request_id=row.id))
    return _refused(form, f"Answer privacy request #{row.id}", "compliance.privacy_request_decide", row.id,
                    "Answer and send the letter")


@bp.route("/privacy/disclosures", methods=["POST"])
@requires("compliance.privacy.edit")
def disclosure_add():
    """Log a disclosure for the accounting of disclosures."""
    form = DisclosureForm()
    if form.validate_on_submit():
        patient_id = _patient_id(form.patient_id.data)
        try:
            if patient_id is None:
                raise service.PrivacyError("No patient has that record number.", "patient_id")
            service.log_disclosure(patient_id, form.disclosed_on.data, form.recipient.data, form.description.data,
                                   form.purpose.data, by=current_user.username)
        except service.PrivacyError as refused:
            getattr(form, refused.field, form.recipient).errors = [str(refused)]
        else:
            notify("Disclosure logged.")
            return redirect(url_for("compliance.privacy_requests"))
    return render_page("compliance/form.html", title="Log a disclosure", form=form, submit="Log disclosure",
                       action=url_for("compliance.disclosure_add"), cancel=url_for("compliance.privacy_requests"),
                       breadcrumbs=[("Privacy requests", url_for("compliance.privacy_requests"))]), 422


@bp.route("/privacy/disclosures/new")
@requires("compliance.privacy.edit")
def disclosure_new():
    """The form to log a disclosure."""
    return render_page("compliance/form.html", title="Log a disclosure", form=DisclosureForm(formdata=None),
                       submit="Log disclosure", action=url_for("compliance.disclosure_add"),
                       cancel=url_for("compliance.privacy_requests"),
                       breadcrumbs=[("Privacy requests", url_for("compliance.privacy_requests"))])


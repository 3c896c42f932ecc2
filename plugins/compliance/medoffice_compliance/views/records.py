"""Records-retention pages: the schedule, records due for destruction, legal holds and the
destruction log (the patients shown are recorded as read)."""
from __future__ import annotations

import re

from flask import abort, redirect, request, url_for
from flask_login import current_user
from medoffice import audit, prepared
from medoffice.auth import requires
from medoffice.data_versions import PATIENTS_KEY, kept
from medoffice.models import Patient
from medoffice.plain import PlainSelect
from medoffice.settings import today
from medoffice.web.field_html import render_field, render_form
from medoffice.web.forms import blank_form_html
from medoffice.web.shell import notify, render_page

from .. import records as service
from ..models import RECORDS_VERSION, RETENTION_VERSION, Destruction, LegalHold, RetentionRule
from . import bp
from .forms import DestructionForm, HoldForm, RetentionRuleForm
from .privacy import _patient_id

_NUMBER = re.compile(r"[0-9]{1,3}")


def _form_page(form, title: str, endpoint: str, submit: str, attrs: str = ""):
    """A refused form again on its own page (422): the full page would record another read of the
    patients it lists, and a refused change writes nothing, not even that."""
    return render_page("compliance/form.html", title=title, form=form, submit=submit, action=url_for(endpoint),
                       cancel=url_for("compliance.records"), attrs=attrs,
                       breadcrumbs=[("Records retention", url_for("compliance.records"))]), 422


# The columns the page shows (and the patients it records as read), not every column of the patient, read as plain
# rows (``medoffice.plain``): no hold or destruction and patient model built and filled column by column for each
# row, and the log shows up to a hundred.
_PATIENT = (Patient.last_name, Patient.first_name, Patient.account_number)
_HOLDS = (PlainSelect(LegalHold, [LegalHold.id, LegalHold.patient.alias("patient_id"), LegalHold.reason,
                                  LegalHold.placed_on, *_PATIENT])
          .join(Patient).where(LegalHold.released_on.is_null()).order_by(LegalHold.placed_on))
_DESTROYED = (PlainSelect(Destruction, [Destruction.id, Destruction.patient.alias("patient_id"), Destruction.record_type,
                                        Destruction.destroyed_on, Destruction.method, Destruction.witness, *_PATIENT])
              .join(Patient).order_by(Destruction.destroyed_on.desc()).limit(100))
_RULES = RetentionRule.select().order_by(RetentionRule.record_type, RetentionRule.state)


def _lists(day) -> tuple[list, list[dict], list, list]:
    """The schedule, the records due for destruction on ``day``, the legal holds and the destruction log: the same
    for everyone who sees the page, kept per process until a rule, a last date of service, a hold, a destruction or
    a patient's record changes (``medoffice.data_versions``). Shared by the requests that follow: read, do not
    change."""

    def build():
        schedule = list(prepared.run(_RULES, "compliance.retention_rules"))
        return (schedule, service.due_for_destruction(day, schedule=schedule),
                list(prepared.run(_HOLDS, "compliance.holds")), list(prepared.run(_DESTROYED, "compliance.destroyed")))

    return kept((RETENTION_VERSION.key, RECORDS_VERSION.key, PATIENTS_KEY), ("records page", day), build)


def _page():
    schedule, due, holds, destroyed = _lists(today())
    audit.record_list("compliance.records.list", [r["id"] for r in due] + [h.patient_id for h in holds]
                      + [d.patient_id for d in destroyed])
    return render_page(
        "compliance/records.html", title="Records retention", due=due, holds=holds, destroyed=destroyed,
        rules=schedule,
        rule_form=blank_form_html(("compliance", "retention rule"), RetentionRuleForm, lambda form: render_form(
            form, action=url_for("compliance.retention_rule_save"), submit="Save rule")),
        hold_form=blank_form_html(("compliance", "hold"), HoldForm, lambda form: render_form(
            form, action=url_for("compliance.hold_place"), submit="Place hold")),
        destruction_form=blank_form_html(("compliance", "destruction"), DestructionForm, _destruction_fields))


def _destruction_fields(form) -> str:
    """The destruction form's CSRF field and fields, as the page's form shows them."""
    return str(getattr(form, "csrf_token", "")) + "".join(str(render_field(f)) for f in form if f.name != "csrf_token")


@bp.route("/records")
@requires("compliance.records.view")
def records():
    """The schedule, the records due for destruction, holds and the destruction log."""
    return _page()


def _number(form, name: str) -> int:
    text = (getattr(form, name).data or "").strip()
    if not _NUMBER.fullmatch(text):
        raise service.RecordsError("Give a whole number of years.", name)
    return int(text)


@bp.route("/records/rules", methods=["POST"])
@requires("compliance.records.manage")
def retention_rule_save():
    """Add or change a retention rule."""
    form = RetentionRuleForm()
    if form.validate_on_submit():
        try:
            service.save_rule(form.record_type.data, form.state.data or "", _number(form, "adult_years"),
                              _number(form, "majority_age"), _number(form, "minor_years"), form.note.data or "")
        except service.RecordsError as refused:
            getattr(form, refused.field, form.record_type).errors = [str(refused)]
        else:
            notify("Retention rule saved.")
            return redirect(url_for("compliance.records"))
    return _form_page(form, "Retention rule", "compliance.retention_rule_save", "Save rule")


@bp.route("/records/holds", methods=["POST"])
@requires("compliance.records.manage")
def hold_place():
    """Place a legal hold on a patient's records."""
    form = HoldForm()
    if form.validate_on_submit():
        patient_id = _patient_id(form.patient_id.data)
        if patient_id is None:
            form.patient_id.errors = ["No patient has that record number."]
        else:
            service.place_hold(patient_id, form.reason.data, form.placed_on.data, by=current_user.username)
            notify("Legal hold placed.")
            return redirect(url_for("compliance.records"))
    return _form_page(form, "Place a legal hold", "compliance.hold_place", "Place hold")


@bp.route("/records/holds/<int:hold_id>/release", methods=["POST"])
@requires("compliance.records.manage")
def hold_release(hold_id: int):
    """Release a legal hold."""
    hold = LegalHold.get_or_none(LegalHold.id == hold_id)
    if hold is None:
        abort(404)
    try:
        service.release_hold(hold, today(), by=current_user.username)
    except service.RecordsError as refused:
        notify(str(refused), "error")
        return redirect(url_for("compliance.records"))
    notify("Legal hold released.")
    return redirect(url_for("compliance.records"))


@bp.route("/records/destructions", methods=["POST"])
@requires("compliance.records.manage")
def destruction_add():
    """Log a destruction with its certificate; refused under a legal hold."""
    form = DestructionForm()
    if request.method == "POST" and form.validate_on_submit():
        patient_id = _patient_id(form.patient_id.data)
        upload = form.certificate.data
        try:
            if patient_id is None:
                raise service.RecordsError("No patient has that record number.", "patient_id")
            service.record_destruction(patient_id, form.record_type.data, form.destroyed_on.data, form.method.data,
                                       form.witness.data, by=current_user.username,
                                       certificate=upload.stream if upload and upload.filename else None,
                                       filename=upload.filename if upload else "")
        except service.RecordsError as refused:
            getattr(form, refused.field, form.patient_id).errors = [str(refused)]
        else:
            notify("Destruction logged.")
            return redirect(url_for("compliance.records"))
    return _form_page(form, "Log a destruction", "compliance.destruction_add", "Log destruction",
                      'enctype="multipart/form-data"')

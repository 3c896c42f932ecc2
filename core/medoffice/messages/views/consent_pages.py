"""The consent card on a patient's page (read and record, both audited) and unsubscribe requests."""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ... import audit
from ...auth.access import requires
from ...models import Patient
from ...settings import practice_timezone, today
from ...web import core_blueprint as bp
from ...web.forms import choices
from ...web.shell import notify, render_page
from .. import consent, templating
from ..models import OutboxMessage
from ..templating import PURPOSES


class ConsentForm(FlaskForm):
    """One answer of a patient for the register."""

    channel = SelectField("Contact by", choices=choices(consent.CHANNELS.items()))
    purpose = SelectField("About", choices=choices((p, PURPOSES[p]) for p in templating.PATIENT_PURPOSES))
    decision = SelectField("Answer", choices=choices(consent.DECISIONS.items()))
    source = SelectField("How they told us", choices=choices(consent.SOURCES.items()))
    given_on = DateField("On", validators=[Optional()])
    note = StringField("Note", validators=[Length(max=500)])


def _patient_or_404(patient_id: int) -> Patient:
    row = Patient.get_or_none(Patient.id == patient_id)
    if row is None:
        abort(404)
    return row


def _consent_panel(patient: Patient, form: ConsentForm, status: int = 200):
    holding = consent.current(patient.id)
    recent = list(OutboxMessage.select().where(OutboxMessage.patient == patient.id)
                  .order_by(OutboxMessage.id.desc()).limit(5))
    return render_page("messages/_consent_panel.html", title="Contact consent", patient=patient, form=form,
                       holding=holding, history=consent.history(patient.id, 20), recent=recent,
                       channels=consent.CHANNELS, purposes={p: PURPOSES[p] for p in templating.PATIENT_PURPOSES},
                       sources={**consent.SOURCES, **consent.CARRIED_OVER}, timezone=practice_timezone()), status


@bp.route("/messages/patients/<int:patient_id>/consent", methods=["GET"])
@requires("core.consent.view")
def messages_consent_panel(patient_id: int):
    """The patient page's consent card (an htmx fragment); the read is audited."""
    patient = _patient_or_404(patient_id)
    audit.record_read("messages.consent.view", "patient", patient.id, patient_id=patient.id)
    return _consent_panel(patient, ConsentForm(formdata=None, data={"given_on": today()}))


@bp.route("/messages/patients/<int:patient_id>/consent", methods=["POST"])
@requires("core.consent.edit")
def messages_consent_record(patient_id: int):
    """Record an answer; the panel comes back with it (422 with the errors when refused)."""
    patient = _patient_or_404(patient_id)
    form = ConsentForm()
    if form.validate_on_submit():
        try:
            consent.record(patient.id, form.channel.data, form.purpose.data, form.decision.data,
                           form.source.data, form.given_on.data, form.note.data or "", current_user.username)
            notify("Consent recorded.")
            return _consent_panel(patient, ConsentForm(formdata=None, data={"given_on": today()}))
        except consent.ConsentError as exc:
            form.given_on.errors = [*form.given_on.errors, str(exc)]
    return _consent_panel(patient, form, 422)


class UnsubscribeForm(FlaskForm):
    """The code from an unsubscribe request's subject line."""

    code = StringField("Code from the subject line", validators=[DataRequired("Enter the code."), Length(max=60)],
                       description="The request's subject reads “unsubscribe 42-1a2b3c4d5e6f”: enter the part after the word.")


@bp.route("/admin/messages/unsubscribe", methods=["GET", "POST"])
@requires("core.consent.edit")
def messages_unsubscribe():
    """Turn an unsubscribe e-mail into an opt-out: find the patient by the code, then record it."""
    form = UnsubscribeForm()
    found = None
    if form.validate_on_submit():
        code = form.code.data.strip().removeprefix("unsubscribe").strip()
        patient_id = consent.patient_for_code(code)
        found = Patient.get_or_none(Patient.id == patient_id) if patient_id else None
        if found is None:
            form.code.errors = ["This code does not belong to any patient: check it against the request."]
        elif request.form.get("confirm"):
            consent.record(found.id, "email", "marketing", "refused", "unsubscribe", today(),
                           note=f"Unsubscribe request {code}", by=current_user.username)
            notify(f"{found.first_name} {found.last_name} will get no more marketing e-mail.")
            return redirect(url_for("core.messages_unsubscribe"))
        else:
            audit.record_read("messages.unsubscribe.lookup", "patient", found.id, patient_id=found.id)
    return render_page("messages/unsubscribe.html", title="Unsubscribe requests", form=form, found=found,
                       breadcrumbs=[("Admin", None), ("Unsubscribe requests", None)]), (422 if form.errors else 200)

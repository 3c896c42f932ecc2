"""Testimonials and photos, and the HIPAA authorizations (164.508) they rest on."""
from __future__ import annotations

from flask import abort, redirect, request, url_for
from medoffice import audit, files, prepared
from medoffice.auth import requires
from medoffice.db import transaction
from medoffice.models import Patient
from medoffice.patients import load_for_display, load_record_for_display
from medoffice.settings import today
from medoffice.web.shell import notify, render_page
from peewee import JOIN

from .. import authorizations
from ..models import Authorization, Testimonial
from . import bp
from .common import username
from .forms import AuthorizationForm, RevokeForm, TestimonialForm


# Compiled once (peewee built the statement on every view).
_TESTIMONIALS = (Testimonial.select(Testimonial, Patient, Authorization).join(Patient)
                 .switch(Testimonial).join(Authorization, JOIN.LEFT_OUTER)
                 .order_by(Testimonial.usable.desc(), Testimonial.id.desc()).limit(200))


@bp.route("/testimonials")
@requires("marketing.authorizations.edit")
def testimonials():
    """Every testimonial and photo, whether it is usable and the authorization behind it (audited list)."""
    rows = list(prepared.run(_TESTIMONIALS, "marketing.testimonials"))
    audit.record_list("marketing.testimonials.list", (t.patient_id for t in rows))
    return render_page("marketing/testimonials.html", title="Testimonials and photos", rows=rows, uses=authorizations.USES,
                       breadcrumbs=[("Testimonials", None)])


def _patient_page(patient, auth_form, testimonial_form, status=200):
    auths = list(Authorization.select().where(Authorization.patient == patient.id).order_by(Authorization.signed_on.desc()))
    day = today()
    for row in auths:
        row.problem = authorizations.problem(row, row.use, day)
    items = list(Testimonial.select().where(Testimonial.patient == patient.id).order_by(Testimonial.id.desc()))
    return render_page("marketing/patient_authorizations.html", title="Testimonials and authorizations", patient=patient,
                       auths=auths, items=items, auth_form=auth_form, testimonial_form=testimonial_form,
                       revoke_form=RevokeForm(formdata=None, revoked_on=day), uses=authorizations.USES,
                       breadcrumbs=[("Patients", url_for("core.patients")),
                                    (patient.display_name, url_for("core.patient", patient_id=patient.id)),
                                    ("Testimonials and authorizations", None)]), status


@bp.route("/patients/<int:patient_id>/authorizations", methods=["GET", "POST"])
@requires("marketing.authorizations.edit")
def patient_authorizations(patient_id: int):
    """A patient's authorizations (with the signed forms) and testimonials; record a new authorization."""
    patient = load_for_display(patient_id, "marketing.authorizations.view")
    form = AuthorizationForm(formdata=None) if request.method == "GET" else AuthorizationForm()
    if request.method == "POST" and form.validate_on_submit():
        upload = form.signed_form.data
        try:
            with transaction():
                row = authorizations.record(patient.id, form.use.data, form.scope.data, form.signed_on.data,
                                            form.expires_on.data, username())
                files.attach("marketing", "authorization", row.id, authorizations.FILE_KIND, upload.stream,
                             upload.filename)
        except authorizations.AuthorizationError as exc:
            form.scope.errors.append(str(exc))
        except files.FileError as exc:
            form.signed_form.errors.append(str(exc))
        else:
            notify("Recorded the authorization with its signed form.")
            return redirect(url_for("marketing.patient_authorizations", patient_id=patient.id))
    return _patient_page(patient, form, TestimonialForm(formdata=None), 422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/testimonials", methods=["POST"])
@requires("marketing.authorizations.edit")
def testimonial_new(patient_id: int):
    """Keep a testimonial or photo description (not usable until an authorization is checked)."""
    patient = load_for_display(patient_id, "marketing.authorizations.view")
    form = TestimonialForm()
    if form.validate_on_submit():
        authorizations.add_testimonial(patient.id, form.use.data, form.text.data)
        notify("Kept the testimonial: mark it usable once its authorization is on file.")
        return redirect(url_for("marketing.patient_authorizations", patient_id=patient.id))
    return _patient_page(patient, AuthorizationForm(formdata=None), form, 422)


@bp.route("/testimonials/<int:testimonial_id>/usable", methods=["POST"])
@requires("marketing.authorizations.edit")
def testimonial_usable(testimonial_id: int):
    """Mark usable, after checking the patient's authorization (signed form, scope, expiry, revocation)."""
    row = Testimonial.get_or_none(Testimonial.id == testimonial_id) or abort(404)
    try:
        authorizations.mark_usable(row, today())
    except authorizations.AuthorizationError as exc:
        notify(str(exc), "error")
    else:
        notify("Marked usable.")
    return redirect(url_for("marketing.patient_authorizations", patient_id=row.patient_id))


@bp.route("/authorizations/<int:authorization_id>/revoke", methods=["POST"])
@requires("marketing.authorizations.edit")
def authorization_revoke(authorization_id: int):
    """Record the patient's revocation; the uses resting on it stop."""
    row, patient = load_record_for_display(Authorization, authorization_id, "marketing.authorization.view")
    form = RevokeForm()
    if form.validate_on_submit():
        withdrawn = authorizations.revoke(row, form.revoked_on.data, form.note.data or "")
        notify(f"Recorded the revocation; {withdrawn} use{'' if withdrawn == 1 else 's'} withdrawn.")
    else:
        notify("Give the date of the revocation.", "error")
    return redirect(url_for("marketing.patient_authorizations", patient_id=patient.id))

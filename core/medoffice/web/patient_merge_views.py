"""Merging a duplicate patient record into the one that stays: a form on the survivor's page that
names the duplicate by account number, a confirmation showing both, then the audited merge."""
from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth.access import requires
from ..models import Patient
from ..patient_merge import merge_patients
from ..patients import load_for_display
from ..runtime import all_models
from . import core_blueprint as bp
from .shell import notify, render_page


class MergeForm(FlaskForm):
    """The duplicate's account number (merged into the patient whose page this is)."""

    duplicate = StringField("Account number of the duplicate record", validators=[DataRequired(), Length(max=20)],
                            description="Its rows (visits, claims, payments, consents, files...) move to this "
                                        "patient and the duplicate is deactivated.")

    def __init__(self, *args, survivor: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.survivor = survivor
        self.found: Patient | None = None

    def validate_duplicate(self, field):
        """An active patient other than this one."""
        number = (field.data or "").strip().upper()
        self.found = Patient.select().where((Patient.account_number == number) & (Patient.active == True)).first()  # noqa: E712
        if self.found is None:
            raise ValidationError("No active patient has this account number.")
        if self.found.id == self.survivor.id:
            raise ValidationError("This is the patient the duplicate would be merged into.")


@bp.route("/patients/<int:patient_id>/merge", methods=["GET", "POST"])
@requires("core.patients.merge")
def patient_merge(patient_id: int):
    """Name a duplicate of this patient, confirm, and merge it into this one."""
    survivor = load_for_display(patient_id, "patient.merge.view")
    form = MergeForm(survivor=survivor)
    crumbs = [("Patients", url_for("core.patients")),
              (survivor.display_name, url_for("core.patient", patient_id=survivor.id)), ("Merge a duplicate", None)]
    if form.validate_on_submit():
        duplicate = load_for_display(form.found.id, "patient.merge.view")
        if request.form.get("confirmed") != "1":
            return render_page("core/patient_merge.html", title="Merge a duplicate", form=form,
                               survivor=survivor, duplicate=duplicate, breadcrumbs=crumbs)
        models = [m for group in all_models(current_app.extensions["medoffice"].host).values() for m in group]
        result = merge_patients(survivor.id, duplicate.id, models)
        moved = sum(result.moved.values())
        notify(f"Merged {duplicate.account_number} into {survivor.account_number}: {moved} "
               f"record{'' if moved == 1 else 's'} moved; {duplicate.account_number} is deactivated.")
        return redirect(url_for("core.patient", patient_id=survivor.id))
    return render_page("core/patient_merge.html", title="Merge a duplicate", form=form, survivor=survivor,
                       duplicate=None, breadcrumbs=crumbs), (422 if form.errors else 200)

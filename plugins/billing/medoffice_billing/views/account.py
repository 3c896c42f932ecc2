"""A patient's account: the chronological history with running balances, the guarantor's family, and the
account's notes and alerts."""
from __future__ import annotations

from flask import redirect, request, url_for
from medoffice.auth import requires
from medoffice.patients import load_for_change, load_for_display, record_shown
from medoffice.web.shell import notify, render_page

from .. import account_history, account_notes
from ..coverage import RELATIONSHIPS
from ..ledger import KIND_LABELS
from . import bp
from .ledger import patient_crumbs


@bp.route("/patients/<int:patient_id>/history")
@requires("billing.view")
def account_history_page(patient_id: int):
    """Every ledger entry of the patient in date order, with what the patient and insurance owe after each."""
    patient = load_for_display(patient_id, "billing.account_history.view")
    return render_page("billing/account_history.html", title=f"Account history: {patient.display_name}",
                       patient=patient, rows=account_history.history(patient.id), kind_labels=KIND_LABELS,
                       notes=account_notes.current(patient.id),
                       breadcrumbs=patient_crumbs(patient, ("Ledger", url_for("billing.ledger_page",
                                                                               patient_id=patient.id)),
                                                  ("History", None)))


@bp.route("/patients/<int:patient_id>/family")
@requires("billing.view")
def account_family(patient_id: int):
    """The guarantor's family: every patient the patient's guarantor answers for, with their balances."""
    patient = load_for_display(patient_id, "billing.family.view")
    guarantor, members = account_history.family(patient)
    record_shown("billing.family.view", patient, [m.patient.id for m in members])
    return render_page("billing/family.html", title=f"Family of {guarantor}", patient=patient, guarantor=guarantor,
                       members=members, relationships=RELATIONSHIPS,
                       total_patient=sum(m.patient_cents for m in members),
                       total_insurance=sum(m.insurance_cents for m in members),
                       breadcrumbs=patient_crumbs(patient, ("Ledger", url_for("billing.ledger_page",
                                                                               patient_id=patient.id)),
                                                  ("Family", None)))


@bp.route("/patients/<int:patient_id>/account-notes", methods=["POST"])
@requires("billing.payments.post")
def account_note_add(patient_id: int):
    """Add a note (or an alert) to the patient's account."""
    patient = load_for_change(patient_id)
    try:
        account_notes.add(patient.id, request.form.get("text", ""), bool(request.form.get("alert")))
    except account_notes.NoteError as exc:
        notify(str(exc), "error")
    else:
        notify("Added the note to the account.")
    return redirect(url_for("billing.ledger_page", patient_id=patient.id))


@bp.route("/patients/<int:patient_id>/account-notes/<int:note_id>/remove", methods=["POST"])
@requires("billing.payments.post")
def account_note_remove(patient_id: int, note_id: int):
    """Take a note off the patient's account."""
    patient = load_for_change(patient_id)
    try:
        account_notes.remove(patient.id, note_id)
    except account_notes.NoteError as exc:
        notify(str(exc), "error")
    else:
        notify("Removed the note.")
    return redirect(url_for("billing.ledger_page", patient_id=patient.id))

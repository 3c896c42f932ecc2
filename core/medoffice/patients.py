"""Loading patient data for display: one call fetches what a page shows and records the read.

Every page, fragment or file that shows a patient, or a record that names one (a policy, a
claim, a payment...), loads it through this module, so showing patient data without an audit
entry takes deliberate effort instead of a forgotten line:

- ``load_for_display(patient_id, action)``: the patient;
- ``load_record_for_display(Model, object_id, action)``: a row with a ``patient_id`` column and
  its patient;
- ``record_shown(action, about, patient_ids)``: an object that shows many patients (a claim batch,
  a remittance, a statement run).

Each answers 404 when the row is missing and appends the audit entry naming the patient: a read
(``audit.record_read``, no disk flush) for a page, or an entry that waits for the disk like a
change (``export=True``) for a file that leaves the application (a PDF, a download). Code that
changes a patient's data loads it with ``load_for_change`` and audits the change itself.
``tests/billing/test_patient_reads.py`` requests every GET route that takes a patient-bearing id and
fails when one records no read naming its patient.
"""
from __future__ import annotations

from flask import abort

from . import audit, prepared
from .models import Patient
from .prepared import slot

_PATIENT = Patient.select().where(Patient.id == slot("patient_id")).limit(1)


def load_for_change(patient_id: int) -> Patient:
    """The patient for a change (the change records its own audit entry); 404 when there is none."""
    found = next(iter(prepared.run(_PATIENT, "core.patient_by_id", patient_id=patient_id)), None)
    return found if found is not None else abort(404)


def load_for_display(patient_id: int, action: str, *, about=None, detail: dict | None = None,
                     export: bool = False) -> Patient:
    """The patient a page shows, with the audit entry of the read; 404 when there is none.

    :param action: the entry's action, such as ``patient.edit.view`` or ``billing.receipt.view``.
    :param about: the row the page is about when it is not the patient itself (a policy, a claim):
        the entry names that row and the patient.
    :param export: the data leaves the application (a PDF, a download): the entry is written like a
        change, waiting for the disk, instead of as a read.
    """
    patient = load_for_change(patient_id)
    object_type, object_id = ("patient", patient.id) if about is None else (about._meta.table_name, about.id)
    write = audit.record if export else audit.record_read
    write(action, object_type, object_id, patient_id=patient.id, detail=detail)
    return patient


def load_record_for_display(model, object_id: int, action: str, *, detail: dict | None = None,
                            export: bool = False):
    """A row of ``model`` (which has a ``patient_id`` column) and its patient, with the audit entry of the
    read naming both; 404 when either is missing. The arguments are those of :func:`load_for_display`.

    :return: ``(row, patient)``.
    """
    row = model.get_or_none(model.id == object_id)
    if row is None:
        abort(404)
    return row, load_for_display(row.patient_id, action, about=row, detail=detail, export=export)


def record_shown(action: str, about, patient_ids, *, export: bool = False, **detail) -> None:
    """Record that a page or file about ``about`` (a batch, a remittance...) showed these patients.

    The entry names ``about`` and lists the patients' ids in its detail (``patients``), as
    ``audit.record_list`` does for list pages.
    """
    shown = sorted({int(pid) for pid in patient_ids if pid is not None})
    write = audit.record if export else audit.record_read
    write(action, about._meta.table_name, about.id, detail={**detail, "patients": shown})

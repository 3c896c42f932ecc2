"""Notes and alerts on a patient's billing account ("calls before paying", "disputes the March visit"):
added and removed by staff, audited; alerts show wherever staff take the patient's payments."""
from __future__ import annotations

from medoffice import audit, prepared
from medoffice.db import transaction, utcnow
from medoffice.prepared import slot

from .actor import acting_user
from .models import AccountNote

MAX_TEXT = 500
_CURRENT = (AccountNote.select().where((AccountNote.patient_id == slot("patient_id")) & AccountNote.removed_at.is_null())
            .order_by(AccountNote.alert.desc(), AccountNote.id.desc()))


class NoteError(ValueError):
    """A note was refused; the message says why."""


def current(patient_id: int) -> list[AccountNote]:
    """The account's notes in force, alerts first, newest first."""
    return list(prepared.run(_CURRENT, "billing.account_notes", patient_id=patient_id))


def add(patient_id: int, text: str, alert: bool = False) -> AccountNote:
    """Add a note (an alert when ``alert``) to the account; audited."""
    text = " ".join((text or "").split())
    if not text:
        raise NoteError("Write the note.")
    if len(text) > MAX_TEXT:
        raise NoteError(f"Keep the note under {MAX_TEXT} characters.")
    _, username = acting_user()
    with transaction():
        note = AccountNote.create(patient_id=patient_id, text=text, alert=bool(alert), created_by=username)
        audit.record("billing.account_note.add", "billing_account_note", note.id, patient_id=patient_id,
                     detail={"alert": bool(alert)})
    return note


def remove(patient_id: int, note_id: int) -> None:
    """Take a note off the account (it is kept, marked removed); audited."""
    _, username = acting_user()
    with transaction():
        if not AccountNote.update(removed_at=utcnow(), removed_by=username).where(
                (AccountNote.id == note_id) & (AccountNote.patient_id == patient_id)
                & AccountNote.removed_at.is_null()).execute():
            raise NoteError("That note is not on the account any more.")
        audit.record("billing.account_note.remove", "billing_account_note", note_id, patient_id=patient_id)

"""The consent register: per patient, channel and purpose, granted or refused, with its source.

Entries are only ever added; the latest entry for (patient, channel, purpose) is what holds, so the
register keeps its whole history. No entry means no consent: the gate refuses to send.
Every change is audited; reads are audited by the views that show them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import current_app

from .. import audit
from ..db import transaction
from ..limits import MAX_ID
from ..models import Patient
from ..settings import today
from .models import Consent
from .templating import PATIENT_PURPOSES, PURPOSES

CHANNELS = {"email": "E-mail", "post": "Post", "phone": "Phone", "text": "Text messages"}
DECISIONS = {"granted": "Granted", "refused": "Refused"}
SOURCES = {
    "in_person": "Said so in person",
    "form": "Signed form",
    "phone_call": "On the phone",
    "email": "By e-mail",
    "letter": "By letter",
    "unsubscribe": "Unsubscribe request",
}
# Entries the upgrade wrote from the patient record's old contact flags (migration 0012); shown, never chosen.
CARRIED_OVER = {"patient_record": "Carried over from the patient record"}


class ConsentError(ValueError):
    """A consent entry was refused; the message says which value is wrong."""


def record(patient_id: int, channel: str, purpose: str, decision: str, source: str,
           given_on: dt.date | None = None, note: str = "", by: str = "") -> Consent:
    """Add an entry to the register (audited in the same transaction); it holds from now on.

    :param given_on: the day the patient said so (default today; never in the future).
    :raises ConsentError: an unknown channel, purpose, decision or source, or a future date.
    """
    given_on = given_on or today()
    for value, known, what in ((channel, CHANNELS, "channel"), (purpose, PATIENT_PURPOSES, "purpose"),
                               (decision, DECISIONS, "decision"), (source, SOURCES, "source")):
        if value not in known:
            raise ConsentError(f"Unknown {what} {value!r}: use one of {', '.join(known)}.")
    if given_on > today():
        raise ConsentError("The date the patient gave their answer cannot be in the future.")
    if not Patient.select().where(Patient.id == patient_id).exists():
        raise ConsentError(f"There is no patient {patient_id}.")
    with transaction():
        entry = Consent.create(patient=patient_id, channel=channel, purpose=purpose, decision=decision,
                               source=source, given_on=given_on, note=note.strip(), recorded_by=by)
        audit.record("messages.consent.record", "patient", patient_id, patient_id=patient_id,
                     detail={"channel": channel, "purpose": purpose, "decision": decision,
                             "source": source, "given_on": given_on.isoformat()})
    return entry


def source_label(source: str) -> str:
    """How the office learned an answer, in words."""
    return SOURCES.get(source) or CARRIED_OVER.get(source, source)


def latest(patient_id: int, channel: str, purpose: str) -> Consent | None:
    """The entry that holds for (patient, channel, purpose), or None when there is none."""
    return (Consent.select().where((Consent.patient == patient_id) & (Consent.channel == channel)
                                   & (Consent.purpose == purpose))
            .order_by(Consent.id.desc()).first())


def current(patient_id: int) -> dict[tuple[str, str], Consent]:
    """The entries that hold for a patient, by (channel, purpose)."""
    holding: dict[tuple[str, str], Consent] = {}
    for entry in Consent.select().where(Consent.patient == patient_id).order_by(Consent.id):
        holding[(entry.channel, entry.purpose)] = entry
    return holding


def history(patient_id: int, limit: int = 50) -> list[Consent]:
    """A patient's entries, newest first."""
    return list(Consent.select().where(Consent.patient == patient_id).order_by(Consent.id.desc()).limit(limit))


def refusal_reason(entry: Consent | None, channel: str, purpose: str) -> str | None:
    """Why the register does not allow (channel, purpose); None when it is granted."""
    what = f"{CHANNELS[channel].lower()} about {PURPOSES[purpose].lower()}"
    if entry is None:
        return f"No consent on record for {what}: record the patient's answer on their page first."
    if entry.decision != "granted":
        return (f"The patient refused {what} on {entry.given_on.isoformat()} "
                f"({source_label(entry.source).lower()}).")
    return None


# --- unsubscribe codes: how a marketing e-mail's reply is traced back to its patient -------

def _mac(patient_id: int) -> str:
    # The backup key outlives a restore onto a new computer, so codes in old e-mails keep working.
    key = current_app.config["BACKUP_KEY"].encode("utf-8")
    return hmac.new(key, f"unsubscribe:{patient_id}".encode(), hashlib.sha256).hexdigest()[:12]


def unsubscribe_code(patient_id: int) -> str:
    """The code a marketing e-mail carries for its patient (``42-1a2b3c4d5e6f``): it names the
    patient to the office and cannot be guessed for another patient."""
    return f"{patient_id}-{_mac(patient_id)}"


def patient_for_code(code: str) -> int | None:
    """The patient an unsubscribe code belongs to, or None when the code is not genuine."""
    head, _, mac = code.strip().partition("-")
    if not (head.isascii() and head.isdecimal() and int(head) <= MAX_ID) or not hmac.compare_digest(
            mac.lower(), _mac(int(head))):
        return None
    return int(head)

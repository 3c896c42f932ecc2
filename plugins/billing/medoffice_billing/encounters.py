"""Charge capture: encounters, their diagnoses and service lines, and posting charges to the ledger.

Every change is audited with the patient id. Charges reach the ledger when the encounter is
posted (a claim is created, or the visit is billed to the patient); after that each change to
a line posts the difference, so the ledger's charges for a line always equal the line. Each
charge entry publishes ``billing.charge_posted`` (``billing.charge_voided`` for a removed line)
in the same transaction.
"""
from __future__ import annotations

from medoffice import audit
from medoffice.db import transaction, utcnow
from medoffice.events import publish_all
from peewee import Case, fn

from . import icd10, numbering
from .actor import acting_user
from .in_list import one_of
from .models import (OPEN_STATES, SENT_STATES, Claim, Diagnosis, Encounter, LineTransaction,
                     ServiceLine)
from .reference import default_charge_cents, display_icd10
from .validators import icd10_is_valid_format, normalize_icd10

MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_UNITS = 999
ENCOUNTER_FIELDS = ("service_date", "place_of_service", "location_id", "rendering_provider_id",
                    "referring_provider_id", "prior_authorization", "notes")


class ChargeError(ValueError):
    """A charge-entry change was refused; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- Reading ------------------------------------------------------------------------------------

def diagnoses(encounter: Encounter) -> list[Diagnosis]:
    """The encounter's diagnoses in pointer order."""
    return list(Diagnosis.select().where(Diagnosis.encounter == encounter).order_by(Diagnosis.position))


def lines(encounter: Encounter) -> list[ServiceLine]:
    """The encounter's active service lines in order."""
    return list(ServiceLine.select()
                .where((ServiceLine.encounter == encounter) & (ServiceLine.active == True))  # noqa: E712
                .order_by(ServiceLine.line_number))


def lock_reason(encounter: Encounter) -> str | None:
    """Why the charges cannot change now (a claim went out and has no open correction), or None."""
    replacement = Claim.alias()
    open_correction = replacement.select().where(
        (replacement.original_claim == Claim.id) & (replacement.frequency_code == "7")
        & replacement.status.in_(OPEN_STATES))
    sent = (Claim.select(Claim.claim_number, Claim.status)
            .where((Claim.encounter == encounter) & Claim.status.in_(SENT_STATES)
                   & (Claim.frequency_code != "8") & ~fn.EXISTS(open_correction))
            .first())
    if sent is None:
        return None
    return (f"Claim {sent.claim_number} is {sent.status.replace('_', ' ')}: the charges it billed cannot "
            "change. Correct the claim (a replacement claim) to change them.")


def _require_unlocked(encounter: Encounter) -> None:
    reason = lock_reason(encounter)
    if reason:
        raise ChargeError("encounter", reason)


# --- Encounters -------------------------------------------------------------------------------------

def create_encounter(patient_id: int, values: dict) -> Encounter:
    """Open an encounter for a patient from cleaned header values; audited."""
    values = {k: values[k] for k in ENCOUNTER_FIELDS if k in values}
    user_id, _ = acting_user()
    with transaction():
        encounter = Encounter.create(patient_id=patient_id, created_by_user_id=user_id, **values)
        audit.record("billing.encounter.create", "billing_encounter", encounter.id, patient_id=patient_id,
                     detail={"service_date": encounter.service_date})
    return encounter


def update_encounter(encounter: Encounter, values: dict) -> Encounter:
    """Change the header (date, place, providers, location, authorization); lines follow the date."""
    _require_unlocked(encounter)
    values = {k: values[k] for k in ENCOUNTER_FIELDS if k in values}
    changed = sorted(k for k, v in values.items() if getattr(encounter, k) != v)
    with transaction():
        Encounter.update(updated_at=utcnow(), **values).where(Encounter.id == encounter.id).execute()
        if "service_date" in changed:
            ServiceLine.update(service_date=values["service_date"], updated_at=utcnow()).where(
                ServiceLine.encounter == encounter).execute()
        encounter = Encounter.get_by_id(encounter.id)
        audit.record("billing.encounter.update", "billing_encounter", encounter.id,
                     patient_id=encounter.patient_id, detail={"fields": changed})
        _after_change(encounter)
    return encounter


# --- Diagnoses ---------------------------------------------------------------------------------------

def add_diagnosis(encounter: Encounter, code: str) -> Diagnosis:
    """Add an ICD-10-CM code at the next position (at most 12, no repeats)."""
    _require_unlocked(encounter)
    if not icd10_is_valid_format(code or ""):
        raise ChargeError("diagnosis", f"{code!r} is not an ICD-10-CM code: use a letter, two characters, "
                          "then up to four more, such as E11.9 or J06.9.")
    code = normalize_icd10(code)
    if icd10.find(code) is None:
        raise ChargeError("diagnosis", f"{display_icd10(code)} is not an ICD-10-CM code: search by code or words "
                          "and pick one from the list.")
    current = diagnoses(encounter)
    if any(d.code == code for d in current):
        raise ChargeError("diagnosis", f"{code} is already on this encounter.")
    if len(current) >= MAX_DIAGNOSES:
        raise ChargeError("diagnosis", f"A claim carries at most {MAX_DIAGNOSES} diagnoses.")
    with transaction():
        dx = Diagnosis.create(encounter=encounter, position=len(current) + 1, code=code)
        audit.record("billing.diagnosis.add", "billing_encounter", encounter.id,
                     patient_id=encounter.patient_id, detail={"position": dx.position})
        _after_change(encounter)
    return dx


def remove_diagnosis(encounter: Encounter, position: int) -> None:
    """Remove a diagnosis; later ones move up and line pointers follow them.

    :raises ChargeError: when a line points at nothing else (point it elsewhere first).
    """
    _require_unlocked(encounter)
    current = diagnoses(encounter)
    if not any(d.position == position for d in current):
        raise ChargeError("diagnosis", f"There is no diagnosis {position}.")
    active = lines(encounter)
    updates = {}
    for line in active:
        moved = [p if p < position else p - 1 for p in line.pointers if p != position]
        if not moved:
            raise ChargeError("diagnosis", f"Line {line.line_number} ({line.code}) points only at diagnosis "
                              f"{position}: point it at another diagnosis first.")
        if moved != line.pointers:
            updates[line.id] = moved
    with transaction():
        Diagnosis.delete().where((Diagnosis.encounter == encounter) & (Diagnosis.position == position)).execute()
        for dx in current:
            if dx.position > position:
                Diagnosis.update(position=dx.position - 1).where(Diagnosis.id == dx.id).execute()
        for line_id, pointers in updates.items():
            ServiceLine.update(updated_at=utcnow(), **_pointer_columns(pointers)).where(
                ServiceLine.id == line_id).execute()
        audit.record("billing.diagnosis.remove", "billing_encounter", encounter.id,
                     patient_id=encounter.patient_id, detail={"position": position})
        _after_change(encounter)


# --- Service lines -------------------------------------------------------------------------------------

def _pointer_columns(pointers: list[int]) -> dict:
    padded = list(pointers) + [None] * (4 - len(pointers))
    return {"pointer1": padded[0], "pointer2": padded[1], "pointer3": padded[2], "pointer4": padded[3]}


def _modifier_columns(modifiers: list[str]) -> dict:
    padded = list(modifiers) + [""] * (4 - len(modifiers))
    return {f"modifier{i}": padded[i - 1] for i in range(1, 5)}


def _line_values(encounter: Encounter, values: dict) -> dict:
    """Check a line's cleaned values against the encounter; fill the charge from the fee schedule."""
    code, modifiers, units = values["code"], list(values.get("modifiers") or []), values.get("units") or 1
    pointers = list(values.get("pointers") or [1])
    if len(modifiers) > 4:
        raise ChargeError("modifiers", "A line takes at most 4 modifiers.")
    if not 1 <= units <= MAX_UNITS:
        raise ChargeError("units", f"Units must be between 1 and {MAX_UNITS}.")
    count = Diagnosis.select().where(Diagnosis.encounter == encounter).count()
    if count == 0:
        raise ChargeError("pointers", "Add a diagnosis first: every line points at one.")
    if not 1 <= len(pointers) <= 4 or len(set(pointers)) != len(pointers):
        raise ChargeError("pointers", "Point the line at 1 to 4 different diagnoses, such as 1 or 1,2.")
    outside = [p for p in pointers if not 1 <= p <= count]
    if outside:
        raise ChargeError("pointers", f"Diagnosis {outside[0]} does not exist: the encounter has {count}.")
    charge = values.get("charge_cents")
    if charge is None:
        charge = default_charge_cents(code, modifiers, units)
        if charge is None:
            raise ChargeError("charge", f"{code} is not on the fee schedule: enter the charge.")
    if charge <= 0:
        raise ChargeError("charge", "The charge must be more than $0.00.")
    return {"code": code, "units": units, "charge_cents": charge,
            **_modifier_columns(modifiers), **_pointer_columns(pointers)}


def add_line(encounter: Encounter, values: dict) -> ServiceLine:
    """Add a service line: code, up to 4 modifiers, units, charge (None: fee schedule), pointers."""
    _require_unlocked(encounter)
    columns = _line_values(encounter, values)
    query = ServiceLine.select().where((ServiceLine.encounter == encounter) & (ServiceLine.active == True))  # noqa: E712
    if query.count() >= MAX_LINES:
        raise ChargeError("code", f"A claim carries at most {MAX_LINES} lines; start another encounter.")
    last = (ServiceLine.select(fn.MAX(ServiceLine.line_number))
            .where(ServiceLine.encounter == encounter).scalar() or 0)
    with transaction():
        control = numbering.line_control_number(numbering.allocate(numbering.LINE_COUNTER))
        line = ServiceLine.create(encounter=encounter, patient_id=encounter.patient_id, line_number=last + 1,
                                  service_date=encounter.service_date, control_number=control, **columns)
        audit.record("billing.line.add", "billing_service_line", line.id, patient_id=encounter.patient_id,
                     detail={"encounter_id": encounter.id, "code": line.code, "charge_cents": line.charge_cents})
        _after_change(encounter)
    return line


def update_line(line: ServiceLine, values: dict) -> ServiceLine:
    """Change a line's code, modifiers, units, charge or pointers."""
    encounter = line.encounter
    _require_unlocked(encounter)
    columns = _line_values(encounter, values)
    changed = sorted(k for k, v in columns.items() if getattr(line, k) != v)
    with transaction():
        ServiceLine.update(updated_at=utcnow(), **columns).where(ServiceLine.id == line.id).execute()
        audit.record("billing.line.update", "billing_service_line", line.id, patient_id=line.patient_id,
                     detail={"fields": changed})
        _after_change(encounter)
    return ServiceLine.get_by_id(line.id)


def remove_line(line: ServiceLine) -> None:
    """Remove a line: deleted outright before posting, kept inactive (charge reversed) after."""
    encounter = line.encounter
    _require_unlocked(encounter)
    with transaction():
        if encounter.status == "posted" or LineTransaction.select().where(
                LineTransaction.service_line == line).exists():
            ServiceLine.update(active=False, updated_at=utcnow()).where(ServiceLine.id == line.id).execute()
        else:
            ServiceLine.delete().where(ServiceLine.id == line.id).execute()
        audit.record("billing.line.remove", "billing_service_line", line.id, patient_id=line.patient_id,
                     detail={"encounter_id": encounter.id, "code": line.code})
        _after_change(encounter)


# --- The ledger ------------------------------------------------------------------------------------------

def charge_party(encounter: Encounter) -> str:
    """Whom new charges are billed to: insurance when a live claim bills the encounter, else the patient."""
    billed = Claim.select().where((Claim.encounter == encounter) & (Claim.status != "closed")).exists()
    return "insurance" if billed else "patient"


def sync_charges(encounter: Encounter) -> int:
    """Post charge entries so each line's posted charges equal its charge (removed lines: zero),
    each with its event; call it inside a transaction.

    Runs only once the encounter is posted. :return: the number of entries written.
    """
    status, location_id, provider_id = (Encounter.select(Encounter.status, Encounter.location_id,
                                                         Encounter.rendering_provider_id)
                                        .where(Encounter.id == encounter.id).tuples().get())
    if status != "posted":
        return 0
    all_lines = list(ServiceLine.select().where(ServiceLine.encounter == encounter))
    posted = dict(LineTransaction.select(LineTransaction.service_line, fn.SUM(LineTransaction.amount_cents))
                  .where((LineTransaction.kind == "charge")
                         & LineTransaction.service_line.in_([l.id for l in all_lines]))
                  .group_by(LineTransaction.service_line).tuples()) if all_lines else {}
    party = charge_party(encounter)
    user_id, _ = acting_user()
    rows = []
    for line in all_lines:
        target = line.charge_cents if line.active else 0
        delta = target - posted.get(line.id, 0)
        if delta:
            rows.append({
                "kind": "charge", "party": party, "patient_id": encounter.patient_id, "service_line": line.id,
                "amount_cents": delta, "source": "charge_entry", "effective_date": line.service_date,
                "posted_at": utcnow(), "posted_by_user_id": user_id,
                "memo": "charge" if line.id not in posted else "charge changed",
            })
    if rows:
        removed = {line.id for line in all_lines if not line.active}
        stored = (LineTransaction.insert_many(rows).returning(
            LineTransaction.id, LineTransaction.service_line, LineTransaction.amount_cents,
            LineTransaction.effective_date, LineTransaction.posted_at).tuples().execute())
        publish_all(("billing.charge_voided" if line_id in removed else "billing.charge_posted", {
            "transaction_id": tx_id, "patient_id": encounter.patient_id, "encounter_id": encounter.id,
            "service_line_id": line_id, "amount_cents": amount, "party": party, "effective_date": day,
            "posted_at": posted_at, "location_id": location_id, "rendering_provider_id": provider_id})
            for tx_id, line_id, amount, day, posted_at in stored)
    return len(rows)


def post_charges(encounter: Encounter) -> int:
    """Put the encounter's charges on the ledger (idempotent); audited. :return: entries written."""
    if not lines(encounter):
        raise ChargeError("code", "The encounter has no service lines to post.")
    with transaction():
        if encounter.status != "posted":
            Encounter.update(status="posted", updated_at=utcnow()).where(Encounter.id == encounter.id).execute()
            encounter.status = "posted"
        written = sync_charges(encounter)
        audit.record("billing.encounter.post", "billing_encounter", encounter.id,
                     patient_id=encounter.patient_id, detail={"entries": written})
    return written


def post_charges_many(billed: list[Encounter]) -> int:
    """``post_charges`` for many encounters (claims made in bulk): those already posted with every charge on
    the ledger cost a few queries for all of them; any other is posted on its own. :return: entries written."""
    ids = sorted({e.id for e in billed})
    status, targets, posted = {}, {}, {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        status.update(Encounter.select(Encounter.id, Encounter.status).where(one_of(Encounter.id, chunk)).tuples())
        for line_id, encounter_id, charge, active in (
                ServiceLine.select(ServiceLine.id, ServiceLine.encounter, ServiceLine.charge_cents, ServiceLine.active)
                .where(one_of(ServiceLine.encounter, chunk)).tuples()):
            targets.setdefault(encounter_id, {})[line_id] = charge if active else 0
        lines = [line_id for encounter_id in chunk for line_id in targets.get(encounter_id, {})]
        charged = fn.SUM(Case(None, [(LineTransaction.kind == "charge", LineTransaction.amount_cents)], 0))
        for line_start in range(0, len(lines), 500):
            # The lines alone in the WHERE: with the kind there too, a database without statistics may
            # read every charge ever posted through the kind's index instead.
            posted.update(LineTransaction.select(LineTransaction.service_line, charged)
                          .where(one_of(LineTransaction.service_line, lines[line_start:line_start + 500]))
                          .group_by(LineTransaction.service_line).tuples())
    written, in_step = 0, []
    with transaction():
        for encounter in {e.id: e for e in billed}.values():
            behind = status.get(encounter.id) != "posted" or any(
                target != (posted.get(line_id) or 0) for line_id, target in targets.get(encounter.id, {}).items())
            if behind:
                written += post_charges(encounter)
            else:
                in_step.append(encounter)
        audit.record_many([{"action": "billing.encounter.post", "object_type": "billing_encounter",
                            "object_id": e.id, "patient_id": e.patient_id, "detail": {"entries": 0}} for e in in_step])
    return written


def _after_change(encounter: Encounter) -> None:
    """Keep the ledger and the encounter's open claims in step with a change (same transaction)."""
    from .claims import refresh_open_claims  # claims imports this module

    Encounter.update(updated_at=utcnow()).where(Encounter.id == encounter.id).execute()
    sync_charges(encounter)
    refresh_open_claims(encounter)

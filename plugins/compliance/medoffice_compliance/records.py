"""Medical-records rules: the retention schedule by record type and state (data the practice
edits), patients' last dates of service (from billing's charge events, so retention counts from
the last visit), the records due for destruction, the destruction log with method, witness and
certificate, and legal holds that stop destruction."""
from __future__ import annotations

import datetime as dt
import functools

from medoffice import audit, files, prepared, settings
from medoffice.db import transaction
from medoffice.events import Subscription
from medoffice.models import Patient
from medoffice.prepared import slot
from peewee import EXCLUDED, Value, fn

from . import rules
from .models import Destruction, LastService, LegalHold, RetentionRule

OWNER = "compliance"
CERTIFICATE_KIND = "compliance.destruction_certificate"
MEDICAL_RECORD = "medical_record"


class RecordsError(ValueError):
    """Input refused, with the field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def save_rule(record_type: str, state: str, adult_years: int, majority_age: int, minor_years: int,
              note: str = "") -> RetentionRule:
    """Add or change the rule for a record type in a state ("" for the default)."""
    record_type = record_type.strip().lower().replace(" ", "_")
    if not record_type or len(record_type) > 60:
        raise RecordsError("Name the type of record.", "record_type")
    if state and state not in rules.STATES:
        raise RecordsError("Choose a state, or none for the default.", "state")
    if not 1 <= adult_years <= 100:
        raise RecordsError("Keep records 1 to 100 years.", "adult_years")
    if not 14 <= majority_age <= 25 or not 0 <= minor_years <= 100:
        raise RecordsError("Majority is 14 to 25; years after it 0 to 100.", "majority_age")
    with transaction():
        rule, created = RetentionRule.get_or_create(record_type=record_type, state=state,
                                                    defaults={"adult_years": adult_years})
        before = {} if created else {"adult_years": rule.adult_years, "majority_age": rule.majority_age,
                                     "minor_years": rule.minor_years}
        rule.adult_years, rule.majority_age, rule.minor_years, rule.note = (adult_years, majority_age, minor_years,
                                                                            note.strip()[:200])
        rule.save()
        audit.record("compliance.retention_rule.save", "compliance_retention_rule", rule.id,
                     detail={"before": before, "after": {"adult_years": adult_years, "majority_age": majority_age,
                                                         "minor_years": minor_years}})
    return rule


def rule_for(record_type: str, state: str) -> RetentionRule | None:
    """The state's rule for the record type, else the default one."""
    found = {r.state: r for r in RetentionRule.select().where((RetentionRule.record_type == record_type)
                                                              & RetentionRule.state.in_([state or "", ""]))}
    return found.get(state) or found.get("")


def note_service(event) -> None:
    """Keep the patient's latest date of service from a billing charge event (idempotent): one upsert, so a
    charge costs the same statements whether the patient is new here, later or earlier than what is kept."""
    patient_id, day = event.data["patient_id"], dt.date.fromisoformat(str(event.data["effective_date"]))
    (LastService.insert_from(Patient.select(Patient.id, Value(day)).where(Patient.id == patient_id),
                             [LastService.patient, LastService.last_service_on])
     .on_conflict(conflict_target=[LastService.patient],
                  update={LastService.last_service_on: EXCLUDED.last_service_on},
                  where=LastService.last_service_on < EXCLUDED.last_service_on)
     .execute())


def note_services(events) -> None:
    """Keep the latest dates of service of a batch of charge events at once (the subscription's batch handler):
    each patient's latest day in the batch, in one upsert for the patients who exist, as ``note_service`` each."""
    latest: dict[int, dt.date] = {}
    for event in events:
        patient_id, day = event.data["patient_id"], dt.date.fromisoformat(str(event.data["effective_date"]))
        latest[patient_id] = max(day, latest.get(patient_id, day))
    known = {pid for (pid,) in Patient.select(Patient.id).where(Patient.id.in_(list(latest))).tuples()}
    rows = [{"patient": pid, "last_service_on": day} for pid, day in sorted(latest.items()) if pid in known]
    if rows:
        (LastService.insert_many(rows)
         .on_conflict(conflict_target=[LastService.patient],
                      update={LastService.last_service_on: EXCLUDED.last_service_on},
                      where=LastService.last_service_on < EXCLUDED.last_service_on)
         .execute())


SUBSCRIPTION = Subscription("compliance.last_service", ["billing.charge_posted"], note_service,
                            title="Last dates of service for records retention", batch_handler=note_services)


def patient_of_destruction(destruction_id: int) -> int | None:
    """The patient a destruction certificate concerns (for core's files service)."""
    row = Destruction.get_or_none(Destruction.id == destruction_id)
    return row.patient_id if row else None


def held_patients():
    """Ids of patients under a legal hold now."""
    return LegalHold.select(LegalHold.patient).where(LegalHold.released_on.is_null())


_RULES_OF_TYPE = RetentionRule.select().where(RetentionRule.record_type == slot("record_type"))


@functools.lru_cache(maxsize=64)
def _due_query(rule_state: bool, others: int):
    """The patients past a rule's adult cut-off (its state's, or the default's: every state without a rule
    of its own, ``others`` of them), not held and not destroyed, with slots for the values."""
    state = fn.UPPER(fn.COALESCE(Patient.state, ""))
    in_scope = (state == slot("state")) if rule_state else (
        state.not_in([slot(f"other{i}") for i in range(others)]) if others else Patient.id.is_null(False))
    return (Patient.select(Patient.id, Patient.first_name, Patient.last_name, Patient.account_number,
                           Patient.date_of_birth, Patient.state, LastService.last_service_on)
            .join(LastService, on=(LastService.patient == Patient.id))
            .where(in_scope & (LastService.last_service_on <= slot("cutoff"))
                   & Patient.id.not_in(held_patients())
                   & Patient.id.not_in(Destruction.select(Destruction.patient)
                                       .where(Destruction.record_type == slot("record_type"))))
            .order_by(LastService.last_service_on).dicts())


def due_for_destruction(today: dt.date, record_type: str = MEDICAL_RECORD,
                        schedule: list[RetentionRule] | None = None) -> list[dict]:
    """Patients whose records of ``record_type`` may be destroyed by ``today`` under the schedule
    (their state's rule, else the default): not under a hold, not yet destroyed. The adult cut-off
    narrows the rows in SQL; the minors' rule is applied to those rows only. The queries are
    compiled once per shape (a state's rule, or the default with so many other states).

    :param schedule: every retention rule, when the caller has read them already (the records page
        shows them): those of ``record_type`` are taken from it instead of being read again.
    """
    rows = []
    if schedule is None:
        type_rules = list(prepared.run(_RULES_OF_TYPE, "compliance.retention_rules_of_type", record_type=record_type))
    else:
        type_rules = [rule for rule in schedule if rule.record_type == record_type]
    others = [r.state for r in type_rules if r.state != ""]
    for rule in type_rules:
        shape = (bool(rule.state), 0 if rule.state else len(others))
        values = {"state": rule.state, "cutoff": rules.add_years(today, -rule.adult_years),
                  "record_type": record_type, **{f"other{i}": other for i, other in enumerate(others)}}
        for row in prepared.run(_due_query(*shape), ("compliance.due_for_destruction", *shape), **values):
            after = rules.destroy_after(row["last_service_on"], row["date_of_birth"], rule.adult_years,
                                        rule.majority_age, rule.minor_years)
            if after <= today:
                rows.append({**row, "destroy_after": after, "rule_state": rule.state or "default"})
    return rows


def place_hold(patient_id: int, reason: str, placed_on: dt.date, *, by: str) -> LegalHold:
    """Put a patient's records under a legal hold."""
    if not reason.strip():
        raise RecordsError("Give the reason (the matter, the request).", "reason")
    with transaction():
        hold = LegalHold.create(patient=patient_id, reason=reason.strip()[:300], placed_on=placed_on, placed_by=by)
        audit.record("compliance.legal_hold.place", "compliance_legal_hold", hold.id, patient_id=patient_id)
    return hold


def release_hold(hold: LegalHold, on: dt.date, *, by: str) -> None:
    """Release a legal hold."""
    if hold.released_on is not None:
        raise RecordsError("The hold was already released.")
    with transaction():
        hold.released_on, hold.released_by = on, by
        hold.save()
        audit.record("compliance.legal_hold.release", "compliance_legal_hold", hold.id, patient_id=hold.patient_id)


def record_destruction(patient_id: int, record_type: str, destroyed_on: dt.date, method: str, witness: str, *,
                       by: str, certificate=None, filename: str = "") -> Destruction:
    """Log a destruction with its method, witness and certificate; refused while a legal hold stands."""
    if LegalHold.select().where((LegalHold.patient == patient_id) & LegalHold.released_on.is_null()).exists():
        raise RecordsError("These records are under a legal hold: they may not be destroyed.")
    if not method.strip() or not witness.strip():
        raise RecordsError("Give the method and the witness.", "method")
    if destroyed_on > settings.today():
        raise RecordsError("A destruction cannot be dated in the future.", "destroyed_on")
    with transaction():
        row = Destruction.create(patient=patient_id, record_type=record_type.strip()[:60] or MEDICAL_RECORD,
                                 destroyed_on=destroyed_on, method=method.strip()[:120], witness=witness.strip()[:150],
                                 recorded_by=by)
        if certificate is not None:
            try:
                files.attach(OWNER, "destruction", row.id, CERTIFICATE_KIND, certificate, filename or "certificate")
            except files.FileError as refused:
                raise RecordsError(str(refused), "certificate") from None
        audit.record("compliance.destruction.create", "compliance_destruction", row.id, patient_id=patient_id,
                     detail={"record_type": row.record_type, "destroyed_on": destroyed_on.isoformat()})
    return row

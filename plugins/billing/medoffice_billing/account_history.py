"""A patient's account as a chronological list: every ledger entry in date order with what the patient
and insurance owe after it (running balances), and the family a guarantor answers for."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice import prepared
from medoffice.models import Patient
from medoffice.prepared import slot
from peewee import JOIN, fn

from .ledger import KIND_LABELS, LT, as_date, balances_for
from .models import PatientAccount, ServiceLine


@dataclass
class HistoryRow:
    """One ledger entry and the balances after it (cents)."""

    day: dt.date
    what: str
    party: str
    amount_cents: int
    patient_after: int
    insurance_after: int

    @property
    def total_after(self) -> int:
        """Everything still owed on the account after this entry."""
        return self.patient_after + self.insurance_after


_ENTRIES = (LT.select(LT.effective_date, LT.kind, LT.party, LT.amount_cents, LT.group_code, LT.carc, LT.memo,
                      LT.reference, ServiceLine.code)
            .join(ServiceLine, JOIN.LEFT_OUTER, on=(ServiceLine.id == LT.service_line))
            .where(LT.patient_id == slot("patient_id"))
            .order_by(LT.effective_date, LT.id).tuples())


def history(patient_id: int) -> list[HistoryRow]:
    """Every ledger entry of the patient, oldest first, with the running balances (one query)."""
    rows, patient, insurance = [], 0, 0
    for day, kind, party, amount, group, carc, memo, reference, code in prepared.run(
            _ENTRIES, "billing.account_history", patient_id=patient_id):
        if party == "patient":
            patient += amount
        else:
            insurance += amount
        parts = [KIND_LABELS.get(kind, kind)]
        if code:
            parts.append(code)
        if group:
            parts.append(f"{group}-{carc}")
        if memo:
            parts.append(memo)
        elif reference:
            parts.append(reference)
        rows.append(HistoryRow(as_date(day), " · ".join(parts), party, amount, patient, insurance))
    return rows


def _guarantor_key(first: str, last: str, address: str, zip_code: str) -> tuple:
    return tuple(" ".join((part or "").lower().split()) for part in (last, first, address, (zip_code or "")[:5]))


@dataclass
class Member:
    """A patient of a guarantor's family: who, how related to the guarantor, and their balances."""

    patient: Patient
    relationship: str
    patient_cents: int
    insurance_cents: int


def family(patient: Patient) -> tuple[str, list[Member]]:
    """The guarantor answering for ``patient``'s account (a name) and every patient they answer for,
    the guarantor first when a patient (matched by name, street address and ZIP code; three queries)."""
    account = PatientAccount.get_or_none(PatientAccount.patient_id == patient.id)
    if account is not None and account.guarantor_relationship != "18" and account.guarantor_last_name:
        key = _guarantor_key(account.guarantor_first_name, account.guarantor_last_name,
                             account.guarantor_address1, account.guarantor_zip)
        name = f"{account.guarantor_first_name} {account.guarantor_last_name}".strip()
    else:
        key = _guarantor_key(patient.first_name, patient.last_name, patient.address1, patient.zip)
        name = f"{patient.first_name} {patient.last_name}"
    last = key[0]
    # candidates by last name in SQL, compared in full here (spacing and case as people type them)
    accounts = [a for a in PatientAccount.select().where((fn.LOWER(PatientAccount.guarantor_last_name) == last)
                                                          & (PatientAccount.guarantor_relationship != "18"))
                if _guarantor_key(a.guarantor_first_name, a.guarantor_last_name, a.guarantor_address1,
                                  a.guarantor_zip) == key]
    relationship = {a.patient_id: a.guarantor_relationship for a in accounts}
    guarantors = [p for p in Patient.select().where(fn.LOWER(Patient.last_name) == last)
                  if _guarantor_key(p.first_name, p.last_name, p.address1, p.zip) == key
                  and p.id not in relationship]
    if guarantors:  # the guarantor is a patient: their name as registered, not as typed on each account
        name = f"{guarantors[0].first_name} {guarantors[0].last_name}"
    ids = [p.id for p in guarantors] + sorted(relationship)
    people = {p.id: p for p in guarantors}
    people.update({p.id: p for p in Patient.select().where(Patient.id.in_(sorted(relationship)))} if relationship else {})
    if patient.id not in people:  # the patient themselves, whatever the matching found
        people[patient.id] = patient
        ids.append(patient.id)
        relationship.setdefault(patient.id, account.guarantor_relationship if account else "18")
    owed = balances_for(ids)
    members = [Member(people[i], relationship.get(i, "18"), owed[i].patient_cents if i in owed else 0,
                      owed[i].insurance_cents if i in owed else 0) for i in dict.fromkeys(ids)]
    return name, members

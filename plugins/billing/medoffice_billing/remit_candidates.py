"""Claims an unmatched 835 claim payment may belong to, best first, so staff match it in one click.

A candidate is a claim of the remittance's payer that the payer could have answered (``MATCHABLE``)
and that shares the payment's member ID, or both a date of service and the charge. It scores for
each fact that fits: member ID 4, date of service 2, charge 2, the patient's last name 1; ties go to
the newest claim. One query serves every payment on the page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice.models import Patient

from .models import Claim, Coverage, RemitClaim
from .remit_matching import MATCHABLE, chunks

SHOWN = 5  # candidates per claim payment
WEIGHTS = {"member": 4, "date": 2, "charge": 2, "name": 1}


@dataclass
class Candidate:
    """A claim that may be the one a claim payment pays, and which of the payment's facts it fits."""

    claim_id: int
    claim_number: str
    patient_id: int
    patient_name: str
    member_id: str
    service_date: dt.date
    charge_cents: int
    status: str
    fits: frozenset[str]

    @property
    def score(self) -> int:
        """How well it fits (``WEIGHTS`` summed over the facts that fit)."""
        return sum(WEIGHTS[fact] for fact in self.fits)


def _last_name(payer_wrote: str) -> str:
    return payer_wrote.split(",", 1)[0].strip().lower()


def candidates(entries: list[RemitClaim], service_days: dict[int, set[dt.date]]) -> dict[int, list[Candidate]]:
    """The ranked candidates of each unmatched claim payment (by entry id), at most ``SHOWN`` each.

    :param entries: the exceptions, with their remittance loaded (``entry.remittance.payer_id``).
    :param service_days: each entry's dates of service (from its claim payment), by entry id.
    """
    members = {e.member_id for e in entries if e.member_id}
    days = set().union(*service_days.values()) if service_days else set()
    charges = {abs(e.charge_cents) for e in entries}
    payers = {e.remittance.payer_id for e in entries}
    found: dict[int, tuple] = {}
    if not payers:
        return {}
    columns = (Claim.id, Claim.claim_number, Claim.patient_id, Patient.last_name, Patient.first_name,
               Coverage.member_id, Claim.service_date, Claim.total_charge_cents, Claim.status, Claim.payer)
    base = (Claim.select(*columns).join(Coverage).switch(Claim)
            .join(Patient, on=(Patient.id == Claim.patient_id))
            .where(Claim.payer.in_(sorted(payers)) & Claim.status.in_(MATCHABLE)))
    for chunk in chunks(members):
        found.update({row[0]: row for row in base.where(Coverage.member_id.in_(chunk)).tuples()})
    if days and charges:
        for day_chunk in chunks(sorted(days)):
            for charge_chunk in chunks(sorted(charges)):
                found.update({row[0]: row for row in base.where(Claim.service_date.in_(day_chunk)
                                                                & Claim.total_charge_cents.in_(charge_chunk)).tuples()})
    ranked: dict[int, list[Candidate]] = {}
    for entry in entries:
        wanted_days = service_days.get(entry.id, set())
        name = _last_name(entry.patient_name)
        mine = []
        for claim_id, number, patient_id, last, first, member, day, charge, status, payer in found.values():
            if payer != entry.remittance.payer_id:
                continue
            fits = {fact for fact, ok in (
                ("member", bool(entry.member_id) and member == entry.member_id),
                ("date", day in wanted_days), ("charge", charge == abs(entry.charge_cents)),
                ("name", bool(name) and last.lower() == name)) if ok}
            if "member" in fits or {"date", "charge"} <= fits:
                mine.append(Candidate(claim_id, number, patient_id, f"{last}, {first}", member, day, charge, status,
                                      frozenset(fits)))
        mine.sort(key=lambda c: (-c.score, -c.claim_id))
        ranked[entry.id] = mine[:SHOWN]
    return ranked

"""Balances from the ledger, summed in SQL: per patient, per service line and per claim, each split
into what insurance still owes and what the patient owes.

The conventions (``models.LineTransaction``): an entry is the signed effect on what its ``party``
owes, so a balance is a SUM. A charge billed to a payer sits with ``insurance`` until a
remittance moves the patient's share over (a transfer pair: insurance minus, patient plus); a
self-pay visit's charges sit with ``patient`` from the start. Desk money that no charge needed
is an entry without a service line: credit on the account, a negative patient balance.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice import prepared
from medoffice.db import db, is_sqlite
from medoffice.prepared import slot
from peewee import Case, fn

from .models import Claim, ClaimLine, Encounter, LineTransaction, ServiceLine

LT = LineTransaction
# A claim in one of these states still waits on a payer: the patient is not billed meanwhile.
PENDING_CLAIM_STATES = ("draft", "ready", "submitted", "accepted", "rejected", "appealed")
KIND_LABELS = {
    "charge": "Charge", "payment": "Insurance payment", "adjustment": "Adjustment", "transfer": "Transfer",
    "patient_payment": "Patient payment", "writeoff": "Write-off", "refund": "Refund",
}


ACCOUNT_LOCK = 7461  # the advisory-lock class of a patient's account (PostgreSQL)


def lock_account(patient_id: int) -> None:
    """Serialize desk postings on one patient's account until the transaction ends.

    Allocation reads the open lines and then writes against them; two desks posting for the same
    patient at once must not both pay the same line. SQLite's write transactions already take the
    lock up front; on PostgreSQL a transaction-scoped advisory lock does it.
    """
    if not is_sqlite():
        db.execute_sql(f"SELECT pg_advisory_xact_lock({ACCOUNT_LOCK}, {int(patient_id)})")


def id_slots(ids: list) -> tuple[list, dict]:
    """Placeholders for an IN list of ``ids``, and their values (the SQL differs by length: key on len(ids))."""
    return [slot(f"id{n}") for n in range(len(ids))], {f"id{n}": id for n, id in enumerate(ids)}


def sum_if(condition, value=None):
    """SUM(CASE WHEN condition THEN value ELSE 0 END), 0 when there are no rows (``value``: the amount)."""
    return fn.COALESCE(fn.SUM(Case(None, [(condition, LT.amount_cents if value is None else value)], 0)), 0)


INSURANCE = LT.party == "insurance"
PATIENT = LT.party == "patient"


@dataclass(frozen=True)
class Balances:
    """What insurance and the patient owe, in cents (a negative patient balance is credit)."""

    insurance_cents: int = 0
    patient_cents: int = 0

    @property
    def total_cents(self) -> int:
        """Everything still owed on the account."""
        return self.insurance_cents + self.patient_cents

    @property
    def credit_cents(self) -> int:
        """Money the patient has on account beyond what they owe (0 when they owe)."""
        return max(0, -self.patient_cents)


def balances_for(patient_ids, as_of: dt.date | None = None) -> dict[int, Balances]:
    """Balances of several patients in one GROUP BY (patients without entries are absent)."""
    ids = list(patient_ids)
    if not ids:
        return {}
    query = (LT.select(LT.patient_id, sum_if(INSURANCE), sum_if(PATIENT))
             .where(LT.patient_id.in_(ids)).group_by(LT.patient_id))
    if as_of is not None:
        query = query.where(LT.effective_date <= as_of)
    return {pid: Balances(int(ins), int(pat)) for pid, ins, pat in query.tuples()}


def _patient_balances_query(dated: bool):
    query = LT.select(sum_if(INSURANCE), sum_if(PATIENT)).where(LT.patient_id == slot("patient_id"))
    return (query.where(LT.effective_date <= slot("as_of")) if dated else query).tuples()


# Most account pages show the balances: compiled once (with and without a date)
_PATIENT_BALANCES = {dated: _patient_balances_query(dated) for dated in (False, True)}


def patient_balances(patient_id: int, as_of: dt.date | None = None) -> Balances:
    """A patient's insurance and patient balances (as of a date: entries effective on or before it)."""
    dated = as_of is not None
    ins, pat = next(iter(prepared.run(_PATIENT_BALANCES[dated], ("billing.patient_balances", dated),
                                      patient_id=patient_id, as_of=as_of)))
    return Balances(int(ins), int(pat))


def claims_owed(claim_ids: list[int], party: str) -> dict[int, int]:
    """What ``party`` ("insurance" or "patient") still owes on the lines each claim bills, by claim id (one query
    for a page's claims: a column of the list query would be computed for every claim it sorts)."""
    ids = sorted(set(claim_ids))
    if not ids:
        return {}
    slots, values = id_slots(ids)
    query = (ClaimLine.select(ClaimLine.claim, sum_if(LT.party == party))
             .join(LT, on=(LT.service_line == ClaimLine.service_line))
             .where(ClaimLine.claim.in_(slots)).group_by(ClaimLine.claim).tuples())
    return dict(prepared.rows(query, ("billing.claims_owed", party, len(ids)), **values))  # ids and sums: no conversion


@dataclass(frozen=True)
class LineBalance:
    """One service line on the patient ledger: what was charged, paid, adjusted and is still owed."""

    line_id: int
    encounter_id: int
    service_date: dt.date
    code: str
    modifiers: str
    units: int
    active: bool
    rendering_provider_id: int | None
    charge_cents: int
    insurance_paid_cents: int
    adjusted_cents: int
    patient_paid_cents: int
    insurance_cents: int
    patient_cents: int
    patient_since: dt.date | None

    @property
    def balance_cents(self) -> int:
        """Still owed on the line by anyone."""
        return self.insurance_cents + self.patient_cents


def _line_columns():
    adjusted = LT.kind.in_(("adjustment", "writeoff"))
    since = fn.MIN(Case(None, [((LT.party == "patient") & (LT.amount_cents > 0), LT.effective_date)], None))
    return [
        sum_if(LT.kind == "charge").alias("charge"),
        sum_if(LT.kind == "payment", 0 - LT.amount_cents).alias("ins_paid"),
        sum_if(adjusted, 0 - LT.amount_cents).alias("adjusted"),
        sum_if(LT.kind == "patient_payment", 0 - LT.amount_cents).alias("pat_paid"),
        sum_if(INSURANCE).alias("ins"),
        sum_if(PATIENT).alias("pat"),
        since.alias("since"),
    ]


def _line_balances_query():
    return (ServiceLine.select(ServiceLine.id, ServiceLine.encounter, ServiceLine.service_date, ServiceLine.code,
                               ServiceLine.modifier1, ServiceLine.modifier2, ServiceLine.units, ServiceLine.active,
                               Encounter.rendering_provider_id, *_line_columns())
            .join(LT, on=(LT.service_line == ServiceLine.id))
            .switch(ServiceLine).join(Encounter)
            .where(ServiceLine.patient_id == slot("patient_id"))
            .group_by(ServiceLine.id, ServiceLine.encounter, ServiceLine.service_date, ServiceLine.code,
                      ServiceLine.modifier1, ServiceLine.modifier2, ServiceLine.units, ServiceLine.active,
                      Encounter.rendering_provider_id)
            .order_by(ServiceLine.service_date, ServiceLine.encounter, ServiceLine.id).tuples())


_LINE_BALANCES = _line_balances_query()  # the ledger page's main query: compiled once


def line_balances(patient_id: int) -> list[LineBalance]:
    """Every service line of the patient that reached the ledger, oldest service first (one query)."""
    rows = []
    for (line_id, encounter_id, day, code, mod1, mod2, units, active, provider, charge, ins_paid, adjusted,
         pat_paid, ins, pat, since) in prepared.run(_LINE_BALANCES, "billing.line_balances", patient_id=patient_id):
        rows.append(LineBalance(line_id, encounter_id, as_date(day), code, ":".join(m for m in (mod1, mod2) if m),
                                units, bool(active), provider, int(charge), int(ins_paid), int(adjusted),
                                int(pat_paid), int(ins), int(pat), as_date(since)))
    return rows


def as_date(value) -> dt.date | None:
    """A date from a column (SQLite hands back MIN() of dates as text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


_ACCOUNT_ENTRIES = (LT.select(LT.id, LT.kind, LT.party, LT.effective_date, LT.amount_cents, LT.memo, LT.reference)
                    .where((LT.patient_id == slot("patient_id")) & LT.service_line.is_null())
                    .order_by(LT.effective_date, LT.id))


def account_entries(patient_id: int) -> list[LineTransaction]:
    """Entries not tied to a service line (credit on account, refunds), oldest first: the columns the
    ledger shows (kind, party, date, amount, memo, reference)."""
    return list(prepared.run(_ACCOUNT_ENTRIES, "billing.account_entries", patient_id=patient_id))


def open_patient_lines(patient_id: int) -> list[tuple[int, int]]:
    """(service line id, patient balance) of lines the patient owes on, oldest responsibility first."""
    since = fn.MIN(Case(None, [(LT.amount_cents > 0, LT.effective_date)], None))
    owed = fn.SUM(LT.amount_cents)
    query = (LT.select(LT.service_line, owed.alias("owed"), since.alias("since"))
             .where((LT.patient_id == patient_id) & PATIENT & LT.service_line.is_null(False))
             .group_by(LT.service_line).having(owed > 0)
             .order_by(since, LT.service_line))
    return [(line_id, int(amount)) for line_id, amount, _since in query.tuples()]


_INSURANCE_PENDING = (Claim.select(Claim.id).where((Claim.patient_id == slot("patient_id"))
                                                  & Claim.status.in_(PENDING_CLAIM_STATES)
                                                  & (Claim.frequency_code != "8")).limit(1))


def insurance_pending(patient_id: int) -> bool:
    """True while a claim of the patient still waits on a payer (not yet paid, denied or closed)."""
    return prepared.scalar(_INSURANCE_PENDING, "billing.insurance_pending", patient_id=patient_id) is not None

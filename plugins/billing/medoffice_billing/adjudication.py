"""What a payer answered on each line of a claim, from the ledger entries its 835s posted.

Per claim line: the amount paid, each adjustment (group, reason code, amount), the remark codes, what
moved to the patient (or on to the next payer) as patient responsibility, and the allowed amount,
which is what the payer paid plus the patient's share. Entries a later 835 reversed, and the
reversals themselves, are left out: what shows is the answer that stands.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from peewee import SQL, fn

from .models import ClaimLine, LineTransaction

LT = LineTransaction


@dataclass
class Adjustment:
    """One adjustment of a line: CAS group and reason code, the cents it took off the payer, and whether
    they became the patient's responsibility (moved to the patient or the next payer) or were written off."""

    group: str
    carc: str
    amount_cents: int
    to_patient: bool = False


@dataclass
class LineAnswer:
    """A claim line as the payer adjudicated it (cents)."""

    line_number: int
    code: str
    charge_cents: int
    paid_cents: int = 0
    patient_cents: int = 0  # patient responsibility (PR), billed to the patient or the next payer
    next_payer_cents: int = 0  # of which moved on to the next payer
    adjustments: list[Adjustment] = field(default_factory=list)
    remark_codes: list[str] = field(default_factory=list)

    @property
    def allowed_cents(self) -> int:
        """What the payer allowed: its payment plus the patient's share."""
        return self.paid_cents + self.patient_cents

    @property
    def written_off_cents(self) -> int:
        """What the adjustments took off that nobody owes any more (contractual and other write-offs)."""
        return sum(a.amount_cents for a in self.adjustments if not a.to_patient)


def _standing(claim_id: int):
    reversal = LT.alias("reversal")
    return (LT.select(LT.service_line, LT.kind, LT.party, LT.payer, LT.amount_cents, LT.group_code, LT.carc,
                      LT.remark_codes)
            .where((LT.claim == claim_id) & (LT.source == "era") & LT.reverses.is_null()
                   & ~fn.EXISTS(reversal.select(SQL("1")).where(reversal.reverses == LT.id)))
            .order_by(LT.id).tuples())


def claim_answers(claim_id: int, payer_id: int) -> list[LineAnswer]:
    """Each line of the claim with what the payer answered (two queries); empty when no 835 posted on it."""
    entries = list(_standing(claim_id))
    if not entries:
        return []
    lines = {service_line: LineAnswer(number, code, charge) for service_line, number, code, charge in
             ClaimLine.select(ClaimLine.service_line, ClaimLine.line_number, ClaimLine.code, ClaimLine.charge_cents)
             .where(ClaimLine.claim == claim_id).order_by(ClaimLine.line_number).tuples()}
    for service_line, kind, party, payer, amount, group, carc, remarks in entries:
        line = lines.get(service_line)
        if line is None:
            continue
        for code in remarks.split():
            if code not in line.remark_codes:
                line.remark_codes.append(code)
        if kind == "payment":
            line.paid_cents -= amount
        elif kind in ("adjustment", "writeoff"):
            line.adjustments.append(Adjustment(group, carc, -amount))
        elif kind == "transfer" and party == "insurance" and payer == payer_id:
            # moved off this payer: to the patient, or (a pair with the next payer's entry) onward
            line.adjustments.append(Adjustment(group, carc, -amount, to_patient=True))
            line.patient_cents -= amount
        elif kind == "transfer" and party == "insurance":
            line.next_payer_cents += amount
    return list(lines.values())

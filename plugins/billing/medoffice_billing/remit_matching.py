"""Matching an 835's claim payments to claims and their lines (read in bulk, as plain tuples).

A claim payment belongs to the claim whose number it echoes (CLP01) when the charge or member
fits, else to the one claim of the payer with its claim number (CLP07), else to the one claim of
that member, date of service and charge. Its service lines pair with the claim's lines by the
line control number (REF*6R), falling back to code, date and charge.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from medoffice.money import format_cents

from .in_list import one_of
from .models import Claim, ClaimLine, Coverage, Payer, ServiceLine
from .x12.remit835 import ClaimPayment
from .x12.remit835 import ServiceLine as RemitLine

MATCHABLE = ("submitted", "accepted", "paid", "partially_paid", "denied", "appealed", "closed")


@dataclass
class ClaimRef:
    """What matching and posting need of a claim (read as plain tuples: thousands per file)."""

    id: int
    claim_number: str
    patient_id: int
    payer_id: int
    encounter_id: int
    responsibility: str
    status: str
    service_date: dt.date
    total_charge_cents: int
    payer_claim_number: str
    member_id: str


@dataclass
class LineRef:
    """A claim line with the service line it bills."""

    id: int
    claim_id: int
    code: str
    modifiers: str
    charge_cents: int
    service_line_id: int
    control_number: str
    service_date: dt.date


_CLAIM_COLUMNS = (Claim.id, Claim.claim_number, Claim.patient_id, Claim.payer, Claim.encounter, Claim.responsibility,
                  Claim.status, Claim.service_date, Claim.total_charge_cents, Claim.payer_claim_number,
                  Coverage.member_id)


def _claims(condition) -> list[ClaimRef]:
    return [ClaimRef(*row) for row in Claim.select(*_CLAIM_COLUMNS).join(Coverage).where(condition).tuples()]


def claim_ref(claim: Claim) -> ClaimRef:
    """The matching view of one claim."""
    return _claims(Claim.id == claim.id)[0]


def claim_lines(claim_ids: list[int]) -> dict[int, list[LineRef]]:
    """The lines of these claims in order, by claim id."""
    found: dict[int, list[LineRef]] = {}
    for chunk in chunks(claim_ids):
        for row in (ClaimLine.select(ClaimLine.id, ClaimLine.claim, ClaimLine.code, ClaimLine.modifiers,
                                     ClaimLine.charge_cents, ServiceLine.id, ServiceLine.control_number,
                                     ServiceLine.service_date)
                    .join(ServiceLine).where(one_of(ClaimLine.claim, chunk))
                    .order_by(ClaimLine.claim, ClaimLine.line_number).tuples()):
            found.setdefault(row[1], []).append(LineRef(*row))
    return found


@dataclass
class Match:
    """Where a claim payment goes: a claim and its lines, or nowhere (``problem`` says why)."""

    payment: ClaimPayment
    claim: ClaimRef | None = None
    matched_by: str = ""
    pairs: list[tuple[RemitLine, LineRef]] = field(default_factory=list)
    lines: list[LineRef] = field(default_factory=list)
    problem: str = ""


def payment_label(payment: ClaimPayment) -> str:
    """How messages name a claim payment."""
    return f"Claim payment {payment.patient_control_number or '(no number)'}"


def _charge_fits(payment: ClaimPayment, claim: ClaimRef) -> bool:
    return abs(payment.charge_cents) == claim.total_charge_cents


def service_dates(payment: ClaimPayment) -> set[dt.date]:
    """Every date of service the payment mentions (claim and lines)."""
    days = {payment.service_start_date, payment.service_end_date, *(l.service_date for l in payment.lines)}
    return {d for d in days if d is not None}


class Matcher:
    """Finds the claim and the claim lines of each claim payment, loading candidates in bulk."""

    def __init__(self, payer: Payer, payments: list[ClaimPayment]):
        self.payer = payer
        found: dict[int, ClaimRef] = {}
        for chunk in chunks({p.patient_control_number for p in payments if p.patient_control_number}):
            found.update({c.id: c for c in _claims(one_of(Claim.claim_number, chunk))})
        by_number = {c.claim_number: c for c in found.values()}
        # The other keys are looked at only when the claim number finds no claim that fits (see _claim).
        rest = [p for p in payments if p.patient_control_number not in by_number
                or not self._fits(p, by_number[p.patient_control_number])]
        payer_numbers = {p.payer_claim_number for p in rest if p.payer_claim_number}
        members = {p.member_id for p in rest if p.member_id}
        for chunk in chunks(payer_numbers):
            found.update({c.id: c for c in _claims(one_of(Claim.payer_claim_number, chunk) & (Claim.payer == payer.id))})
        for chunk in chunks(members):
            found.update({c.id: c for c in _claims(one_of(Coverage.member_id, chunk) & (Claim.payer == payer.id)
                                                   & Claim.status.in_(MATCHABLE))})
        self.by_number = {c.claim_number: c for c in found.values()}
        self.by_payer_number: dict[str, list[ClaimRef]] = {}
        self.by_member: dict[str, list[ClaimRef]] = {}
        for claim in sorted(found.values(), key=lambda c: c.id):
            if claim.payer_claim_number:
                self.by_payer_number.setdefault(claim.payer_claim_number, []).append(claim)
            self.by_member.setdefault(claim.member_id, []).append(claim)
        self.lines = claim_lines(list(found))

    def match(self, payment: ClaimPayment) -> Match:
        """The claim (and lines) a claim payment belongs to; ``problem`` explains a failure."""
        claim, how, problem = self._claim(payment)
        if claim is None:
            return Match(payment, problem=problem)
        return check_match(payment, claim, self.lines.get(claim.id, []), how)

    def _fits(self, payment: ClaimPayment, claim: ClaimRef) -> bool:
        member = payment.member_id
        return _charge_fits(payment, claim) or (bool(member) and member == claim.member_id)

    def _claim(self, payment: ClaimPayment) -> tuple[ClaimRef | None, str, str]:
        claim = self.by_number.get(payment.patient_control_number)
        if claim is not None and self._fits(payment, claim):
            return claim, "claim_number", ""
        member, days = payment.member_id, service_dates(payment)
        strict = [c for c in self.by_payer_number.get(payment.payer_claim_number, []) if self._fits(payment, c)]
        if len(strict) == 1:
            return strict[0], "payer_claim_number", ""
        candidates = [c for c in self.by_member.get(member, []) if c.payer_id == self.payer.id
                      and c.status in MATCHABLE and _charge_fits(payment, c) and (not days or c.service_date in days)]
        if len(candidates) == 1:
            return candidates[0], "member", ""
        if len(candidates) > 1:
            return None, "", (f"{payment_label(payment)} fits {len(candidates)} claims (" + ", ".join(
                c.claim_number for c in candidates) + "): choose the right one.")
        if claim is not None:
            return None, "", (f"{payment_label(payment)} names claim {claim.claim_number}, but its charge "
                              f"{format_cents(payment.charge_cents)} and member ID do not fit that claim.")
        return None, "", (f"{payment_label(payment)} (member {member or 'unknown'}, charge "
                          f"{format_cents(payment.charge_cents)}) matches no claim billed to this payer.")


def check_match(payment: ClaimPayment, claim: ClaimRef, lines: list[LineRef], how: str) -> Match:
    """A match of the payment to ``claim`` when the claim can take it and every line finds its claim line."""
    if claim.status not in MATCHABLE:
        return Match(payment, problem=f"{payment_label(payment)} names claim {claim.claim_number}, which is "
                                      f"{claim.status.replace('_', ' ')}: it was never accepted for payment.")
    pairs, problem = match_lines(payment, lines)
    if problem:
        return Match(payment, problem=f"{payment_label(payment)} (claim {claim.claim_number}): {problem}")
    return Match(payment, claim, how, pairs, lines)


def match_lines(payment: ClaimPayment, lines: list[LineRef]) -> tuple[list[tuple[RemitLine, LineRef]], str]:
    """Pair each service line payment with a claim line: REF*6R first, then code, date and charge.

    :return: the pairs, and a problem (empty when every line found its claim line).
    """
    by_control = {line.control_number: line for line in lines}
    used: set[int] = set()
    pairs = []
    for number, paid in enumerate(payment.lines, start=1):
        line = by_control.get(paid.control_number or "")
        if line is None or line.id in used:
            line = _fallback_line(paid, [l for l in lines if l.id not in used])
        if line is None:
            when = f" on {paid.service_date.isoformat()}" if paid.service_date else ""
            return [], (f"service line {number} ({paid.procedure_code}{when}, {format_cents(paid.charge_cents)}) "
                        "matches none of the claim's lines.")
        used.add(line.id)
        pairs.append((paid, line))
    return pairs, ""


def _fallback_line(paid: RemitLine, lines: list[LineRef]) -> LineRef | None:
    codes = {paid.procedure_code, paid.original_procedure_code}
    wanted = list(paid.original_modifiers if paid.original_procedure_code else paid.modifiers)
    best, best_score = None, -1
    for line in lines:
        if line.code not in codes or line.charge_cents != abs(paid.charge_cents):
            continue
        if paid.service_date is not None and line.service_date not in (paid.service_date, paid.service_end_date):
            continue
        score = int([m for m in line.modifiers.split(":") if m] == wanted)
        if score > best_score:
            best, best_score = line, score
    return best


def chunks(items, size: int = 500):
    """``items`` in lists of at most ``size`` (to keep IN (...) lists short)."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]

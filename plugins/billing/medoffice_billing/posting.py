"""835 import: refuse a bad remittance file, match its claims and lines, post it to the ledger.

``import_835`` first runs every check (``x12.check_835``: envelope, guide deviations and the
arithmetic), skips transactions seen before (same file, or same payer and trace number), and
matches each claim payment to a claim (CLP01, then the payer's claim number, then member ID,
date and charge) and each service line to a claim line (REF*6R, then code, date and charge).
Then, in one database transaction, it posts payments and adjustments per line: CO and PI are
contractual adjustments, PR moves to the next payer when the patient has one, else to the
patient, OA is written off (or billed to the patient, as configured). Reversals undo the
earlier posting. Claim payments that match nothing wait in the exceptions queue; denials in
the denial queue. The published events fire after the transaction commits.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from flask import current_app
from medoffice import SettingSpec, WorkItem, audit, settings
from medoffice.db import db, transaction, utcnow
from medoffice.money import format_cents
from peewee import Case, IntegrityError, fn

from . import claims as claim_service
from . import x12
from .actor import acting_user
from .claims import ClaimError
from .coverage import responsible
from .models import (Claim, ClaimLine, Coverage, LineTransaction, Payer, ProviderAdjustment, RemitClaim,
                     Remittance, ServiceLine)
from .x12.codes import ADJUSTMENT_REASONS, CLAIM_STATUS, REMARK_CODES
from .x12.remit835 import ClaimPayment, Party
from .x12.remit835 import ServiceLine as RemitLine

log = logging.getLogger("medoffice.billing.posting")

MATCHABLE = ("submitted", "accepted", "paid", "partially_paid", "denied", "appealed", "closed")
FORWARDED = ("19", "20", "21")  # processed, and the payer sent the claim on to the next payer itself
NEXT_RANK = {"P": 2, "S": 3}
METHODS = {"ACH": "eft", "BOP": "eft", "FWT": "eft", "CHK": "check"}
POSTING_SETTINGS = [
    SettingSpec("billing.era_oa_action", "835 posting: other adjustments (group OA)", kind="choice",
                default="writeoff", choices=(("writeoff", "Write them off"), ("patient", "Bill them to the patient")),
                help="OA means neither the payer nor, usually, the patient owes the amount."),
]


class RemitRefused(ValueError):
    """The file was not posted at all; ``problems`` says why, in plain English."""

    def __init__(self, problems: list[str]):
        super().__init__("The 835 file was refused:\n- " + "\n- ".join(problems))
        self.problems = problems


@dataclass
class ImportResult:
    """What an import did. ``duplicate`` is True when nothing was posted because it was seen before."""

    remittances: list[Remittance] = field(default_factory=list)
    duplicate: bool = False
    skipped: list[str] = field(default_factory=list)  # transactions already imported (by trace number)

    def totals(self) -> dict:
        """Claims matched and unmatched, and the cents paid, adjusted, moved to patients and adjusted by PLB."""
        return remittance_totals([r.id for r in self.remittances])


# --- The raw claim payment, kept as JSON for the exceptions queue ---------------------------------------

def _plain(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def claim_to_json(payment: ClaimPayment) -> str:
    """The claim payment as JSON (dates ISO, quantities as decimal strings)."""
    return json.dumps(asdict(payment), default=_plain, sort_keys=True)


def _day(text):
    return dt.date.fromisoformat(text) if text else None


def _adjustments(items) -> tuple[x12.Adjustment, ...]:
    return tuple(x12.Adjustment(i["group_code"], i["reason_code"], i["amount_cents"],
                                Decimal(i["quantity"]) if i["quantity"] is not None else None) for i in items)


def claim_from_json(text: str) -> ClaimPayment:
    """Rebuild a claim payment stored by ``claim_to_json``."""
    data = json.loads(text)
    lines = tuple(RemitLine(**{
        **line, "modifiers": tuple(line["modifiers"]), "original_modifiers": tuple(line["original_modifiers"]),
        "units": Decimal(line["units"]), "service_date": _day(line["service_date"]),
        "service_end_date": _day(line["service_end_date"]), "adjustments": _adjustments(line["adjustments"]),
        "remark_codes": tuple(line["remark_codes"])}) for line in data["lines"])
    return ClaimPayment(**{
        **data, "adjustments": _adjustments(data["adjustments"]), "lines": lines,
        "patient": Party(**data["patient"]) if data["patient"] else None,
        "insured": Party(**data["insured"]) if data["insured"] else None,
        "remark_codes": tuple(data["remark_codes"]), "received_date": _day(data["received_date"]),
        "service_start_date": _day(data["service_start_date"]), "service_end_date": _day(data["service_end_date"])})


# --- Matching ----------------------------------------------------------------------------------------------

@dataclass
class Match:
    """Where a claim payment goes: a claim and its lines, or nowhere (``problem`` says why)."""

    payment: ClaimPayment
    claim: Claim | None = None
    matched_by: str = ""
    pairs: list[tuple[RemitLine, ClaimLine]] = field(default_factory=list)
    problem: str = ""


def _label(payment: ClaimPayment) -> str:
    return f"Claim payment {payment.patient_control_number or '(no number)'}"


def _charge_fits(payment: ClaimPayment, claim: Claim) -> bool:
    return abs(payment.charge_cents) == claim.total_charge_cents


def _dates(payment: ClaimPayment) -> set[dt.date]:
    days = {payment.service_start_date, payment.service_end_date, *(l.service_date for l in payment.lines)}
    return {d for d in days if d is not None}


class Matcher:
    """Finds the claim and the claim lines of each claim payment, loading candidates in bulk."""

    def __init__(self, payer: Payer, payments: list[ClaimPayment]):
        self.payer = payer
        numbers = {p.patient_control_number for p in payments if p.patient_control_number}
        payer_numbers = {p.payer_claim_number for p in payments if p.payer_claim_number}
        members = {p.member_id for p in payments if p.member_id}
        base = Claim.select(Claim, Coverage).join(Coverage)
        found: dict[int, Claim] = {}
        for chunk in _chunks(numbers):
            found.update({c.id: c for c in base.where(Claim.claim_number.in_(chunk))})
        for chunk in _chunks(payer_numbers):
            found.update({c.id: c for c in base.where(Claim.payer_claim_number.in_(chunk)
                                                       & (Claim.payer == payer.id))})
        for chunk in _chunks(members):
            found.update({c.id: c for c in base.where(Coverage.member_id.in_(chunk) & (Claim.payer == payer.id)
                                                       & Claim.status.in_(MATCHABLE))})
        self.by_number = {c.claim_number: c for c in found.values()}
        self.by_payer_number: dict[str, list[Claim]] = {}
        self.by_member: dict[str, list[Claim]] = {}
        for claim in sorted(found.values(), key=lambda c: c.id):
            if claim.payer_claim_number:
                self.by_payer_number.setdefault(claim.payer_claim_number, []).append(claim)
            self.by_member.setdefault(claim.coverage.member_id, []).append(claim)
        self.lines: dict[int, list[ClaimLine]] = {}
        for chunk in _chunks(list(found)):
            for line in (ClaimLine.select(ClaimLine, ServiceLine).join(ServiceLine)
                         .where(ClaimLine.claim.in_(chunk)).order_by(ClaimLine.claim, ClaimLine.line_number)):
                self.lines.setdefault(line.claim_id, []).append(line)

    def match(self, payment: ClaimPayment) -> Match:
        """The claim (and lines) a claim payment belongs to; ``problem`` explains a failure."""
        claim, how, problem = self._claim(payment)
        if claim is None:
            return Match(payment, problem=problem)
        if claim.status not in MATCHABLE:
            return Match(payment, problem=f"{_label(payment)} names claim {claim.claim_number}, which is "
                                          f"{claim.status.replace('_', ' ')}: it was never accepted for payment.")
        pairs, problem = match_lines(payment, self.lines.get(claim.id, []))
        if problem:
            return Match(payment, problem=f"{_label(payment)} (claim {claim.claim_number}): {problem}")
        return Match(payment, claim, how, pairs)

    def _fits(self, payment: ClaimPayment, claim: Claim) -> bool:
        member = payment.member_id
        return _charge_fits(payment, claim) or (bool(member) and member == claim.coverage.member_id)

    def _claim(self, payment: ClaimPayment) -> tuple[Claim | None, str, str]:
        claim = self.by_number.get(payment.patient_control_number)
        if claim is not None and self._fits(payment, claim):
            return claim, "claim_number", ""
        member, days = payment.member_id, _dates(payment)
        strict = [c for c in self.by_payer_number.get(payment.payer_claim_number, []) if self._fits(payment, c)]
        if len(strict) == 1:
            return strict[0], "payer_claim_number", ""
        candidates = [c for c in self.by_member.get(member, []) if c.payer_id == self.payer.id
                      and c.status in MATCHABLE and _charge_fits(payment, c) and (not days or c.service_date in days)]
        if len(candidates) == 1:
            return candidates[0], "member", ""
        if len(candidates) > 1:
            return None, "", (f"{_label(payment)} fits {len(candidates)} claims (" + ", ".join(
                c.claim_number for c in candidates) + "): choose the right one.")
        if claim is not None:
            return None, "", (f"{_label(payment)} names claim {claim.claim_number}, but its charge "
                              f"{format_cents(payment.charge_cents)} and member ID do not fit that claim.")
        return None, "", (f"{_label(payment)} (member {member or 'unknown'}, charge "
                          f"{format_cents(payment.charge_cents)}) matches no claim billed to this payer.")


def match_lines(payment: ClaimPayment, lines: list[ClaimLine]) -> tuple[list[tuple[RemitLine, ClaimLine]], str]:
    """Pair each service line payment with a claim line: REF*6R first, then code, date and charge.

    :return: the pairs, and a problem (empty when every line found its claim line).
    """
    by_control = {line.service_line.control_number: line for line in lines}
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


def _fallback_line(paid: RemitLine, lines: list[ClaimLine]) -> ClaimLine | None:
    codes = {paid.procedure_code, paid.original_procedure_code}
    wanted = [m for m in (paid.original_modifiers if paid.original_procedure_code else paid.modifiers)]
    best, best_score = None, -1
    for line in lines:
        if line.code not in codes or line.charge_cents != abs(paid.charge_cents):
            continue
        if paid.service_date is not None and line.service_line.service_date not in (paid.service_date,
                                                                                   paid.service_end_date):
            continue
        score = int([m for m in line.modifiers.split(":") if m] == wanted)
        if score > best_score:
            best, best_score = line, score
    return best


def _chunks(items, size: int = 500):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]


# --- Posting -------------------------------------------------------------------------------------------

def _allocate(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` cents over ``weights`` proportionally; the parts add up exactly (largest remainders)."""
    weights = [abs(w) for w in weights]
    base = sum(weights)
    if not weights:
        return []
    if base == 0:
        weights, base = [1] * len(weights), len(weights)
    sign, amount = (-1 if total < 0 else 1), abs(total)
    raw = [amount * w for w in weights]
    parts = [r // base for r in raw]
    for index in sorted(range(len(weights)), key=lambda i: (-(raw[i] % base), i))[:amount - sum(parts)]:
        parts[index] += 1
    return [sign * part for part in parts]


@dataclass
class _LinePlan:
    """What one claim line receives from a claim payment: paid cents and its adjustments."""

    line: ClaimLine
    paid: int
    adjustments: list[x12.Adjustment]
    remarks: tuple[str, ...] = ()


def _plan(payment: ClaimPayment, pairs: list[tuple[RemitLine, ClaimLine]], lines: list[ClaimLine]) -> list[_LinePlan]:
    """Per-line payment and adjustments; claim-level adjustments are spread over the lines by charge."""
    if pairs:
        plans = [_LinePlan(line, paid.paid_cents, list(paid.adjustments), paid.remark_codes) for paid, line in pairs]
        weights = [paid.charge_cents for paid, _ in pairs]
    else:
        plans = [_LinePlan(line, 0, []) for line in lines]
        weights = [line.charge_cents for line in lines]
    for adjustment in payment.adjustments:
        for plan, share in zip(plans, _allocate(adjustment.amount_cents, weights)):
            if share:
                plan.adjustments.append(x12.Adjustment(adjustment.group_code, adjustment.reason_code, share))
                if pairs:
                    plan.paid -= share  # line payments minus claim-level adjustments make the claim payment
    if not pairs:
        if sum(weights) == abs(payment.charge_cents):
            for plan in plans:
                plan.paid = plan.line.charge_cents - sum(a.amount_cents for a in plan.adjustments)
        else:
            for plan, share in zip(plans, _allocate(payment.paid_cents, weights)):
                plan.paid = share
    return plans


def _outcome(payment: ClaimPayment) -> str:
    """paid, partially_paid (some lines denied) or denied, as the claim's state will say."""
    patient_share = payment.patient_responsibility_cents
    if payment.status_code == "4" or (payment.paid_cents == 0 and patient_share == 0 and payment.charge_cents):
        return "denied"
    line_denied = any(l.paid_cents == 0 and l.charge_cents and not any(a.group_code == "PR" for a in l.adjustments)
                      for l in payment.lines)
    return "partially_paid" if line_denied else "paid"


def reason_text(codes: str) -> list[tuple[str, str]]:
    """("CO-45", "Charge is above ...") pairs for a stored "CO-45 PR-1" list (unknown codes keep the code only)."""
    out = []
    for code in codes.split():
        group, _, reason = code.partition("-")
        out.append((code, ADJUSTMENT_REASONS.get(reason, "")))
    return out


def remark_text(codes: str) -> list[tuple[str, str]]:
    """(code, text) pairs for stored remark codes."""
    return [(code, REMARK_CODES.get(code, "")) for code in codes.split()]


class Poster:
    """Posts the claim payments of one remittance inside the caller's transaction and queues the events."""

    def __init__(self, remittance: Remittance, events: list[tuple[str, dict]]):
        self.remittance = remittance
        self.events = events
        self.effective_date = remittance.payment_date or remittance.imported_at.date()
        self.method = METHODS.get(remittance.payment_method, "")
        self.reference = remittance.trace_number[:60]
        self.user_id, self.username = acting_user()
        self.now = utcnow()
        self.oa_action = settings.get("billing.era_oa_action", "writeoff")

    # Entry points -------------------------------------------------------------------------------------

    def post(self, match: Match, position: int, remit_claim: RemitClaim | None = None) -> RemitClaim:
        """Post one matched claim payment, or queue it as an exception; returns its remittance claim row."""
        payment = match.payment
        values = self._remit_values(payment, position)
        if match.claim is None:
            return self._exception(values, match.problem, remit_claim)
        claim = Claim.get_by_id(match.claim.id)
        ledger = list(LineTransaction.select().where(
            LineTransaction.service_line.in_([l.service_line_id for l in _claim_lines(claim)])))
        if payment.status_code == "22":
            result = self._reverse(claim, payment, ledger)
        else:
            result = self._post_payment(claim, match, ledger)
        if isinstance(result, str):
            return self._exception(values, f"{_label(payment)} (claim {claim.claim_number}): {result}", remit_claim)
        values.update(result, claim=claim.id, matched_by=match.matched_by, problem="", resolved=False)
        if remit_claim is None:
            row = RemitClaim.create(**values)
        else:
            RemitClaim.update(**values).where(RemitClaim.id == remit_claim.id).execute()
            row = RemitClaim.get_by_id(remit_claim.id)
        self._update_claim(claim, payment, row)
        audit.record("billing.remit.post", "billing_claim", claim.id, patient_id=claim.patient_id, detail={
            "remittance_id": self.remittance.id, "trace": self.remittance.trace_number, "outcome": row.outcome,
            "paid_cents": row.paid_cents, "adjustment_cents": row.adjustment_cents,
            "patient_cents": row.patient_cents, "next_payer_cents": row.next_payer_cents})
        return row

    def post_provider_adjustments(self, items: tuple[x12.ProviderAdjustment, ...]) -> int:
        """Record the PLB adjustments on the provider-level ledger; returns their total."""
        now = self.now
        for item in items:
            row = ProviderAdjustment.create(
                remittance=self.remittance, payer=self.remittance.payer_id, provider_identifier=item.provider_id[:50],
                fiscal_period_end=item.fiscal_period_end, reason_code=item.reason_code[:2],
                reference=item.reference[:50], amount_cents=item.amount_cents, effective_date=self.effective_date,
                posted_at=now)
            self.events.append(("billing_provider_adjustment_posted", {
                "adjustment_id": row.id, "payer_id": row.payer_id, "amount_cents": row.amount_cents,
                "reason_code": row.reason_code, "reference": row.reference,
                "provider_identifier": row.provider_identifier, "effective_date": row.effective_date,
                "posted_at": now}))
        return sum(item.amount_cents for item in items)

    # The claim payment --------------------------------------------------------------------------------

    def _remit_values(self, payment: ClaimPayment, position: int) -> dict:
        patient = payment.patient or payment.insured
        every = list(payment.adjustments) + [a for line in payment.lines for a in line.adjustments]
        remarks = list(payment.remark_codes) + [code for line in payment.lines for code in line.remark_codes]
        days = sorted(_dates(payment))
        return {
            "remittance": self.remittance.id, "position": position,
            "patient_control_number": payment.patient_control_number[:50],
            "payer_claim_number": payment.payer_claim_number[:50], "status_code": payment.status_code[:2],
            "patient_name": ", ".join(p for p in (patient.last_name, patient.first_name) if p)[:120] if patient else "",
            "member_id": payment.member_id[:80], "service_date": days[0] if days else None,
            "charge_cents": payment.charge_cents, "paid_cents": 0,
            "reason_codes": " ".join(dict.fromkeys(f"{a.group_code}-{a.reason_code}" for a in every))[:200],
            "remark_codes": " ".join(dict.fromkeys(remarks))[:200], "raw": claim_to_json(payment),
        }

    def _exception(self, values: dict, problem: str, remit_claim: RemitClaim | None) -> RemitClaim:
        values = {**values, "claim": None, "outcome": "unmatched", "queue": "exception", "problem": problem,
                  "resolved": False}
        if remit_claim is not None:  # a manual match that failed: the entry stays in the queue
            raise ClaimError(problem)
        return RemitClaim.create(**values)

    def _post_payment(self, claim: Claim, match: Match, ledger: list[LineTransaction]) -> dict | str:
        payment = match.payment
        plans = _plan(payment, match.pairs, _claim_lines(claim))
        standing = _standing(claim, ledger)
        targets = {plan.line.service_line_id for plan in plans}
        if any(row.service_line_id in targets for row in standing):
            earlier = sorted({row.reference for row in standing if row.reference})
            return ("these lines were already posted from an earlier 835"
                    + (f" (trace {', '.join(earlier)})" if earlier else "")
                    + "; the payer must reverse that payment first (CLP02 22).")
        next_coverage = self._next_coverage(claim)
        handled = _handled_by_others(ledger, claim.payer_id)
        rows: list[dict] = []
        totals = {"paid_cents": 0, "adjustment_cents": 0, "patient_cents": 0, "next_payer_cents": 0}
        for plan in plans:
            self._post_line(claim, plan, handled.get(plan.line.service_line_id, 0), next_coverage, rows, totals)
        self._insert(rows)
        outcome = _outcome(payment)
        return {**totals, "outcome": outcome, "queue": "denial" if outcome != "paid" else ""}

    def _post_line(self, claim: Claim, plan: _LinePlan, handled: int, next_coverage: Coverage | None,
                   rows: list[dict], totals: dict) -> None:
        base = self._base(claim, plan.line.service_line_id, plan.remarks)
        if plan.paid:
            rows.append({**base, "kind": "payment", "party": "insurance", "amount_cents": -plan.paid,
                         "method": self.method, "memo": "insurance payment (835)"})
            totals["paid_cents"] += plan.paid
        patient_items = [a for a in plan.adjustments if a.group_code == "PR"]
        # Part of the charge may already be settled by the payers before this one (a secondary
        # remittance reports it as OA 23 "effect of prior payer"): that part is not posted again.
        others = sorted((a for a in plan.adjustments if a.group_code != "PR"),
                        key=lambda a: (not (a.group_code == "OA" and a.reason_code == "23")))
        for item in patient_items:
            self._transfer(base, item, next_coverage, rows, totals)
        for item in others:
            amount = item.amount_cents
            if handled > 0 and amount > 0:
                used = min(handled, amount)
                handled -= used
                amount -= used
            if not amount:
                continue
            if item.group_code == "OA" and self.oa_action == "patient":
                self._transfer(base, x12.Adjustment("OA", item.reason_code, amount), None, rows, totals)
                continue
            kind = "writeoff" if item.group_code == "OA" else "adjustment"
            rows.append({**base, "kind": kind, "party": "insurance", "amount_cents": -amount,
                         "group_code": item.group_code[:2], "carc": item.reason_code[:5],
                         "memo": ADJUSTMENT_REASONS.get(item.reason_code, "adjustment")[:200]})
            totals["adjustment_cents"] += amount

    def _transfer(self, base: dict, item: x12.Adjustment, next_coverage: Coverage | None, rows: list[dict],
                  totals: dict) -> None:
        """Move an amount off this payer: to the next payer when there is one, else to the patient."""
        what = {"1": "deductible", "2": "coinsurance", "3": "copay"}.get(item.reason_code, "patient responsibility")
        common = {**base, "kind": "transfer", "group_code": item.group_code[:2], "carc": item.reason_code[:5]}
        rows.append({**common, "party": "insurance", "amount_cents": -item.amount_cents,
                     "memo": f"{what} moved to " + ("the next payer" if next_coverage else "the patient")})
        if next_coverage is not None and item.group_code == "PR":
            rows.append({**common, "party": "insurance", "payer": next_coverage.payer_id,
                         "amount_cents": item.amount_cents, "memo": f"{what} from the payer before"})
            totals["next_payer_cents"] += item.amount_cents
        else:
            rows.append({**common, "party": "patient", "amount_cents": item.amount_cents, "memo": what})
            totals["patient_cents"] += item.amount_cents

    def _reverse(self, claim: Claim, payment: ClaimPayment, ledger: list[LineTransaction]) -> dict | str:
        standing = _standing(claim, ledger)
        if not standing:
            return "it reverses a payment, but nothing from an earlier 835 is posted on this claim."
        paid = -sum(row.amount_cents for row in standing if row.kind == "payment")
        if paid != -payment.paid_cents:
            return (f"it takes back {format_cents(-payment.paid_cents)}, but {format_cents(paid)} was posted "
                    "from earlier 835s; post it by hand.")
        rows = [{**self._base(claim, row.service_line_id, ()), "kind": row.kind, "party": row.party,
                 "payer": row.payer_id, "amount_cents": -row.amount_cents, "group_code": row.group_code,
                 "carc": row.carc, "remark_codes": row.remark_codes, "method": row.method, "reverses": row.id,
                 "memo": f"reversal of the 835 posting of {row.effective_date.isoformat()}"} for row in standing]
        self._insert(rows)
        RemitClaim.update(outcome="reversed", resolved=True, resolved_at=utcnow(), resolved_by=self.username,
                          resolution=f"Reversed by the payer in 835 {self.remittance.trace_number}.").where(
            (RemitClaim.claim == claim.id) & RemitClaim.outcome.in_(("paid", "partially_paid", "denied"))
            & (RemitClaim.remittance != self.remittance.id)).execute()

        def undone(*kinds):
            return -sum(r["amount_cents"] for r in rows if r["kind"] in kinds and r["party"] == "insurance")
        return {"paid_cents": undone("payment"), "adjustment_cents": undone("adjustment", "writeoff"),
                "patient_cents": sum(r["amount_cents"] for r in rows if r["party"] == "patient"),
                "next_payer_cents": sum(r["amount_cents"] for r in rows if r["kind"] == "transfer"
                                        and r["party"] == "insurance" and r["payer"] != claim.payer_id),
                "outcome": "reversal", "queue": ""}

    def _next_coverage(self, claim: Claim) -> Coverage | None:
        rank = NEXT_RANK.get(claim.responsibility)
        return responsible(claim.patient_id, claim.service_date, rank) if rank else None

    def _base(self, claim: Claim, service_line_id: int, remarks: tuple[str, ...]) -> dict:
        return {"patient_id": claim.patient_id, "service_line": service_line_id, "claim": claim.id,
                "payer": claim.payer_id, "source": "era", "reference": self.reference,
                "effective_date": self.effective_date, "posted_at": self.now, "posted_by_user_id": self.user_id,
                "remark_codes": " ".join(remarks)[:60], "group_code": "", "carc": "", "method": ""}

    def _insert(self, rows: list[dict]) -> None:
        """Write ledger entries and queue one event per entry (built from what the database stored)."""
        if not rows:
            return
        columns = (LineTransaction.id, LineTransaction.kind, LineTransaction.party, LineTransaction.patient_id,
                   LineTransaction.payer, LineTransaction.claim, LineTransaction.amount_cents,
                   LineTransaction.group_code, LineTransaction.carc, LineTransaction.method,
                   LineTransaction.reference)
        stored = LineTransaction.insert_many(rows).returning(*columns).tuples().execute()
        for (tx_id, kind, party, patient_id, payer_id, claim_id, amount, group, carc, method, reference) in stored:
            common = {"transaction_id": tx_id, "patient_id": patient_id, "payer_id": payer_id, "claim_id": claim_id,
                      "effective_date": self.effective_date, "posted_at": self.now, "reference": reference}
            if kind == "payment":
                self.events.append(("billing_payment_posted", {**common, "amount_cents": -amount, "party": party,
                                                               "method": method}))
            else:
                self.events.append(("billing_adjustment_posted", {**common, "amount_cents": amount, "kind": kind,
                                                                  "group_code": group, "carc": carc,
                                                                  "party": party}))

    def _update_claim(self, claim: Claim, payment: ClaimPayment, row: RemitClaim) -> None:
        """Move the claim to the state the payment gives it (with history), and start the next payer's claim."""
        target = "accepted" if row.outcome == "reversal" else row.outcome
        number = payment.payer_claim_number.strip()[:50] or None
        reason = self._reason(payment, row)
        try:
            if claim.status != target:
                claim_service.transition(claim, target, reason, number)
            elif number and number != claim.payer_claim_number:
                claim_service.set_payer_claim_number(claim, number)
        except ClaimError as exc:
            row.problem = f"The claim stays {claim.status.replace('_', ' ')}: {exc}"
            RemitClaim.update(problem=row.problem).where(RemitClaim.id == row.id).execute()
            return
        if row.next_payer_cents > 0 and payment.status_code not in FORWARDED:
            rank = NEXT_RANK[claim.responsibility]
            try:
                follow = claim_service.create_claim(claim.encounter, rank)
            except ClaimError as exc:
                row.problem = f"No claim to the next payer was created: {exc}"
            else:
                row.problem = (f"Claim {follow.claim_number} to the next payer was created for review "
                               f"({follow.status}).")
            RemitClaim.update(problem=row.problem).where(RemitClaim.id == row.id).execute()

    def _reason(self, payment: ClaimPayment, row: RemitClaim) -> str:
        status = CLAIM_STATUS.get(payment.status_code, f"status {payment.status_code}")
        text = (f"835 from {self.remittance.payer_name or 'the payer'}, trace {self.remittance.trace_number}: "
                f"{status.lower()}; paid {format_cents(row.paid_cents)}")
        if row.patient_cents or row.next_payer_cents:
            text += f", patient responsibility {format_cents(row.patient_cents + row.next_payer_cents)}"
        if row.outcome in ("denied", "partially_paid") and row.reason_codes:
            text += ". Reasons: " + "; ".join(f"{code} {label}".strip() for code, label in reason_text(row.reason_codes))
        return text + "."


def _claim_lines(claim: Claim) -> list[ClaimLine]:
    return list(ClaimLine.select(ClaimLine, ServiceLine).join(ServiceLine)
                .where(ClaimLine.claim == claim.id).order_by(ClaimLine.line_number))


def _standing(claim: Claim, ledger: list[LineTransaction]) -> list[LineTransaction]:
    """This claim's entries posted from 835s that no later entry has reversed."""
    reversed_ids = {row.reverses_id for row in ledger if row.reverses_id}
    return [row for row in ledger if row.claim_id == claim.id and row.source == "era" and row.reverses_id is None
            and row.id not in reversed_ids]


def _handled_by_others(ledger: list[LineTransaction], payer_id: int) -> dict[int, int]:
    """Per service line, what other payers settled (paid or adjusted): a later payer does not owe it."""
    handled: dict[int, int] = {}
    for row in ledger:
        if (row.party == "insurance" and row.kind in ("payment", "adjustment", "writeoff")
                and row.payer_id is not None and row.payer_id != payer_id):
            handled[row.service_line_id] = handled.get(row.service_line_id, 0) - row.amount_cents
    return handled


# --- The import ------------------------------------------------------------------------------------------

def _resolve_payer(remittance: x12.Remittance) -> Payer | None:
    """The payer by the file's payer ID, else its name, else the one payer its claim numbers point at."""
    if remittance.payer_id:
        payer = (Payer.select().where(Payer.payer_id == remittance.payer_id)
                 .order_by(Payer.active.desc(), Payer.id).first())
        if payer is not None:
            return payer
    if remittance.payer_name:
        payer = Payer.select().where(fn.LOWER(Payer.name) == remittance.payer_name.lower()).first()
        if payer is not None:
            return payer
    numbers = list({p.patient_control_number for p in remittance.claims if p.patient_control_number})
    payers = {payer_id for chunk in _chunks(numbers) for (payer_id,) in
              Claim.select(Claim.payer).where(Claim.claim_number.in_(chunk)).distinct().tuples()}
    return Payer.get_by_id(payers.pop()) if len(payers) == 1 else None


def _fire(events: list[tuple[str, dict]]) -> None:
    """Call the published hooks, each enabled subscriber on its own: one that fails is logged
    (hook and entry id only) and neither stops the others nor undoes the committed posting."""
    if not events:
        return
    host = current_app.extensions["medoffice"].host
    subscribers = {hook: [impl.plugin_name for impl in getattr(host.pm.hook, hook).get_hookimpls()
                          if host.is_enabled(impl.plugin_name)]
                   for hook in {hook for hook, _ in events}}
    for hook, kwargs in events:
        for name in subscribers[hook]:
            try:
                host.call_for(name, hook, **kwargs)
            except Exception:
                log.exception("plugin %s failed on %s (entry %s)", name, hook,
                              kwargs.get("transaction_id", kwargs.get("adjustment_id")))


def file_digest(text: str) -> str:
    """The SHA-256 an imported file is remembered by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_835(text: str, file_name: str = "") -> ImportResult:
    """Import an 835 file: check it, post what is new in one transaction, then fire the events.

    :raises RemitRefused: the file fails a check (nothing is posted), or names a payer that is
        not set up and none of its claims match.
    """
    if db.in_transaction():
        raise RuntimeError("import_835 commits its own transaction; call it outside one")
    problems = x12.check_835(text)
    if problems:
        raise RemitRefused(problems)
    digest = file_digest(text)
    parsed = x12.parse_835(text)
    result = ImportResult()
    plans = []
    for position, remittance in enumerate(parsed, start=1):
        payer = _resolve_payer(remittance)
        if payer is None:
            raise RemitRefused([f"The payer {remittance.payer_name or '(no name)'}"
                                + (f" (payer ID {remittance.payer_id})" if remittance.payer_id else "")
                                + " is not set up and none of its claims match ours: add the payer "
                                  "(with that payer ID) and import the file again."])
        seen = Remittance.select().where(
            ((Remittance.file_sha256 == digest) & (Remittance.position == position))
            | ((Remittance.payer == payer.id) & (Remittance.trace_number == remittance.trace_number))).first()
        if seen is not None:
            result.skipped.append(remittance.trace_number)
            continue
        matcher = Matcher(payer, list(remittance.claims))
        plans.append((position, remittance, payer, [matcher.match(p) for p in remittance.claims]))
    if not plans:
        result.duplicate = True
        return result
    events: list[tuple[str, dict]] = []
    try:
        with transaction():
            for position, remittance, payer, matches in plans:
                result.remittances.append(_post_remittance(digest, position, file_name, remittance, payer,
                                                           matches, events))
            totals = remittance_totals([r.id for r in result.remittances])
            audit.record("billing.remit.import", "billing_remittance", result.remittances[0].id,
                         detail={"file": file_name[:120], "sha256": digest,
                                 "traces": [r.trace_number for r in result.remittances], **totals})
    except IntegrityError:
        # Another import of the same file or trace number committed first.
        return ImportResult(duplicate=True, skipped=[r.trace_number for _p, r, _y, _m in plans])
    _fire(events)
    return result


def _post_remittance(digest: str, position: int, file_name: str, remittance: x12.Remittance, payer: Payer,
                     matches: list[Match], events: list) -> Remittance:
    user_id, username = acting_user()
    row = Remittance.create(
        file_sha256=digest, position=position, file_name=file_name[:200], payer=payer.id,
        payer_name=remittance.payer_name[:120], trace_number=remittance.trace_number[:50],
        handling_code=remittance.handling_code[:2], payment_method=remittance.payment_method[:3],
        payment_date=remittance.payment_date or remittance.production_date,
        total_paid_cents=remittance.total_paid_cents, claim_count=len(matches),
        imported_by_user_id=user_id, imported_by=username)
    poster = Poster(row, events)
    for index, match in enumerate(matches, start=1):
        poster.post(match, index)
    poster.post_provider_adjustments(remittance.provider_adjustments)
    refresh_totals(row)
    return Remittance.get_by_id(row.id)


def refresh_totals(remittance: Remittance) -> None:
    """Store the remittance's posted totals (claims matched, cents paid, adjusted...) from its rows."""
    totals = remittance_totals([remittance.id])
    Remittance.update(matched_count=totals["claims_matched"], unmatched_count=totals["claims_unmatched"],
                      paid_cents=totals["paid_cents"], adjustment_cents=totals["adjustment_cents"],
                      patient_cents=totals["patient_responsibility_cents"],
                      plb_cents=totals["plb_cents"]).where(Remittance.id == remittance.id).execute()


def remittance_totals(remittance_ids: list[int]) -> dict:
    """Posted totals of remittances, in two aggregate queries (the CLI's JSON keys)."""
    if not remittance_ids:
        return {"claims_matched": 0, "claims_unmatched": 0, "paid_cents": 0, "adjustment_cents": 0,
                "patient_responsibility_cents": 0, "plb_cents": 0}
    matched = RemitClaim.claim.is_null(False)
    row = (RemitClaim.select(fn.SUM(Case(None, [(matched, 1)], 0)), fn.SUM(Case(None, [(matched, 0)], 1)),
                             fn.SUM(RemitClaim.paid_cents), fn.SUM(RemitClaim.adjustment_cents),
                             fn.SUM(RemitClaim.patient_cents + RemitClaim.next_payer_cents))
           .where(RemitClaim.remittance.in_(remittance_ids)).tuples().get())
    plb = (ProviderAdjustment.select(fn.SUM(ProviderAdjustment.amount_cents))
           .where(ProviderAdjustment.remittance.in_(remittance_ids)).scalar())
    keys = ("claims_matched", "claims_unmatched", "paid_cents", "adjustment_cents", "patient_responsibility_cents")
    return {**{k: int(v or 0) for k, v in zip(keys, row)}, "plb_cents": int(plb or 0)}


# --- The queues --------------------------------------------------------------------------------------------

def match_exception(entry: RemitClaim, claim: Claim) -> RemitClaim:
    """Post an unmatched claim payment against the claim a person chose; audited, events fired after commit.

    :raises ClaimError: the entry is not an open exception, or its lines do not fit the claim.
    """
    if db.in_transaction():
        raise RuntimeError("match_exception commits its own transaction; call it outside one")
    entry = RemitClaim.get_by_id(entry.id)
    if entry.queue != "exception" or entry.resolved or entry.claim_id is not None:
        raise ClaimError("This claim payment is not waiting in the exceptions queue any more.")
    payment = claim_from_json(entry.raw)
    if claim.status not in MATCHABLE:
        raise ClaimError(f"Claim {claim.claim_number} is {claim.status.replace('_', ' ')}: only a claim that "
                         "went to the payer can take a payment.")
    pairs, problem = match_lines(payment, _claim_lines(claim))
    if problem:
        raise ClaimError(f"It does not fit claim {claim.claim_number}: {problem}")
    events: list[tuple[str, dict]] = []
    with transaction():
        remittance = Remittance.get_by_id(entry.remittance_id)
        row = Poster(remittance, events).post(Match(payment, claim, "manual", pairs), entry.position, entry)
        _, username = acting_user()
        RemitClaim.update(resolution=f"Matched by hand to claim {claim.claim_number}.", resolved_by=username,
                          resolved_at=utcnow(), queue=row.queue).where(RemitClaim.id == entry.id).execute()
        audit.record("billing.remit.exception.match", "billing_remit_claim", entry.id, patient_id=claim.patient_id,
                     detail={"claim_id": claim.id, "remittance_id": remittance.id})
        refresh_totals(remittance)
    _fire(events)
    return RemitClaim.get_by_id(entry.id)


def close_entry(entry: RemitClaim, queue: str, reason: str) -> RemitClaim:
    """Close an exception (dismissed: posted elsewhere or not ours) or a worked denial, with the reason; audited."""
    reason = (reason or "").strip()
    entry = RemitClaim.get_by_id(entry.id)
    if entry.queue != queue or entry.resolved:
        raise ClaimError("This entry is not open in that queue any more.")
    if not reason:
        raise ClaimError("Say why: what was done about it.")
    _, username = acting_user()
    with transaction():
        RemitClaim.update(resolved=True, resolution=reason[:2000], resolved_by=username, resolved_at=utcnow(),
                          outcome="dismissed" if queue == "exception" else entry.outcome).where(
            RemitClaim.id == entry.id).execute()
        claim = Claim.get_or_none(Claim.id == entry.claim_id) if entry.claim_id else None
        audit.record(f"billing.remit.{queue}.close", "billing_remit_claim", entry.id,
                     patient_id=claim.patient_id if claim else None, detail={"reason": reason[:500]})
    return RemitClaim.get_by_id(entry.id)


def queue_counts() -> tuple[int, int]:
    """(open denials, open exceptions) in one query."""
    open_entry = RemitClaim.resolved == False  # noqa: E712
    denials, exceptions = (RemitClaim.select(fn.SUM(Case(None, [(RemitClaim.queue == "denial", 1)], 0)),
                                             fn.SUM(Case(None, [(RemitClaim.queue == "exception", 1)], 0)))
                           .where(open_entry & RemitClaim.queue.in_(("denial", "exception"))).tuples().get())
    return int(denials or 0), int(exceptions or 0)


def work_items() -> list[WorkItem]:
    """Today items: denied claims to work, and 835 claim payments that matched no claim."""
    from flask import url_for

    denials, exceptions = queue_counts()
    items = []
    if denials:
        items.append(WorkItem(f"Denied claim{'s' if denials != 1 else ''} to work", url_for("billing.denials"),
                              "billing.view", urgency=35, count=denials, source="Billing",
                              detail="Appeal, correct or write off what the payers denied."))
    if exceptions:
        items.append(WorkItem(f"835 payment{'s' if exceptions != 1 else ''} that matched no claim",
                              url_for("billing.exceptions"), "billing.remits.post", urgency=25, count=exceptions,
                              source="Billing", detail="Match each to its claim, or dismiss it with a reason."))
    return items

"""835 import: refuse a bad remittance file, match its claims and lines, post it to the ledger.

``import_835`` first runs every check (``x12.read_835``: envelope, guide deviations and the
arithmetic), skips transactions seen before (same file, or same payer and trace number), and
matches each claim payment to a claim (CLP01, then the payer's claim number, then member ID,
date and charge) and each service line to a claim line (REF*6R, then code, date and charge).
Then, in one database transaction, it posts payments and adjustments per line: CO and PI are
contractual adjustments, PR moves to the next payer when the patient has one, else to the
patient, OA is written off (or billed to the patient, as configured). Reversals undo the
earlier posting. Claim payments that match nothing, and those carrying a negative charge or
payment without being a reversal (``negative_amounts_problem``), wait in the exceptions queue;
denials in the denial queue (``remit_queues``). Its events are published in that same transaction.
Matching lives in ``remit_matching``.
"""
from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field, is_dataclass
from decimal import Decimal

from flask import url_for
from medoffice import SettingSpec, WorkItem, audit, bulk, prepared, settings
from medoffice.data_versions import kept
from medoffice.db import db, transaction, utcnow
from medoffice.events import publish_all
from medoffice.money import format_cents
from peewee import Case, IntegrityError, fn

from . import claims as claim_service
from . import denials, underpayments, x12
from .actor import acting_user
from .claims import ClaimError
from .denials import claim_count_upto as denial_claims_upto
from .worklist import TODAY_COUNT_LIMIT
from .in_list import one_of
from .models import QUEUES, Claim, Coverage, LineTransaction, Payer, ProviderAdjustment, RemitClaim, Remittance
from .remit_matching import ClaimRef, LineRef, Match, Matcher, chunks, payment_label, service_dates
from .x12.codes import ADJUSTMENT_REASONS, CLAIM_STATUS, REMARK_CODES
from .x12.remit835 import ClaimPayment, Party
from .x12.remit835 import ServiceLine as RemitLine

REVERSAL = "22"  # CLP02 of a claim payment that takes back an earlier one
FORWARDED = ("19", "20", "21")  # processed, and the payer sent the claim on to the next payer itself
NEXT_RANK = {"P": 2, "S": 3}
REVERSIBLE = ("paid", "partially_paid", "denied")  # outcomes a later reversal (CLP02 22) undoes
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
    convert = _PLAIN_BY_TYPE.get(type(value))  # a claim payment's own types, without the checks below
    if convert is not None:
        return convert(value)
    if is_dataclass(value):
        return vars(value)  # not asdict(): that deep-copies, and this runs for every claim of a file
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__}")


_PLAIN_BY_TYPE = {ClaimPayment: vars, RemitLine: vars, x12.Adjustment: vars, Party: vars, dt.date: dt.date.isoformat,
                  Decimal: str}
_TO_JSON = json.JSONEncoder(default=_plain, sort_keys=True)  # json.dumps would build one per claim


def claim_to_json(payment: ClaimPayment) -> str:
    """The claim payment as JSON (dates ISO, quantities as decimal strings)."""
    return _TO_JSON.encode(payment)


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

    line: LineRef
    paid: int
    adjustments: list[x12.Adjustment]
    remarks: tuple[str, ...] = ()


def _plan(payment: ClaimPayment, pairs: list[tuple[RemitLine, LineRef]], lines: list[LineRef]) -> list[_LinePlan]:
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


def negative_amounts_problem(match: Match) -> str:
    """Why a claim payment may not post because it carries a negative charge or payment outside a
    reversal (CLP02 22), in plain words; '' when it may post.

    Only a reversal takes money back, and it undoes a posting it can find. A negative amount on an
    ordinary claim payment would double the insurance balance and credit the patient instead, so it
    waits in the exceptions queue. Negative adjustments (CAS) are ordinary and not looked at here.
    """
    payment = match.payment
    if payment.status_code == REVERSAL:
        return ""
    found = [f"{what} of {format_cents(cents)}" for what, cents in (
        ("claim charge", payment.charge_cents), ("claim payment", payment.paid_cents)) if cents < 0]
    for number, line in enumerate(payment.lines, start=1):
        found += [f"line {number} {what} of {format_cents(cents)}" for what, cents in (
            ("charge", line.charge_cents), ("payment", line.paid_cents)) if cents < 0]
    if not found:
        return ""
    claim = f" (claim {match.claim.claim_number})" if match.claim is not None else ""
    status = CLAIM_STATUS.get(payment.status_code, "an unknown status").lower()
    return (f"{payment_label(payment)}{claim} was not posted: it carries a negative " + ", a negative ".join(found)
            + f", but the payer marked it {status} (status {payment.status_code or 'missing'}), not as a reversal "
            "(status 22). Only a reversal may take money back. Ask the payer what it corrects, then post it by "
            "hand or dismiss it with the reason.")


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


@dataclass
class Entry:
    """A ledger entry as posting needs it (existing, or written by this posting: ``id`` None until then)."""

    id: int | None
    service_line_id: int
    claim_id: int | None
    kind: str
    party: str
    payer_id: int | None
    amount_cents: int
    source: str
    reverses_id: int | None
    reference: str
    effective_date: dt.date
    group_code: str
    carc: str
    remark_codes: str
    method: str


_ENTRY_COLUMNS = (LineTransaction.id, LineTransaction.service_line, LineTransaction.claim, LineTransaction.kind,
                  LineTransaction.party, LineTransaction.payer, LineTransaction.amount_cents, LineTransaction.source,
                  LineTransaction.reverses, LineTransaction.reference, LineTransaction.effective_date,
                  LineTransaction.group_code, LineTransaction.carc, LineTransaction.remark_codes,
                  LineTransaction.method)
_RETURNED = (LineTransaction.id, LineTransaction.kind, LineTransaction.party, LineTransaction.patient_id,
             LineTransaction.payer, LineTransaction.claim, LineTransaction.amount_cents, LineTransaction.group_code,
             LineTransaction.carc, LineTransaction.method, LineTransaction.reference, LineTransaction.reverses)


class Poster:
    """Posts the claim payments of one remittance inside the caller's transaction, in bulk.

    Ledger entries, remittance claims and claim states are written a few statements at a time;
    each claim gets its history entry and one audit entry. The events are queued in ``events``
    for the caller to publish before its transaction commits.
    """

    def __init__(self, remittance: Remittance, events: list[tuple[str, dict]]):
        self.remittance = remittance
        self.events = events
        self.effective_date = remittance.payment_date or remittance.imported_at.date()
        self.method = METHODS.get(remittance.payment_method, "")
        self.reference = remittance.trace_number[:60]
        self.user_id, self.username = acting_user()
        self.now = utcnow()
        self.oa_action = settings.get("billing.era_oa_action", "writeoff")
        self.ledger: dict[int, list[Entry]] = {}
        self.next_payers: dict[tuple[int, int], list[tuple]] = {}
        self.pending: list[dict] = []

    # Entry points -------------------------------------------------------------------------------------

    def post_all(self, matches: list[Match], first_position: int = 1) -> list[dict]:
        """Post every matched payment and queue the rest as exceptions; returns the remittance claim rows."""
        claims = [m.claim for m in matches if m.claim is not None]
        self._load([line.service_line_id for m in matches for line in m.lines], {c.patient_id for c in claims})
        rows, moves, follow_ups = [], [], []
        posted: dict[int, list[dict]] = {}  # this posting's rows by claim, for a reversal later in the file
        for position, match in enumerate(matches, start=first_position):
            values = self._remit_values(match.payment, position)
            held = negative_amounts_problem(match)
            if held:
                rows.append(self._exception(values, held, outcome="held"))
                continue
            if match.claim is None:
                rows.append(self._exception(values, match.problem))
                continue
            reversal = match.payment.status_code == REVERSAL
            result = self._reverse(match) if reversal else self._post_payment(match)
            if isinstance(result, str):
                label = f"{payment_label(match.payment)} (claim {match.claim.claim_number})"
                rows.append(self._exception(values, f"{label}: {result}"))
                continue
            values.update(result, claim=match.claim.id, matched_by=match.matched_by)
            if reversal:
                self._mark_reversed(posted.get(match.claim.id, []), position)
            posted.setdefault(match.claim.id, []).append(values)
            rows.append(values)
            target = "accepted" if values["outcome"] == "reversal" else values["outcome"]
            moves.append((match.claim.id, target, self._reason(match.payment, values),
                          match.payment.payer_claim_number.strip() or None, self._detail(values)))
            if values["next_payer_cents"] > 0 and match.payment.status_code not in FORWARDED:
                follow_ups.append((match.claim, values))
        self._flush()
        underpayments.refresh_claims(c.id for c in claims)
        refused = self._apply(moves, {c.id: c for c in claims})
        for row in rows:
            if row["claim"] in refused:
                row["problem"] = f"The claim kept its state: {refused[row['claim']]}"
        self._next_claims([(claim, values) for claim, values in follow_ups
                           if claim.id not in refused and values["outcome"] != "reversed"])
        return rows

    def _apply(self, moves: list, claims: dict[int, ClaimRef]) -> dict[int, str]:
        """Move the claims to their new states (history and audit with each move); a claim that keeps its
        state still gets the payer's claim number and an audit entry of the posting. Returns refusals."""
        refused, entries = {}, []
        for (claim_id, _target, _reason, number, detail), result in zip(moves, claim_service.record_outcomes(moves)):
            if result is None:
                continue
            if result:
                refused[claim_id] = result
            if number:
                Claim.update(payer_claim_number=number[:50], updated_at=self.now).where(
                    (Claim.id == claim_id) & (Claim.payer_claim_number != number[:50])).execute()
            entries.append({"action": "billing.remit.post", "object_type": "billing_claim", "object_id": claim_id,
                            "patient_id": claims[claim_id].patient_id, "detail": detail})
        audit.record_many(entries)
        return refused

    def post_provider_adjustments(self, items: tuple[x12.ProviderAdjustment, ...]) -> None:
        """Record the PLB adjustments on the provider-level ledger."""
        for item in items:
            row = ProviderAdjustment.create(
                remittance=self.remittance, payer=self.remittance.payer_id, provider_identifier=item.provider_id[:50],
                fiscal_period_end=item.fiscal_period_end, reason_code=item.reason_code[:2],
                reference=item.reference[:50], amount_cents=item.amount_cents, effective_date=self.effective_date,
                posted_at=self.now)
            self.events.append(("billing.provider_adjustment_posted", {
                "adjustment_id": row.id, "payer_id": row.payer_id, "amount_cents": row.amount_cents,
                "reason_code": row.reason_code, "reference": row.reference,
                "provider_identifier": row.provider_identifier, "effective_date": row.effective_date,
                "posted_at": self.now}))

    # Loading and writing -------------------------------------------------------------------------------

    def _load(self, service_line_ids: list[int], patient_ids: set[int], reload: bool = False) -> None:
        wanted = [i for i in dict.fromkeys(service_line_ids) if reload or i not in self.ledger]
        for line_id in wanted:
            self.ledger[line_id] = []
        # Charges play no part in posting an 835 (thousands of rows): only what an 835 posted and anything
        # reversing an entry (to undo a posting once), and what payers settled (a later payer does not owe it).
        relevant = ((LineTransaction.source == "era") | LineTransaction.reverses.is_null(False)
                    | LineTransaction.kind.in_(("payment", "adjustment", "writeoff")))
        for chunk in chunks(wanted):
            for row in (LineTransaction.select(*_ENTRY_COLUMNS)
                        .where(one_of(LineTransaction.service_line, chunk) & relevant)
                        .order_by(LineTransaction.id).tuples()):
                self.ledger[row[1]].append(Entry(*row))
        for chunk in chunks(patient_ids):
            for patient_id, rank, payer_id, start, end in (
                    Coverage.select(Coverage.patient_id, Coverage.rank, Coverage.payer, Coverage.effective_date,
                                    Coverage.end_date)
                    .where(one_of(Coverage.patient_id, chunk) & (Coverage.rank > 1)).tuples()):
                self.next_payers.setdefault((patient_id, rank), []).append((payer_id, start, end))

    def _flush(self) -> None:
        """Write the pending ledger entries and queue one event per entry (from what the database stored)."""
        stored = bulk.insert_rows(LineTransaction, self.pending, returning=_RETURNED)
        self.pending = []
        for (tx_id, kind, party, patient_id, payer_id, claim_id, amount, group, carc, method, reference,
             reverses) in stored:
            common = {"transaction_id": tx_id, "patient_id": patient_id, "payer_id": payer_id, "claim_id": claim_id,
                      "effective_date": self.effective_date, "posted_at": self.now, "reference": reference,
                      "reverses_transaction_id": reverses}
            if kind == "payment":
                self.events.append(("billing.payment_posted", {**common, "amount_cents": -amount, "party": party,
                                                               "method": method, "location_id": None}))
            else:
                self.events.append(("billing.adjustment_posted", {**common, "amount_cents": amount, "kind": kind,
                                                                  "group_code": group, "carc": carc,
                                                                  "party": party}))

    def _add(self, claim: ClaimRef, service_line_id: int, payer_id: int, kind: str, party: str, amount: int, *,
             group: str = "", carc: str = "", method: str = "", remarks: tuple[str, ...] = (), memo: str = "",
             reverses: int | None = None) -> None:
        row = {"kind": kind, "party": party, "patient_id": claim.patient_id, "service_line": service_line_id,
               "claim": claim.id, "payer": payer_id, "amount_cents": amount, "group_code": group[:2],
               "carc": carc[:5], "remark_codes": " ".join(remarks)[:60], "method": method, "source": "era",
               "reference": self.reference, "effective_date": self.effective_date, "posted_at": self.now,
               "posted_by_user_id": self.user_id, "reverses": reverses, "memo": memo[:200]}
        self.pending.append(row)
        self.ledger.setdefault(service_line_id, []).append(Entry(
            None, service_line_id, claim.id, kind, party, payer_id, amount, "era", reverses, self.reference,
            self.effective_date, row["group_code"], row["carc"], row["remark_codes"], method))

    # The claim payment --------------------------------------------------------------------------------

    def _remit_values(self, payment: ClaimPayment, position: int) -> dict:
        patient = payment.patient or payment.insured
        every = list(payment.adjustments) + [a for line in payment.lines for a in line.adjustments]
        remarks = list(payment.remark_codes) + [code for line in payment.lines for code in line.remark_codes]
        days = sorted(service_dates(payment))
        return {
            "remittance": self.remittance.id, "position": position, "claim": None, "matched_by": "",
            "patient_control_number": payment.patient_control_number[:50],
            "payer_claim_number": payment.payer_claim_number[:50], "status_code": payment.status_code[:2],
            "outcome": "", "patient_name": ", ".join(p for p in (patient.last_name, patient.first_name) if p)[:120]
            if patient else "", "member_id": payment.member_id[:80], "service_date": days[0] if days else None,
            "charge_cents": payment.charge_cents, "paid_cents": 0, "adjustment_cents": 0, "patient_cents": 0,
            "next_payer_cents": 0,
            "reason_codes": " ".join(dict.fromkeys(f"{a.group_code}-{a.reason_code}" for a in every))[:200],
            "remark_codes": " ".join(dict.fromkeys(remarks))[:200], "raw": claim_to_json(payment), "problem": "",
            "queue": "", "resolved": False, "resolution": "", "resolved_by": "", "resolved_at": None,
        }

    @staticmethod
    def _exception(values: dict, problem: str, outcome: str = "unmatched") -> dict:
        return {**values, "outcome": outcome, "queue": "exception", "problem": problem}

    def _standing(self, claim: ClaimRef, line_ids) -> list[Entry]:
        """This claim's entries posted from 835s on these lines that nothing has reversed yet."""
        entries = [e for line_id in line_ids for e in self.ledger.get(line_id, [])]
        reversed_ids = {e.reverses_id for e in entries if e.reverses_id}
        return [e for e in entries if e.claim_id == claim.id and e.source == "era" and e.reverses_id is None
                and (e.id is None or e.id not in reversed_ids)]

    def _post_payment(self, match: Match) -> dict | str:
        claim, payment = match.claim, match.payment
        plans = _plan(payment, match.pairs, match.lines)
        standing = self._standing(claim, {plan.line.service_line_id for plan in plans})
        if standing:
            earlier = sorted({e.reference for e in standing if e.reference})
            return ("these lines were already posted from an earlier 835"
                    + (f" (trace {', '.join(earlier)})" if earlier else "")
                    + "; the payer must reverse that payment first (CLP02 22).")
        next_payer = self._next_payer(claim)
        totals = {"paid_cents": 0, "adjustment_cents": 0, "patient_cents": 0, "next_payer_cents": 0}
        for plan in plans:
            self._post_line(claim, plan, self._handled_by_others(plan.line.service_line_id, claim.payer_id),
                            next_payer, totals)
        outcome = _outcome(payment)
        return {**totals, "outcome": outcome, "queue": "denial" if outcome != "paid" else ""}

    def _post_line(self, claim: ClaimRef, plan: _LinePlan, handled: int, next_payer: int | None, totals: dict) -> None:
        line_id, payer_id = plan.line.service_line_id, claim.payer_id
        if plan.paid:
            self._add(claim, line_id, payer_id, "payment", "insurance", -plan.paid, method=self.method,
                      remarks=plan.remarks, memo="insurance payment (835)")
            totals["paid_cents"] += plan.paid
        # Part of the charge may already be settled by the payers before this one (a secondary
        # remittance reports it as OA 23 "effect of prior payer"): that part is not posted again.
        others = sorted((a for a in plan.adjustments if a.group_code != "PR"),
                        key=lambda a: not (a.group_code == "OA" and a.reason_code == "23"))
        for item in (a for a in plan.adjustments if a.group_code == "PR"):
            self._transfer(claim, line_id, item, next_payer, totals)
        for item in others:
            amount = item.amount_cents
            if handled > 0 and amount > 0:
                used = min(handled, amount)
                handled -= used
                amount -= used
            if not amount:
                continue
            if item.group_code == "OA" and self.oa_action == "patient":
                self._transfer(claim, line_id, x12.Adjustment("OA", item.reason_code, amount), None, totals)
                continue
            self._add(claim, line_id, payer_id, "writeoff" if item.group_code == "OA" else "adjustment", "insurance",
                      -amount, group=item.group_code, carc=item.reason_code, remarks=plan.remarks,
                      memo=ADJUSTMENT_REASONS.get(item.reason_code, "adjustment"))
            totals["adjustment_cents"] += amount

    def _transfer(self, claim: ClaimRef, line_id: int, item: x12.Adjustment, next_payer: int | None,
                  totals: dict) -> None:
        """Move an amount off this payer: to the next payer when there is one, else to the patient."""
        what = {"1": "deductible", "2": "coinsurance", "3": "copay"}.get(item.reason_code, "patient responsibility")
        onward = next_payer is not None and item.group_code == "PR"
        codes = {"group": item.group_code, "carc": item.reason_code}
        self._add(claim, line_id, claim.payer_id, "transfer", "insurance", -item.amount_cents,
                  memo=f"{what} moved to " + ("the next payer" if onward else "the patient"), **codes)
        if onward:
            self._add(claim, line_id, next_payer, "transfer", "insurance", item.amount_cents,
                      memo=f"{what} from the payer before", **codes)
            totals["next_payer_cents"] += item.amount_cents
        else:
            self._add(claim, line_id, claim.payer_id, "transfer", "patient", item.amount_cents, memo=what, **codes)
            totals["patient_cents"] += item.amount_cents

    def _handled_by_others(self, line_id: int, payer_id: int) -> int:
        """What other payers settled on a service line (paid or adjusted): a later payer does not owe it."""
        return -sum(e.amount_cents for e in self.ledger.get(line_id, [])
                    if e.party == "insurance" and e.kind in ("payment", "adjustment", "writeoff")
                    and e.payer_id is not None and e.payer_id != payer_id)

    def _next_payer(self, claim: ClaimRef) -> int | None:
        rank = NEXT_RANK.get(claim.responsibility)
        for payer_id, start, end in self.next_payers.get((claim.patient_id, rank), []) if rank else []:
            if start <= claim.service_date and (end is None or claim.service_date <= end):
                return payer_id
        return None

    def _reverse(self, match: Match) -> dict | str:
        claim, payment = match.claim, match.payment
        line_ids = [line.service_line_id for line in match.lines]
        standing = self._standing(claim, line_ids)
        if not standing:
            return ("it reverses a payment, but nothing from an earlier 835 is posted on this claim, "
                    "nor earlier in this file.")
        if any(e.id is None for e in standing):
            # Paid earlier in this file: write those entries now, so the reversal can point at them.
            self._flush()
            self._load(line_ids, set(), reload=True)
            standing = self._standing(claim, line_ids)
        paid = -sum(e.amount_cents for e in standing if e.kind == "payment")
        if paid != -payment.paid_cents:
            return (f"it takes back {format_cents(-payment.paid_cents)}, but {format_cents(paid)} is posted on it "
                    "from 835s (this file included); post it by hand.")
        for e in standing:
            self._add(claim, e.service_line_id, e.payer_id, e.kind, e.party, -e.amount_cents, group=e.group_code,
                      carc=e.carc, method=e.method, remarks=tuple(e.remark_codes.split()), reverses=e.id,
                      memo=f"reversal of the 835 posting of {e.effective_date.isoformat()}")
        RemitClaim.update(outcome="reversed", resolved=True, resolved_at=self.now, resolved_by=self.username,
                          resolution=f"Reversed by the payer in 835 {self.remittance.trace_number}.").where(
            (RemitClaim.claim == claim.id) & RemitClaim.outcome.in_(REVERSIBLE)).execute()
        return {"paid_cents": sum(e.amount_cents for e in standing if e.kind == "payment"),
                "adjustment_cents": sum(e.amount_cents for e in standing
                                        if e.kind in ("adjustment", "writeoff") and e.party == "insurance"),
                "patient_cents": -sum(e.amount_cents for e in standing if e.party == "patient"),
                "next_payer_cents": -sum(e.amount_cents for e in standing if e.kind == "transfer"
                                         and e.party == "insurance" and e.payer_id != claim.payer_id),
                "outcome": "reversal", "queue": ""}

    def _mark_reversed(self, rows: list[dict], position: int) -> None:
        """Close this file's earlier rows of a claim the payer just reversed (as ``_reverse`` does in the database
        for earlier files: this file's rows are written after posting)."""
        for row in rows:
            if row["outcome"] in REVERSIBLE:
                row.update(outcome="reversed", resolved=True, resolved_at=self.now, resolved_by=self.username,
                           resolution=f"Reversed by the payer later in this 835 (claim payment {position}), "
                                      f"trace {self.remittance.trace_number}.")

    # The claims ----------------------------------------------------------------------------------------

    def _detail(self, values: dict) -> dict:
        return {"remittance_id": self.remittance.id, "trace": self.remittance.trace_number,
                "outcome": values["outcome"], "paid_cents": values["paid_cents"],
                "adjustment_cents": values["adjustment_cents"], "patient_cents": values["patient_cents"],
                "next_payer_cents": values["next_payer_cents"]}

    @staticmethod
    def _next_claims(follow_ups: list[tuple[ClaimRef, dict]]) -> None:
        """Start the next payer's claims for review, all in one go; each posting report says what happened."""
        made = claim_service.create_claims([(claim.encounter_id, NEXT_RANK[claim.responsibility])
                                            for claim, _values in follow_ups])
        for (_claim, values), result in zip(follow_ups, made):
            values["problem"] = (f"No claim to the next payer was created: {result}" if isinstance(result, ClaimError)
                                 else f"Claim {result.claim_number} to the next payer was created for review "
                                      f"({result.status}).")

    def _reason(self, payment: ClaimPayment, values: dict) -> str:
        status = CLAIM_STATUS.get(payment.status_code, f"status {payment.status_code}")
        text = (f"835 from {self.remittance.payer_name or 'the payer'}, trace {self.remittance.trace_number}: "
                f"{status.lower()}; paid {format_cents(values['paid_cents'])}")
        moved = values["patient_cents"] + values["next_payer_cents"]
        if moved:
            text += f", patient responsibility {format_cents(moved)}"
        if payment.payer_claim_number:
            text += f"; payer's claim number {payment.payer_claim_number}"
        if values["outcome"] in ("denied", "partially_paid") and values["reason_codes"]:
            text += ". Reasons: " + "; ".join(f"{code} {label}".strip()
                                              for code, label in reason_text(values["reason_codes"]))
        return text + "."


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
    payers = {payer_id for chunk in chunks(numbers) for (payer_id,) in
              Claim.select(Claim.payer).where(one_of(Claim.claim_number, chunk)).distinct().tuples()}
    return Payer.get_by_id(payers.pop()) if len(payers) == 1 else None


def file_digest(text: str) -> str:
    """The SHA-256 an imported file is remembered by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_collector = {"pauses": 0, "was_enabled": False}  # imports running in this process, and the state before the first
_collector_lock = threading.Lock()


@contextmanager
def _without_cycle_collection():
    """Pause Python's cyclic garbage collector. An import makes hundreds of thousands of objects that form
    no cycles (segments, rows, events) and keeps many of them to the end: the collector would walk them,
    and the whole heap, again and again for nothing (about an eighth of a 5,000-claim import).

    The collector is the process's: imports in two threads share one pause, and the last to finish puts
    back the state the first found."""
    with _collector_lock:
        if _collector["pauses"] == 0:
            _collector["was_enabled"] = gc.isenabled()
            gc.disable()
        _collector["pauses"] += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector["pauses"] -= 1
            if _collector["pauses"] == 0 and _collector["was_enabled"]:
                gc.enable()


def import_835(text: str, file_name: str = "") -> ImportResult:
    """Import an 835 file: check it, post what is new and publish its events in one transaction.

    :raises RemitRefused: the file fails a check (nothing is posted), or names a payer that is
        not set up and none of its claims match.
    """
    if db.in_transaction():
        raise RuntimeError("import_835 commits its own transaction; call it outside one")
    with _without_cycle_collection():
        return _import(text, file_name)


def _import(text: str, file_name: str) -> ImportResult:
    remittances, problems = x12.read_835(text)
    if problems:
        raise RemitRefused(problems)
    digest = file_digest(text)
    result = ImportResult()
    plans = []
    for position, remittance in enumerate(remittances, start=1):
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
            publish_all(events)
    except IntegrityError:
        # Another import of the same file or trace number committed first.
        return ImportResult(duplicate=True, skipped=[r.trace_number for _p, r, _y, _m in plans])
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
    bulk.insert_rows(RemitClaim, poster.post_all(matches))
    denials.refresh_claims(match.claim.id for match in matches if match.claim is not None)
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


# --- The queues' counts for Today ------------------------------------------------------------------------

_QUEUE_COUNTS = (RemitClaim.select(fn.SUM(Case(None, [(RemitClaim.queue == "denial", 1)], 0)),
                                   fn.SUM(Case(None, [(RemitClaim.queue == "exception", 1)], 0)))
                 .where((RemitClaim.resolved == False) & RemitClaim.queue.in_(("denial", "exception")))  # noqa: E712
                 .tuples())


def queue_counts() -> tuple[int, int]:
    """(open denials, open exceptions) in one query."""
    denials, exceptions = kept(QUEUES.key, "remit queue counts", lambda: next(iter(
        prepared.run(_QUEUE_COUNTS, "billing.remit.queue_counts"))))
    return int(denials or 0), int(exceptions or 0)


def work_items() -> list[WorkItem]:
    """Today items: denied claims to work (those of the Denials page), and 835 claim payments that matched
    no claim."""
    denials, exceptions = denial_claims_upto(TODAY_COUNT_LIMIT + 1), queue_counts()[1]
    items = []
    if denials:
        items.append(WorkItem(f"Denied claim{'s' if denials != 1 else ''} to work", url_for("billing.denials"),
                              "billing.claims.edit", urgency=35, count=min(denials, TODAY_COUNT_LIMIT),
                              count_is_floor=denials > TODAY_COUNT_LIMIT, source="Billing",
                              detail="Appeal, correct or write off what the payers denied."))
    if exceptions:
        items.append(WorkItem(f"835 payment{'s' if exceptions != 1 else ''} that matched no claim",
                              url_for("billing.exceptions"), "billing.remits.post", urgency=25, count=exceptions,
                              source="Billing", detail="Match each to its claim, or dismiss it with a reason."))
    return items

"""Importing acknowledgments: 999s about the 837P batches we sent, 277CAs about their claims.

``import_ack`` reads and checks the whole file first (``x12.ack.read_ack``) and finds what it refers
to; a file that names no batch or claim we sent is refused with the reason. Only then, in one
transaction, it records each acknowledgment and moves claims: a rejected 999 sends its batch's
claims back to "rejected" with the segment, element and error in plain words; a 277CA accepts
claims (keeping the payer's claim number) or rejects them with the status codes' text. Rejected
claims land on the rejected worklist. Importing the same file again changes nothing.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from medoffice import audit, bulk
from medoffice.db import db, transaction

from . import claims as claim_service
from .actor import acting_user
from .models import Acknowledgment, Claim, ClaimAcknowledgment, ClaimBatch, ClaimBatchItem, EligibilityBatch
from .remit_matching import chunks
from .x12.ack import Ack277, Ack999, AckFile, read_ack

REJECTABLE = ("submitted", "accepted")  # states an acknowledgment may still reject


class AckRefused(ValueError):
    """Nothing was imported; ``problems`` says why, in plain words."""

    def __init__(self, problems: list[str]):
        super().__init__("The acknowledgment was refused:\n- " + "\n- ".join(problems))
        self.problems = problems


@dataclass
class AckResult:
    """What an import did (the CLI's JSON keys); ``duplicate``: the file was imported before."""

    kind: str
    accepted: int = 0
    rejected: int = 0
    claims_updated: int = 0
    duplicate: bool = False
    acknowledgments: list[Acknowledgment] = field(default_factory=list)

    def as_dict(self) -> dict:
        """The result as the CLI prints it."""
        return {"type": self.kind, "accepted": self.accepted, "rejected": self.rejected,
                "claims_updated": self.claims_updated, "duplicate": self.duplicate}


def file_digest(text: str) -> str:
    """The SHA-256 an imported file is remembered by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def import_ack(text: str, file_name: str = "") -> AckResult:
    """Check and import a 999 or 277CA file.

    :raises AckRefused: the file is not a readable 999 or 277CA, or refers to nothing we sent.
    """
    if db.in_transaction():
        raise RuntimeError("import_ack commits its own transaction; call it outside one")
    parsed, problems = read_ack(text)
    if problems or parsed is None:
        raise AckRefused(problems or ["The file could not be read."])
    digest = file_digest(text)
    earlier = list(Acknowledgment.select().where(Acknowledgment.file_sha256 == digest))
    if earlier:
        return AckResult(parsed.kind, sum(a.accepted for a in earlier), sum(a.rejected for a in earlier), 0,
                         duplicate=True, acknowledgments=earlier)
    plans = _plan_999(parsed) if parsed.kind == "999" else _plan_277(parsed)
    result = AckResult(parsed.kind)
    _, username = acting_user()
    with transaction():
        for position, plan in enumerate(plans, start=1):
            row = Acknowledgment.create(file_sha256=digest, position=position, kind=parsed.kind,
                                        file_name=file_name[:200], imported_by=username, **plan["row"])
            moved = _apply(row, plan["claims"])
            Acknowledgment.update(claims_updated=moved).where(Acknowledgment.id == row.id).execute()
            result.accepted += row.accepted
            result.rejected += row.rejected
            result.claims_updated += moved
            result.acknowledgments.append(Acknowledgment.get_by_id(row.id))
        audit.record("billing.ack.import", "billing_acknowledgment", result.acknowledgments[0].id,
                     detail={"file": file_name[:120], "sha256": digest, **result.as_dict()})
    return result


# --- 999 -------------------------------------------------------------------------------------------

def _plan_999(parsed: AckFile) -> list[dict]:
    plans = []
    for ack in parsed.acks_999:
        number = int(ack.group_control_number)
        if ack.functional_id == "HS":
            if not EligibilityBatch.select().where(EligibilityBatch.control_number == number).exists():
                raise AckRefused([f"The 999 acknowledges 270 group {number}, which is no eligibility batch we sent."])
            plans.append({"row": _row_999(ack, None, 0, 0), "claims": []})
            continue
        if ack.functional_id != "HC":
            raise AckRefused([f"The 999 acknowledges a {ack.functional_id or 'unnamed'} functional group; we only "
                              "send claims (HC) and eligibility inquiries (HS)."])
        batch = ClaimBatch.get_or_none((ClaimBatch.control_number == number) & (ClaimBatch.kind == "837p"))
        if batch is None:
            raise AckRefused([f"The 999 acknowledges group {number}, which is no 837P batch we sent: was it meant "
                              "for another practice or sending system?"])
        claim_ids = [cid for (cid,) in ClaimBatchItem.select(ClaimBatchItem.claim)
                     .where(ClaimBatchItem.batch == batch.id).tuples()]
        rejected = ack.status not in ("A", "E") or any(t.rejected for t in ack.transactions)
        reasons = ack.reasons()
        why = (f"The clearinghouse rejected batch {batch.file_name} (999: {ack.status_text.lower()}). "
               + (" ".join(reasons) if reasons else "It gave no detail: ask the clearinghouse.")) if rejected else ""
        planned = [{"claim_id": cid, "number": "", "outcome": "rejected" if rejected else "accepted",
                    "statuses": ack.status, "payer_number": "", "reason": why, "move": "rejected" if rejected else None}
                   for cid in claim_ids]
        plans.append({"row": _row_999(ack, batch, 0 if rejected else len(claim_ids),
                                      len(claim_ids) if rejected else 0), "claims": planned})
    return plans


def _row_999(ack: Ack999, batch: ClaimBatch | None, accepted: int, rejected: int) -> dict:
    return {"batch": batch, "reference": ack.group_control_number[:50], "status": ack.status[:2],
            "accepted": accepted, "rejected": rejected, "reasons": "\n".join(ack.reasons())}


# --- 277CA -----------------------------------------------------------------------------------------

def _plan_277(parsed: AckFile) -> list[dict]:
    numbers = sorted({c.patient_control_number.upper() for ack in parsed.acks_277 for c in ack.claims})
    known = {number: cid for chunk in chunks(numbers)
             for cid, number in Claim.select(Claim.id, Claim.claim_number).where(Claim.claim_number.in_(chunk)).tuples()}
    if not known:
        raise AckRefused([f"The 277CA names no claim we sent (claim numbers {', '.join(numbers[:10])}"
                          f"{'...' if len(numbers) > 10 else ''}): was it meant for another practice?"])
    return [_plan_277_transaction(ack, known) for ack in parsed.acks_277]


def _plan_277_transaction(ack: Ack277, known: dict[str, int]) -> dict:
    planned, accepted, rejected = [], 0, 0
    payer = ack.payer_name or "the payer"
    for answer in ack.claims:
        number = answer.patient_control_number.upper()
        claim_id = known.get(number)
        outcome = "rejected" if answer.rejected else "accepted" if answer.accepted else "pending"
        reason = {"rejected": f"Rejected by {payer} (277CA): ", "accepted": f"Accepted by {payer} (277CA): "}.get(
            outcome, f"{payer} (277CA): ") + answer.reason()
        if claim_id is None:
            # kept for the biller to look into, counted with no claim of ours
            outcome, reason = "unmatched", f"No claim {number} was sent from here. {reason}"
        accepted += outcome == "accepted"
        rejected += outcome == "rejected"
        planned.append({"claim_id": claim_id, "number": number, "outcome": outcome, "payer_number":
                        answer.payer_claim_number, "statuses": " ".join(f"{s.category}:{s.code}:{s.entity}".rstrip(":")
                                                                      for s in answer.statuses)[:60],
                        "reason": reason, "move": outcome if outcome in ("rejected", "accepted") else None})
    row = {"batch": None, "reference": (ack.batch_reference or ack.reference)[:50], "status": "",
           "payer_name": ack.payer_name[:120], "accepted": accepted, "rejected": rejected,
           "reasons": "\n".join(p["reason"] for p in planned if p["outcome"] == "rejected")}
    return {"row": row, "claims": planned}


# --- Recording ---------------------------------------------------------------------------------------

def _apply(ack: Acknowledgment, planned: list[dict]) -> int:
    """Record what the acknowledgment said per claim and move the claims it accepts or rejects; returns how
    many claims changed state."""
    ids = [p["claim_id"] for p in planned if p["claim_id"]]
    numbers = {cid: number for chunk in chunks(ids)
               for cid, number in Claim.select(Claim.id, Claim.claim_number).where(Claim.id.in_(chunk)).tuples()}
    bulk.insert_rows(ClaimAcknowledgment, [
        {"acknowledgment": ack.id, "claim": p["claim_id"], "claim_number": (p["number"] or numbers[p["claim_id"]])[:50],
         "outcome": p["outcome"], "statuses": p["statuses"][:60], "payer_claim_number": p["payer_number"][:50],
         "reason": p["reason"]} for p in planned])
    states = {cid: status for chunk in chunks(ids)
              for cid, status in Claim.select(Claim.id, Claim.status).where(Claim.id.in_(chunk)).tuples()}
    moves = []
    for p in planned:
        status = states.get(p["claim_id"])
        if p["move"] == "rejected" and status in REJECTABLE:
            moves.append((p["claim_id"], "rejected", p["reason"], p["payer_number"] or None, {"ack": ack.kind}))
        elif p["move"] == "accepted" and status == "submitted":
            moves.append((p["claim_id"], "accepted", p["reason"], p["payer_number"] or None, {"ack": ack.kind}))
    return sum(1 for outcome in claim_service.record_outcomes(moves) if outcome is None)


def claim_acknowledgments(claim_id: int) -> list[ClaimAcknowledgment]:
    """What acknowledgments said about a claim, newest first."""
    return list(ClaimAcknowledgment.select(ClaimAcknowledgment, Acknowledgment).join(Acknowledgment)
                .where(ClaimAcknowledgment.claim == claim_id).order_by(Acknowledgment.imported_at.desc()))

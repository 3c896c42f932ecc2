"""Bulk actions on claims picked from a list: mark ready, hold (with the reason) or assign. Each claim goes
through the same service as its own page (its rules, history and audit), one by one; a claim that
refuses is reported with why, and the rest go on."""
from __future__ import annotations

from dataclasses import dataclass, field

from . import claims as claim_service
from .claims import ClaimError
from .models import Claim

ACTIONS = {"ready": "Mark ready to submit", "hold": "Hold", "assign": "Assign"}
MAX_CLAIMS = 500


@dataclass
class BulkResult:
    """What a bulk action did: the claims it changed, and (claim number, why) for those it could not."""

    done: list[Claim] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def apply(action: str, claim_ids: list[int], *, reason: str = "", user_id: int | None = None) -> BulkResult:
    """Apply ``action`` to each claim of ``claim_ids``.

    :raises ClaimError: an unknown action, no claim, too many, or a hold without a reason (nothing done).
    """
    if action not in ACTIONS:
        raise ClaimError("Choose what to do with the selected claims.")
    ids = sorted(set(claim_ids))
    if not ids:
        raise ClaimError("Select the claims first.")
    if len(ids) > MAX_CLAIMS:
        raise ClaimError(f"Select at most {MAX_CLAIMS} claims at a time.")
    if action == "hold" and not (reason or "").strip():
        raise ClaimError("Say why the claims are held.")
    result = BulkResult()
    for claim in Claim.select().where(Claim.id.in_(ids)).order_by(Claim.id):
        try:
            if action == "ready":
                changed = claim_service.mark_ready(claim)
            elif action == "hold":
                changed = claim_service.hold(claim, reason)
            else:
                changed = claim_service.assign(claim, user_id)
        except ClaimError as exc:
            result.refused.append((claim.claim_number, str(exc)))
        else:
            result.done.append(changed)
    return result

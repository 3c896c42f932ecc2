"""Working the queues 835 imports leave: post an unmatched claim payment to the claim a person
chose, dismiss it, or mark a denial worked; each with the reason, audited."""
from __future__ import annotations

from medoffice import audit
from medoffice.db import db, transaction, utcnow
from medoffice.events import publish_all

from . import denials
from .actor import acting_user
from .claims import ClaimError
from .models import Claim, RemitClaim, Remittance
from .posting import Poster, claim_from_json, refresh_totals
from .remit_matching import check_match, claim_lines, claim_ref


def match_exception(entry: RemitClaim, claim: Claim) -> RemitClaim:
    """Post an unmatched claim payment against the claim a person chose; audited, its events published with it.

    :raises ClaimError: the entry is not an open exception, or the payment does not fit the claim.
    """
    if db.in_transaction():
        raise RuntimeError("match_exception commits its own transaction; call it outside one")
    entry = RemitClaim.get_by_id(entry.id)
    if entry.queue != "exception" or entry.resolved or entry.claim_id is not None:
        raise ClaimError("This claim payment is not waiting in the exceptions queue any more.")
    match = check_match(claim_from_json(entry.raw), claim_ref(claim), claim_lines([claim.id]).get(claim.id, []),
                        "manual")
    if match.claim is None:
        raise ClaimError(match.problem)
    events: list[tuple[str, dict]] = []
    _, username = acting_user()
    with transaction():
        remittance = Remittance.get_by_id(entry.remittance_id)
        row = Poster(remittance, events).post_all([match], entry.position)[0]
        if row["claim"] is None:
            raise ClaimError(row["problem"])
        changes = {k: v for k, v in row.items() if k not in ("remittance", "position")}
        changes.update(resolution=f"Matched by hand to claim {claim.claim_number}.", resolved_by=username,
                       resolved_at=utcnow())
        RemitClaim.update(**changes).where(RemitClaim.id == entry.id).execute()
        denials.refresh_claims([claim.id])
        audit.record("billing.remit.exception.match", "billing_remit_claim", entry.id, patient_id=claim.patient_id,
                     detail={"claim_id": claim.id, "remittance_id": remittance.id})
        refresh_totals(remittance)
        publish_all(events)
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
        if entry.claim_id:
            denials.refresh_claims([entry.claim_id])
        claim = Claim.get_or_none(Claim.id == entry.claim_id) if entry.claim_id else None
        audit.record(f"billing.remit.{queue}.close", "billing_remit_claim", entry.id,
                     patient_id=claim.patient_id if claim else None, detail={"reason": reason[:500]})
    return RemitClaim.get_by_id(entry.id)

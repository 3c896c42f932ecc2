"""Claims: creation from encounters, the state machine with its history, corrections and voids.

Every state change goes through ``transition`` and leaves a ``ClaimEvent`` (who, when, why)
and an audit entry. A claim can only become ready, or be submitted, when the scrubber finds no
errors. Corrected (frequency 7) and void (frequency 8) claims reference the original claim and
the payer's claim number for it.

A claim keeps what it bills: its lines (with their diagnosis pointers) and its diagnoses are
copied from the encounter, and follow it only while the claim is open (draft or ready). A
claim that went out keeps showing what was sent; a correction copies the encounter anew.
"""
from __future__ import annotations

from medoffice import audit, bulk
from medoffice.db import transaction, utcnow
from medoffice.models import User
from peewee import Case, fn

from . import denials, encounters, numbering, scrubber
from .actor import acting_user
from .coverage import RANK_RESPONSIBILITY, RANKS
from .in_list import Rows, one_of
from .models import (OPEN_STATES, Claim, ClaimDiagnosis, ClaimEvent, ClaimLine, Coverage, Diagnosis, Encounter,
                     LineTransaction, Payer, ServiceLine)

STATE_LABELS = {
    "draft": "Draft", "ready": "Ready to submit", "submitted": "Submitted", "accepted": "Accepted",
    "rejected": "Rejected", "paid": "Paid", "partially_paid": "Partially paid", "denied": "Denied",
    "appealed": "Appealed", "closed": "Closed",
}
TRANSITIONS = {
    "draft": ("ready", "closed"),
    "ready": ("draft", "submitted", "closed"),
    "submitted": ("accepted", "rejected", "paid", "partially_paid", "denied"),
    "accepted": ("rejected", "paid", "partially_paid", "denied"),
    "rejected": ("draft", "closed"),
    # An 835 may take a payment back (reversal: the payer has the claim again) or deny it on review.
    "paid": ("partially_paid", "denied", "accepted", "closed"),
    "partially_paid": ("paid", "denied", "appealed", "accepted", "closed"),
    "denied": ("appealed", "paid", "partially_paid", "accepted", "closed"),
    "appealed": ("paid", "partially_paid", "denied", "closed"),
    "closed": (),
}
# Moves a person must explain (the reason lands in the history).
NEEDS_REASON = {("ready", "draft"), *((s, t) for s in TRANSITIONS for t in ("rejected", "denied", "appealed", "closed"))}
CORRECTABLE = ("accepted", "paid", "partially_paid", "denied", "appealed")
ADJUDICATED = ("paid", "partially_paid", "denied", "closed")


class ClaimError(ValueError):
    """A claim operation was refused, with a message saying what to do instead."""


# --- History -------------------------------------------------------------------------------------

def _event(claim: Claim, action: str, reason: str = "", from_status: str = "", to_status: str = "") -> None:
    user_id, username = acting_user()
    ClaimEvent.create(claim=claim, user_id=user_id, username=username, action=action, reason=reason,
                      from_status=from_status, to_status=to_status)
    audit.record(f"billing.claim.{action}", "billing_claim", claim.id, patient_id=claim.patient_id,
                 detail={"claim_number": claim.claim_number, "from": from_status, "to": to_status,
                         "reason": reason})


def history(claim: Claim) -> list[ClaimEvent]:
    """The claim's history, oldest first."""
    return list(ClaimEvent.select().where(ClaimEvent.claim == claim).order_by(ClaimEvent.at, ClaimEvent.id))


# --- What a claim bills: lines and diagnoses ---------------------------------------------------------

def _write_billed(claim: Claim, lines: list[dict], diagnoses: list[str]) -> int:
    """Replace the claim's lines (numbered in order) and diagnoses (positions in order); returns the total charge."""
    ClaimLine.delete().where(ClaimLine.claim == claim).execute()
    ClaimDiagnosis.delete().where(ClaimDiagnosis.claim == claim).execute()
    rows = [{**row, "claim": claim.id, "line_number": n} for n, row in enumerate(lines, start=1)]
    if rows:
        ClaimLine.insert_many(rows).execute()
    if diagnoses:
        ClaimDiagnosis.insert_many([{"claim": claim.id, "position": n, "code": code}
                                    for n, code in enumerate(diagnoses, start=1)]).execute()
    return sum(row["charge_cents"] for row in rows)


def _billed_from_encounter(encounter: Encounter) -> tuple[list[dict], list[str]]:
    """The encounter's active lines and its diagnoses, as a claim bills them now."""
    lines = [{"service_line": line.id, "code": line.code, "modifiers": ":".join(line.modifiers),
              "units": line.units, "charge_cents": line.charge_cents,
              "diagnosis_pointers": ":".join(str(p) for p in line.pointers)} for line in encounters.lines(encounter)]
    return lines, [d.code for d in encounters.diagnoses(encounter)]


def _billed_by_claim(claim: Claim) -> tuple[list[dict], list[str]]:
    """Exactly what ``claim`` billed, to copy onto a claim that must match it (a void)."""
    lines = [{"service_line": l.service_line_id, "code": l.code, "modifiers": l.modifiers, "units": l.units,
              "charge_cents": l.charge_cents, "diagnosis_pointers": l.diagnosis_pointers} for l in claim_lines(claim)]
    return lines, [d.code for d in claim_diagnoses(claim)]


def claim_lines(claim: Claim) -> list[ClaimLine]:
    """The claim's lines with their service lines (one query)."""
    return list(ClaimLine.select(ClaimLine, ServiceLine).join(ServiceLine)
                .where(ClaimLine.claim == claim).order_by(ClaimLine.line_number))


def claim_diagnoses(claim: Claim) -> list[ClaimDiagnosis]:
    """The diagnoses the claim bills, in the order its pointers name them."""
    return list(ClaimDiagnosis.select().where(ClaimDiagnosis.claim == claim).order_by(ClaimDiagnosis.position))


def _rebill(claim: Claim, encounter: Encounter, billed: tuple[list[dict], list[str]]) -> int:
    """Make an open claim bill the encounter as it is now and scrub it; returns the error count."""
    total = _write_billed(claim, *billed)
    Claim.update(total_charge_cents=total, service_date=encounter.service_date, updated_at=utcnow()).where(
        Claim.id == claim.id).execute()
    if claim.service_date != encounter.service_date:  # the denial worklist's kept row carries it
        denials.service_date_changed(claim.id, encounter.service_date)
    return scrubber.record(claim, scrubber.scrub(claim))


def refresh_open_claims(encounter: Encounter) -> None:
    """Rebuild the lines and diagnoses of the encounter's open claims from it, then re-scrub them.

    A ready claim that now has errors goes back to draft, with the reason in its history.
    Void claims keep the original's lines: they must match what the payer has.
    """
    encounter = Encounter.get_by_id(encounter.id)
    open_claims = list(Claim.select().where((Claim.encounter == encounter) & Claim.status.in_(OPEN_STATES)
                                            & (Claim.frequency_code != "8")))
    if not open_claims:
        return
    billed = _billed_from_encounter(encounter)
    for claim in open_claims:
        errors = _rebill(claim, encounter, billed)
        if claim.status == "ready" and errors:
            _move(claim, "draft", "The charges changed and the scrubber found problems; fix them and mark it ready again.")


def rescrub_open_claims() -> str:
    """Scrub every open claim again (filing deadlines move with the calendar); returns a summary.

    Ready claims that now have errors go back to draft.
    """
    scrubbed = with_errors = demoted = 0
    ids = [i for (i,) in Claim.select(Claim.id).where(Claim.status.in_(OPEN_STATES)).order_by(Claim.id).tuples()]
    for start in range(0, len(ids), scrubber.GATHER_CHUNK):
        chunk = ids[start:start + scrubber.GATHER_CHUNK]
        facts = scrubber.gather_many(chunk)  # a few queries per chunk, not several per claim
        with transaction():
            for claim_id in chunk:
                claim = facts[claim_id].claim
                errors = scrubber.record(claim, scrubber.check(facts[claim_id]))
                if errors and claim.status == "ready":
                    _move(claim, "draft", "The scrubber found problems on a new check; fix them and mark it ready again.")
                    demoted += 1
                scrubbed += 1
                with_errors += bool(errors)
    return (f"Checked {scrubbed} open claim{'s' if scrubbed != 1 else ''}: {with_errors} with errors"
            + (f", {demoted} moved back to draft." if demoted else "."))


# --- Creating claims ------------------------------------------------------------------------------

def create_claim(encounter: Encounter, rank: int = 1) -> Claim:
    """Bill the encounter to the patient's policy of ``rank`` in force on the date of service.

    Posts the encounter's charges (moving any billed to the patient over to insurance) and
    scrubs the new draft claim.
    :raises ClaimError: no such policy, no lines, the claim exists already, or (secondary and
        tertiary) the payer before it has not decided yet.
    """
    result = create_claims([(encounter.id, rank)])[0]
    if isinstance(result, ClaimError):
        raise result
    return result


def create_claims(wanted: list[tuple[int, int]]) -> list[Claim | ClaimError]:
    """Bill many encounters at once, each to the patient's policy of its rank (``create_claim`` for each,
    in a few statements for all: an 835 starts every secondary claim it calls for this way).

    :param wanted: (encounter id, rank) pairs.
    :return: per pair, in order, the new claim, or the ClaimError saying why none was made.
    """
    items = [(int(encounter_id), int(rank)) for encounter_id, rank in wanted]
    found = _BillingFacts(sorted({encounter_id for encounter_id, _ in items}))
    results: list[Claim | ClaimError | None] = []
    planned = []  # (position, encounter, coverage, responsibility, rank)
    here: dict[tuple[int, str], int] = {}  # (encounter, responsibility) -> position of the claim made here
    repeats: list[tuple[int, int, int]] = []  # (position, position of the claim it repeats, rank)
    for position, (encounter_id, rank) in enumerate(items):
        encounter = found.encounters.get(encounter_id)
        problem = _why_not(found, encounter, rank) if encounter else ClaimError("No such encounter.")
        key = (encounter_id, RANK_RESPONSIBILITY.get(rank, ""))
        if problem is None and key in here:
            repeats.append((position, here[key], rank))
        elif problem is None:
            here[key] = position
            planned.append((position, encounter, found.responsible(encounter, rank), key[1], rank))
        results.append(problem)
    if planned:
        with transaction():
            made = _insert_claims(found, planned)
        for (position, *_rest), claim in zip(planned, made):
            results[position] = claim
    for position, first, rank in repeats:
        results[position] = ClaimError(f"Claim {results[first].claim_number} already bills this encounter to the "
                                       f"{RANKS[rank].lower()} payer.")
    return results


# What creating a claim reads of a service line and a policy (the scrub reads the new claims whole): a secondary
# claim per patient of an 835 reads hundreds of each, and every column costs its conversion.
_BILLED_LINE = (ServiceLine.id, ServiceLine.encounter, ServiceLine.line_number, ServiceLine.code, ServiceLine.modifier1,
                ServiceLine.modifier2, ServiceLine.modifier3, ServiceLine.modifier4, ServiceLine.units,
                ServiceLine.charge_cents, ServiceLine.pointer1, ServiceLine.pointer2, ServiceLine.pointer3,
                ServiceLine.pointer4)
_POLICY = (Coverage.id, Coverage.patient_id, Coverage.payer, Coverage.rank, Coverage.effective_date, Coverage.end_date,
           Payer.id, Payer.name)


class _BillingFacts:
    """What creating claims for some encounters reads, in a few queries for all of them (of lines and policies,
    the columns ``_insert_claims`` uses)."""

    def __init__(self, encounter_ids: list[int]):
        self.encounters: dict[int, Encounter] = {}
        self.lines: dict[int, list[ServiceLine]] = {}
        self.diagnoses: dict[int, list[str]] = {}
        self.policies: dict[int, list[Coverage]] = {}
        self.live: dict[tuple[int, str], str] = {}  # (encounter, responsibility) -> number of its live claim
        self.decided: set[tuple[int, str]] = set()
        for chunk in _chunks(encounter_ids):
            self.encounters.update({e.id: e for e in Encounter.select().where(one_of(Encounter.id, chunk))})
            for line in (ServiceLine.select(*_BILLED_LINE)
                         .where(one_of(ServiceLine.encounter, chunk) & (ServiceLine.active == True))  # noqa: E712
                         .order_by(ServiceLine.encounter, ServiceLine.line_number)):
                self.lines.setdefault(line.encounter_id, []).append(line)
            for encounter_id, code in (Diagnosis.select(Diagnosis.encounter, Diagnosis.code)
                                       .where(one_of(Diagnosis.encounter, chunk))
                                       .order_by(Diagnosis.encounter, Diagnosis.position).tuples()):
                self.diagnoses.setdefault(encounter_id, []).append(code)
            for encounter_id, responsibility, number, status, frequency in (
                    Claim.select(Claim.encounter, Claim.responsibility, Claim.claim_number, Claim.status,
                                 Claim.frequency_code)
                    .where(one_of(Claim.encounter, chunk)).tuples()):
                if frequency == "1" and status != "closed":
                    self.live.setdefault((encounter_id, responsibility), number)
                if status in ADJUDICATED:
                    self.decided.add((encounter_id, responsibility))
        for chunk in _chunks(sorted({e.patient_id for e in self.encounters.values()})):
            for policy in (Coverage.select(*_POLICY).join(Payer).where(one_of(Coverage.patient_id, chunk))
                           .order_by(Coverage.rank, Coverage.id)):
                self.policies.setdefault(policy.patient_id, []).append(policy)

    def responsible(self, encounter: Encounter, rank: int) -> Coverage | None:
        """The patient's policy of ``rank`` in force on the date of service (as ``coverage.responsible``)."""
        return next((c for c in self.policies.get(encounter.patient_id, [])
                     if c.rank == rank and c.covers(encounter.service_date)), None)


def _why_not(found: _BillingFacts, encounter: Encounter, rank: int) -> ClaimError | None:
    """Why no claim of ``rank`` can bill the encounter now (None: one can)."""
    if found.responsible(encounter, rank) is None:
        return ClaimError(f"The patient has no {RANKS.get(rank, 'such').lower()} coverage in force on "
                          f"{encounter.service_date.isoformat()}: add or update the insurance first.")
    if not found.lines.get(encounter.id):
        return ClaimError("The encounter has no service lines: enter the charges first.")
    number = found.live.get((encounter.id, RANK_RESPONSIBILITY[rank]))
    if number is not None:
        return ClaimError(f"Claim {number} already bills this encounter to the {RANKS[rank].lower()} payer.")
    if rank > 1 and (encounter.id, RANK_RESPONSIBILITY[rank - 1]) not in found.decided:
        return ClaimError(f"Bill the {RANKS[rank - 1].lower()} payer first: a {RANKS[rank].lower()} claim "
                          "goes out after that payer has paid or denied.")
    return None


def _insert_claims(found: _BillingFacts, planned: list[tuple]) -> list[Claim]:
    """Write the planned claims (inside the caller's transaction): the claims with their lines and diagnoses,
    the encounters' charges posted, self-pay charges moved to insurance, history, audit and the scrub."""
    first = numbering.allocate(numbering.CLAIM_COUNTER, len(planned))
    now = utcnow()
    rows = []
    for offset, (_position, encounter, coverage, responsibility, _rank) in enumerate(planned):
        rows.append({"claim_number": numbering.claim_number(first + offset), "encounter": encounter.id,
                     "patient_id": encounter.patient_id, "coverage": coverage.id, "payer": coverage.payer_id,
                     "responsibility": responsibility, "service_date": encounter.service_date,
                     "total_charge_cents": sum(line.charge_cents for line in found.lines[encounter.id]),
                     "frequency_code": "1", "status_changed_at": now, "created_at": now, "updated_at": now})
    ids = dict(bulk.insert_rows(Claim, rows, returning=(Claim.claim_number, Claim.id)))
    claim_ids = [ids[row["claim_number"]] for row in rows]
    encounters.post_charges_many([encounter for _p, encounter, *_ in planned])
    _transfer_patient_charges(planned, claim_ids, rows)
    bulk.insert_rows(ClaimLine, [
        {"claim": claim_id, "service_line": line.id, "line_number": number, "code": line.code,
         "modifiers": ":".join(line.modifiers), "units": line.units, "charge_cents": line.charge_cents,
         "diagnosis_pointers": ":".join(str(p) for p in line.pointers)}
        for claim_id, (_p, encounter, *_) in zip(claim_ids, planned)
        for number, line in enumerate(found.lines[encounter.id], start=1)])
    bulk.insert_rows(ClaimDiagnosis, [
        {"claim": claim_id, "position": number, "code": code}
        for claim_id, (_p, encounter, *_) in zip(claim_ids, planned)
        for number, code in enumerate(found.diagnoses.get(encounter.id, []), start=1)])
    user_id, username = acting_user()
    reasons = [f"Billed to {coverage.payer.name} ({RANKS[rank].lower()})." for _p, _e, coverage, _r, rank in planned]
    bulk.insert_rows(ClaimEvent, [{"claim": claim_id, "at": now, "user_id": user_id, "username": username,
                                   "action": "created", "reason": reason, "from_status": "", "to_status": "draft"}
                                  for claim_id, reason in zip(claim_ids, reasons)])
    audit.record_many([{"action": "billing.claim.created", "object_type": "billing_claim", "object_id": claim_id,
                        "patient_id": row["patient_id"], "detail": {"claim_number": row["claim_number"], "from": "",
                                                                    "to": "draft", "reason": reason}}
                       for claim_id, row, reason in zip(claim_ids, rows, reasons)])
    facts = scrubber.gather_many(claim_ids)
    scrubbed = utcnow()
    counts = scrubber.record_many({claim_id: scrubber.check(facts[claim_id]) for claim_id in claim_ids}, scrubbed)
    made = []
    for claim_id in claim_ids:  # as stored: the scrub gathered each claim after writing it, and recorded its errors
        claim = facts[claim_id].claim
        claim.scrub_errors, claim.scrubbed_at = counts[claim_id], scrubbed
        made.append(claim)
    return made


def _new_claim(encounter: Encounter, coverage: Coverage, responsibility: str, frequency: str,
               original: Claim | None = None) -> Claim:
    number = numbering.claim_number(numbering.allocate(numbering.CLAIM_COUNTER))
    return Claim.create(
        claim_number=number, encounter=encounter, patient_id=encounter.patient_id, coverage=coverage,
        payer=coverage.payer_id, responsibility=responsibility, service_date=encounter.service_date,
        frequency_code=frequency, original_claim=original,
        payer_claim_number=original.payer_claim_number if original else "",
    )


def _write_billed_and_total(claim: Claim, billed: tuple[list[dict], list[str]]) -> None:
    total = _write_billed(claim, *billed)
    Claim.update(total_charge_cents=total).where(Claim.id == claim.id).execute()


def _transfer_patient_charges(planned: list[tuple], claim_ids: list[int], rows: list[dict]) -> None:
    """Move charges posted to the patient (billed as self-pay before) over to insurance, on each new claim."""
    by_encounter = {encounter.id: (encounter, claim_id, row)
                    for (_p, encounter, *_), claim_id, row in zip(planned, claim_ids, rows)}
    user_id, _ = acting_user()
    entries = []
    owed = fn.SUM(Case(None, [((LineTransaction.kind == "charge") & (LineTransaction.party == "patient"),
                               LineTransaction.amount_cents)], 0))
    for chunk in _chunks(sorted(by_encounter)):
        # The encounters' lines alone in the WHERE: with the kind or party there too, a database without
        # statistics may read every charge ever posted through their index (seconds on a five-year ledger).
        sums = (LineTransaction.select(ServiceLine.encounter, LineTransaction.service_line, owed)
                .join(ServiceLine)
                .where(LineTransaction.service_line.in_(ServiceLine.select(ServiceLine.id)
                                                        .where(one_of(ServiceLine.encounter, chunk))))
                .group_by(ServiceLine.encounter, LineTransaction.service_line)
                .order_by(ServiceLine.encounter, LineTransaction.service_line).tuples())
        for encounter_id, line_id, amount in sums:
            if not amount:
                continue
            encounter, claim_id, row = by_encounter[encounter_id]
            for party, sign in (("patient", -1), ("insurance", 1)):
                entries.append({"kind": "transfer", "party": party, "patient_id": encounter.patient_id,
                                "service_line": line_id, "claim": claim_id, "payer": row["payer"],
                                "amount_cents": sign * amount, "source": "charge_entry",
                                "effective_date": encounter.service_date, "posted_at": utcnow(),
                                "posted_by_user_id": user_id,
                                "memo": f"billed to insurance on {row['claim_number']}"})
    bulk.insert_rows(LineTransaction, entries)


# --- The state machine ---------------------------------------------------------------------------

def allowed_transitions(claim: Claim) -> tuple[str, ...]:
    """The states this claim may move to next."""
    return TRANSITIONS[claim.status]


def _move(claim: Claim, to_status: str, reason: str) -> None:
    now = utcnow()
    changes = {"status": to_status, "status_changed_at": now, "updated_at": now}
    if to_status == "submitted" and claim.submitted_at is None:
        changes["submitted_at"] = now
    Claim.update(**changes).where(Claim.id == claim.id).execute()
    _event(claim, "status", reason, claim.status, to_status)
    claim.status = to_status
    denials.refresh_claims([claim.id])


def transition(claim: Claim, to_status: str, reason: str = "", payer_claim_number: str | None = None) -> Claim:
    """Move a claim to ``to_status``, recording who, when and why.

    Ready and submitted need a clean scrub and no hold; some moves need a reason. Submitting a
    replacement or void claim closes the claim it replaces. A rejected claim taken back to draft
    bills the encounter as it is now (it may have been fixed while the claim was rejected).
    :raises ClaimError: a move the state machine does not allow, or a failed check.
    """
    reason = (reason or "").strip()
    claim = Claim.get_by_id(claim.id)
    if to_status not in TRANSITIONS:
        raise ClaimError(f"{to_status!r} is not a claim state.")
    if to_status not in TRANSITIONS[claim.status]:
        raise ClaimError(f"A {STATE_LABELS[claim.status].lower()} claim cannot become "
                         f"{STATE_LABELS[to_status].lower()}.")
    if (claim.status, to_status) in NEEDS_REASON and not reason:
        raise ClaimError(f"Say why the claim becomes {STATE_LABELS[to_status].lower()}.")
    if payer_claim_number is not None and payer_claim_number.strip() != claim.payer_claim_number:
        claim = set_payer_claim_number(claim, payer_claim_number)
    if to_status in ("ready", "submitted"):
        if claim.on_hold:
            raise ClaimError(f"The claim is on hold ({claim.hold_reason}); release it first.")
        # Recorded before refusing, so the worklists count what this check found.
        with transaction():
            errors = scrubber.record(claim, scrubber.scrub(claim))
        if errors:
            raise ClaimError(f"The scrubber found {errors} problem{'s' if errors != 1 else ''}; "
                             "fix them before the claim can go out.")
    with transaction():
        reopened = claim.status == "rejected" and to_status == "draft" and claim.frequency_code != "8"
        _move(claim, to_status, reason)
        if reopened:
            encounter = Encounter.get_by_id(claim.encounter_id)
            _rebill(claim, encounter, _billed_from_encounter(encounter))
        if to_status == "submitted" and claim.original_claim_id is not None:
            original = Claim.get_by_id(claim.original_claim_id)
            if original.status != "closed":
                kind = "voided" if claim.frequency_code == "8" else "replaced"
                _move(original, "closed", f"{kind.capitalize()} by claim {claim.claim_number}.")
    return Claim.get_by_id(claim.id)


def record_sent(claims: list[Claim], reason: str) -> int:
    """Move ready claims to submitted once the file or forms carrying them exist; returns how many moved.

    The caller scrubbed the claims when it built the file, so they are not scrubbed again here.
    Submitting a replacement or void claim closes the claim it replaces, as ``transition`` does.
    Claims, their history and the audit trail are written in a few statements per chunk of claims.
    :raises ClaimError: a claim is no longer ready, or is on hold (nothing moves then).
    """
    ids = sorted({claim.id for claim in claims})
    if not ids:
        return 0
    now = utcnow()
    with transaction():
        # The conditional UPDATE locks the rows first, so two batches can never both send a claim.
        locked = sum(Claim.update(updated_at=now).where(
            one_of(Claim.id, chunk) & (Claim.status == "ready") & (Claim.on_hold == False)).execute()  # noqa: E712
            for chunk in _chunks(ids))
        if locked != len(ids):
            raise ClaimError("Some of these claims are no longer ready to submit (they changed, or another "
                             "batch sent them); create the batch again.")
        sent = sorted(row for chunk in _chunks(ids) for row in Claim.select(
            Claim.id, Claim.patient_id, Claim.claim_number, Claim.original_claim, Claim.frequency_code)
            .where(one_of(Claim.id, chunk)).tuples())
        replaced = {}
        for chunk in _chunks(sorted({row[3] for row in sent if row[3] is not None})):
            for row in (Claim.select(Claim.id, Claim.patient_id, Claim.claim_number, Claim.status)
                        .where(one_of(Claim.id, chunk) & (Claim.status != "closed")).tuples()):
                replaced[row[0]] = row
        moves, closed = [], []
        for claim_id, patient_id, claim_number, original_id, frequency in sent:
            moves.append((claim_id, patient_id, claim_number, "ready", "submitted", reason, {}))
            if original_id in replaced and original_id not in closed:
                original, original_patient, original_number, status = replaced[original_id]
                kind = "voided" if frequency == "8" else "replaced"
                moves.append((original, original_patient, original_number, status, "closed",
                              f"{kind.capitalize()} by claim {claim_number}.", {}))
                closed.append(original)
        for chunk in _chunks(ids):
            Claim.update(status="submitted", status_changed_at=now).where(one_of(Claim.id, chunk)).execute()
            Claim.update(submitted_at=now).where(one_of(Claim.id, chunk) & Claim.submitted_at.is_null()).execute()
        for chunk in _chunks(closed):
            Claim.update(status="closed", status_changed_at=now, updated_at=now).where(one_of(Claim.id, chunk)).execute()
        denials.refresh_claims(closed)
        _record_moves(moves, now)
    return len(ids)


def record_outcomes(moves: list[tuple[int, str, str, str | None, dict]]) -> list[str | None]:
    """Move many claims to the states a payer's remittance gave them: history and one audit entry per move.

    ``moves`` are (claim id, to_status, reason, payer's claim number or None, audit detail), applied
    in order (a claim may move twice: a reversal, then the corrected payment); the payer's claim
    number is stored with the move. Claims update in a few statements, so a remittance of
    thousands of claims posts quickly.
    :return: per move, None when the claim moved, "" when it already was in that state, or why
        the state machine refused the move.
    """
    ids = sorted({move[0] for move in moves})
    if not ids:
        return []
    current: dict[int, list] = {}
    for chunk in _chunks(ids):
        for claim_id, status, number, patient_id, claim_number in (
                Claim.select(Claim.id, Claim.status, Claim.payer_claim_number, Claim.patient_id, Claim.claim_number)
                .where(one_of(Claim.id, chunk)).tuples()):
            current[claim_id] = [status, number, patient_id, claim_number, False]
    now = utcnow()
    results: list[str | None] = []
    applied = []
    with transaction():
        for claim_id, to_status, reason, payer_number, detail in moves:
            state = current[claim_id]
            if to_status == state[0]:
                results.append("")
                continue
            if to_status not in TRANSITIONS[state[0]]:
                results.append(f"A {STATE_LABELS[state[0]].lower()} claim cannot become "
                               f"{STATE_LABELS[to_status].lower()}.")
                continue
            results.append(None)
            applied.append((claim_id, state[2], state[3], state[0], to_status, reason, detail))
            state[0], state[4] = to_status, True
            if payer_number:
                state[1] = payer_number[:50]
        _record_moves(applied, now)
        moved = [(claim_id, state[0], state[1]) for claim_id, state in current.items() if state[4]]
        for chunk in _chunks(moved):
            # Joined to a VALUES list (id, status, number): one pass, where a CASE per row grew with the chunk.
            values = Rows(chunk, alias="moved")
            Claim.update(status=values.c.column2, payer_claim_number=values.c.column3, status_changed_at=now,
                         updated_at=now).from_(values).where(Claim.id == values.c.column1).execute()
        # A claim's place on the denial worklist follows its state only into or out of "denied" (the 835 posting
        # that moves claims refreshes every claim it answered anyway).
        denials.refresh_claims(move[0] for move in applied if "denied" in (move[3], move[4]))
    return results


def _chunks(items: list, size: int = 500):
    """``items`` in slices short enough for an IN or VALUES list on either database."""
    return (items[start:start + size] for start in range(0, len(items), size))


def _record_moves(moves: list[tuple], now) -> None:
    """The history entry and the audit entry of each status move, in order, in two bulk inserts.

    ``moves`` are (claim id, patient id, claim number, from status, to status, reason, extra audit detail).
    """
    user_id, username = acting_user()
    bulk.insert_rows(ClaimEvent, [{"claim": claim_id, "at": now, "user_id": user_id, "username": username,
                                   "action": "status", "from_status": from_status, "to_status": to_status,
                                   "reason": reason}
                                  for claim_id, _p, _n, from_status, to_status, reason, _d in moves])
    audit.record_many([{"action": "billing.claim.status", "object_type": "billing_claim", "object_id": claim_id,
                        "patient_id": patient_id, "detail": {"claim_number": number, "from": from_status,
                                                             "to": to_status, "reason": reason, **detail}}
                       for claim_id, patient_id, number, from_status, to_status, reason, detail in moves])


def mark_ready(claim: Claim) -> Claim:
    """Draft to ready, only when the scrubber passes and the claim is not on hold."""
    return transition(claim, "ready")


def hold(claim: Claim, reason: str) -> Claim:
    """Put an unsent claim on hold (a ready one goes back to draft)."""
    reason = (reason or "").strip()
    claim = Claim.get_by_id(claim.id)
    if claim.status not in OPEN_STATES:
        raise ClaimError("Only a draft or ready claim can be held: this one has gone out.")
    if not reason:
        raise ClaimError("Say why the claim is on hold.")
    with transaction():
        Claim.update(on_hold=True, hold_reason=reason[:200], updated_at=utcnow()).where(Claim.id == claim.id).execute()
        _event(claim, "hold", reason, claim.status, claim.status)
        if claim.status == "ready":
            _move(claim, "draft", f"On hold: {reason}")
    return Claim.get_by_id(claim.id)


def release(claim: Claim) -> Claim:
    """Take a claim off hold."""
    claim = Claim.get_by_id(claim.id)
    if not claim.on_hold:
        raise ClaimError("The claim is not on hold.")
    with transaction():
        Claim.update(on_hold=False, hold_reason="", updated_at=utcnow()).where(Claim.id == claim.id).execute()
        _event(claim, "release", "", claim.status, claim.status)
    return Claim.get_by_id(claim.id)


def assign(claim: Claim, user_id: int | None) -> Claim:
    """Put the claim on a user's worklist (None: unassigned)."""
    user = User.get_or_none(User.id == user_id) if user_id else None
    if user_id and (user is None or not user.active):
        raise ClaimError("Choose an active user to assign the claim to.")
    with transaction():
        Claim.update(assigned_user_id=user_id, updated_at=utcnow()).where(Claim.id == claim.id).execute()
        _event(claim, "assigned", f"Assigned to {user.full_name}." if user else "Unassigned.", claim.status,
               claim.status)
    return Claim.get_by_id(claim.id)


def set_payer_claim_number(claim: Claim, number: str) -> Claim:
    """Record the payer's claim number (CLP07) that corrections and voids must quote."""
    number = (number or "").strip()
    if len(number) > 50:
        raise ClaimError("The payer's claim number has at most 50 characters.")
    with transaction():
        Claim.update(payer_claim_number=number, updated_at=utcnow()).where(Claim.id == claim.id).execute()
        _event(claim, "payer_number", f"Payer's claim number set to {number or '(none)'}.", claim.status,
               claim.status)
        if claim.status in OPEN_STATES:
            scrubber.record(claim, scrubber.scrub(Claim.get_by_id(claim.id)))
    return Claim.get_by_id(claim.id)


# --- Corrections and voids ---------------------------------------------------------------------------

def _open_follow_up(claim: Claim) -> Claim | None:
    return Claim.select().where((Claim.original_claim == claim) & Claim.status.in_(OPEN_STATES)).first()


def correct(claim: Claim, reason: str) -> Claim:
    """Start a replacement claim (frequency 7) for a claim the payer has; the charges unlock."""
    reason = (reason or "").strip()
    claim = Claim.get_by_id(claim.id)
    if claim.status not in CORRECTABLE:
        raise ClaimError("Only a claim the payer accepted or decided can be corrected; "
                         + ("edit this one directly." if claim.status in OPEN_STATES + ("rejected",)
                            else "wait for the payer's answer."))
    if claim.frequency_code == "8":
        raise ClaimError("A void claim cannot be corrected.")
    if not reason:
        raise ClaimError("Say what the correction changes.")
    pending = _open_follow_up(claim)
    if pending is not None:
        raise ClaimError(f"Claim {pending.claim_number} already corrects or voids this claim.")
    with transaction():
        replacement = _new_claim(claim.encounter, claim.coverage, claim.responsibility, "7", claim)
        # The point of a correction: it bills the encounter as it is now, not what the original sent.
        _write_billed_and_total(replacement, _billed_from_encounter(claim.encounter))
        _event(claim, "corrected", f"Replacement claim {replacement.claim_number}: {reason}", claim.status,
               claim.status)
        _event(replacement, "created", f"Replaces claim {claim.claim_number}: {reason}", "", "draft")
        scrubber.record(replacement, scrubber.scrub(replacement))
    return Claim.get_by_id(replacement.id)


def void(claim: Claim, reason: str) -> Claim:
    """Void a claim: an unsent one is closed; one the payer has gets a void claim (frequency 8).

    :return: the closed claim, or the new void claim to submit.
    """
    reason = (reason or "").strip()
    claim = Claim.get_by_id(claim.id)
    if not reason:
        raise ClaimError("Say why the claim is voided.")
    if claim.status in OPEN_STATES or claim.status == "rejected":
        return transition(claim, "closed", f"Voided before the payer had it: {reason}")
    if claim.status not in CORRECTABLE or claim.frequency_code == "8":
        raise ClaimError("This claim cannot be voided now: wait for the payer's answer."
                         if claim.status == "submitted" else "This claim cannot be voided.")
    pending = _open_follow_up(claim)
    if pending is not None:
        raise ClaimError(f"Claim {pending.claim_number} already corrects or voids this claim.")
    with transaction():
        voiding = _new_claim(claim.encounter, claim.coverage, claim.responsibility, "8", claim)
        _write_billed_and_total(voiding, _billed_by_claim(claim))
        _event(claim, "voided", f"Void claim {voiding.claim_number}: {reason}", claim.status, claim.status)
        _event(voiding, "created", f"Voids claim {claim.claim_number}: {reason}", "", "draft")
        scrubber.record(voiding, scrubber.scrub(voiding))
    return Claim.get_by_id(voiding.id)


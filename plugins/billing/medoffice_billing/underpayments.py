"""Underpayments: claim lines a payer allowed less for than the fee schedule expects from it.

The fee schedule holds, per payer, the amount it is expected to allow for a code (``ExpectedAmount``,
per unit; an entry for the line's first modifier wins over the code's plain one). A line is
underpaid when the payer's 835 answer that stands (entries no later 835 reversed) allowed less than
that times the units: allowed is what it paid plus what it moved to the patient (or the next payer)
as patient responsibility. Only primary claims count (a secondary payer allows against what the
primary left), and only lines the payer allowed something for: a line it paid nothing on is a
denial, worked on the Denials page.

The underpaid lines are kept in ``billing_underpaid_line``: posting an 835 refreshes the claims it
answered (``refresh_claims``), saving a fee refreshes the lines billed with its code
(``refresh_codes``), so the page reads those few rows by the day of the answer instead of summing the
ledger's 835 entries on every request.
"""
from __future__ import annotations

import datetime as dt

from medoffice import prepared
from medoffice.db import transaction
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from peewee import JOIN, SQL, Case, fn

from .ledger import id_slots, sum_if
from .in_list import one_of
from .models import Claim, ClaimLine, ExpectedAmount, Fee, LineTransaction, Payer, UnderpaidLine

LT = LineTransaction
UL = UnderpaidLine
DEFAULT_DAYS = 365
_MODIFIED_FEE, _PLAIN_FEE = Fee.alias("modified_fee"), Fee.alias("plain_fee")
_MODIFIED, _PLAIN = ExpectedAmount.alias("modified_expected"), ExpectedAmount.alias("plain_expected")
_COLUMNS = (UL.claim, UL.service_line_id, UL.payer_id, UL.line_number, UL.code, UL.modifiers, UL.units,
            UL.expected_cents, UL.allowed_cents, UL.paid_cents, UL.difference_cents, UL.answered_on)


def _answers(claims):
    """Per (claim, service line) of the claims selected by ``claims`` (a query of claim ids): what the payer
    paid and moved to the patient in the 835 entries that stand, and the day of the last."""
    reversal = LT.alias("reversal")
    # The claims alone pick the rows (the kind and the reversal link are looked at in the sums): SQLite without
    # statistics read every entry of the ledger through the index of either (seconds per 835 on a five-year one).
    answer = LT.reverses.is_null() & LT.kind.in_(("payment", "transfer"))
    moved_off = LT.reverses.is_null() & (LT.kind == "transfer") & (LT.party == "insurance") & (LT.amount_cents < 0)
    return (LT.select(LT.claim.alias("claim_id"), LT.service_line.alias("line_id"),
                      sum_if(LT.reverses.is_null() & (LT.kind == "payment"), 0 - LT.amount_cents).alias("paid"),
                      sum_if(moved_off, 0 - LT.amount_cents).alias("patient"),
                      fn.MAX(Case(None, [(answer, LT.effective_date)])).alias("answered_on"))
            .where(LT.claim.in_(claims) & (LT.source == "era")
                   & ~fn.EXISTS(reversal.select(SQL("1")).where(reversal.reverses == LT.id)))
            .group_by(LT.claim, LT.service_line)).alias("answers")


def _underpaid_rows(claims):
    """The underpaid lines of the primary claims among ``claims``, as ``billing_underpaid_line`` rows."""
    answers = _answers(claims)
    expected_unit = fn.COALESCE(_MODIFIED.allowed_cents, _PLAIN.allowed_cents)
    expected = expected_unit * ClaimLine.units
    allowed = answers.c.paid + answers.c.patient
    first_modifier = fn.SUBSTR(ClaimLine.modifiers, 1, 2)
    return (ClaimLine
            .select(ClaimLine.claim, ClaimLine.service_line, Claim.payer, ClaimLine.line_number, ClaimLine.code,
                    ClaimLine.modifiers, ClaimLine.units, expected, allowed, answers.c.paid, expected - allowed,
                    answers.c.answered_on)
            .join(answers, on=((answers.c.claim_id == ClaimLine.claim) & (answers.c.line_id == ClaimLine.service_line)))
            .switch(ClaimLine).join(Claim, on=(Claim.id == ClaimLine.claim))
            .switch(ClaimLine).join(_MODIFIED_FEE, join_type=JOIN.LEFT_OUTER,
                                    on=((_MODIFIED_FEE.code == ClaimLine.code) & (_MODIFIED_FEE.modifier != "")
                                        & (_MODIFIED_FEE.modifier == first_modifier)))
            .join(_MODIFIED, join_type=JOIN.LEFT_OUTER, on=((_MODIFIED.fee == _MODIFIED_FEE.id)
                                                         & (_MODIFIED.payer == Claim.payer)))
            .switch(ClaimLine).join(_PLAIN_FEE, join_type=JOIN.LEFT_OUTER,
                                    on=((_PLAIN_FEE.code == ClaimLine.code) & (_PLAIN_FEE.modifier == "")))
            .join(_PLAIN, join_type=JOIN.LEFT_OUTER, on=((_PLAIN.fee == _PLAIN_FEE.id) & (_PLAIN.payer == Claim.payer)))
            .where((Claim.responsibility == "P") & expected_unit.is_null(False) & (allowed > 0) & (allowed < expected)))


def _replace(claims, stale) -> None:
    """Drop the kept rows matching ``stale`` and store the underpaid lines of ``claims`` afresh."""
    with transaction():
        UL.delete().where(stale).execute()
        UL.insert_from(_underpaid_rows(claims), _COLUMNS).execute()


def refresh_claims(claim_ids) -> None:
    """Recompute the kept underpaid lines of these claims (after posting their payers' answers)."""
    claim_ids = sorted(set(claim_ids))
    for start in range(0, len(claim_ids), 500):
        chunk = claim_ids[start:start + 500]
        _replace(Claim.select(Claim.id).where(one_of(Claim.id, chunk)), one_of(UL.claim, chunk))


def refresh_codes(codes) -> None:
    """Recompute the kept underpaid lines billed with these codes (after their fees' expected amounts changed)."""
    codes = sorted(set(codes))
    billed = ClaimLine.select(ClaimLine.claim).where(ClaimLine.code.in_(codes))
    _replace(billed, UL.code.in_(codes))


def rebuild() -> None:
    """Recompute every kept underpaid line from the ledger (after the migration that added them, and the demo)."""
    _replace(Claim.select(Claim.id).where(Claim.responsibility == "P"), SQL("1 = 1"))


LINE_COLUMNS = (UL.claim.alias("claim_id"), UL.payer_id, UL.line_number, UL.code, UL.modifiers, UL.units,
                UL.expected_cents, UL.allowed_cents, UL.paid_cents, UL.difference_cents, UL.answered_on)
CLAIM_COLUMNS = (Claim.claim_number, Claim.patient_id, Claim.service_date, Claim.assigned_user_id)


def lines_query(payer: bool = False, claim: bool = True):
    """The underpaid lines answered since the slot ``since`` (claim, patient, payer, line, expected, allowed,
    paid, difference), and of the slot ``payer`` when ``payer``.

    :param claim: join the claim for its columns (to sort or search by them); without it the rows have only the
        kept line's columns, and :func:`attach_claims` adds the claim's to a page of them: sorting thousands of
        lines joined to their claims looks each claim up before keeping 25.

    Its rows are plain rows (:class:`~.plain.PlainSelect`).
    """
    query = PlainSelect(UL, LINE_COLUMNS).where(UL.answered_on >= slot("since"))
    if claim:
        query = query.select_extend(*CLAIM_COLUMNS).join(Claim, on=(Claim.id == UL.claim))
    return query.where(UL.payer_id == slot("payer")) if payer else query


def _claims_query(slots: list):
    return PlainSelect(Claim, [Claim.id, *CLAIM_COLUMNS]).where(Claim.id.in_(slots))


def attach_claims(rows: list) -> list:
    """Set the claim's columns (:data:`CLAIM_COLUMNS`) on rows of :func:`lines_query` read without the claim
    (one query for the page's rows)."""
    ids = sorted({row.claim_id for row in rows})
    if not ids:
        return rows
    slots, values = id_slots(ids)
    names = [column.name for column in CLAIM_COLUMNS]
    claims = {found[0]: found[1:] for found in prepared.run(_claims_query(slots),
                                                            ("billing.underpayments.claims", len(ids)), **values)}
    for row in rows:
        row.__dict__.update(zip(names, claims[row.claim_id]))
    return rows


def lines_count_query(payer: bool = False):
    """The rows of :func:`lines_query` to count, from the kept lines alone (the claim only adds columns)."""
    query = UL.select(UL.id).where(UL.answered_on >= slot("since"))
    return query.where(UL.payer_id == slot("payer")) if payer else query


# Per payer (every line's payer is one: its claim's) a range of the (payer, day, difference) index, read alone;
# grouped over the day filter alone, the planner walks the whole index or each line's row.
_BY_PAYER = (UL.select(UL.payer_id, fn.COUNT(SQL("1")), fn.SUM(UL.difference_cents))
             .where(UL.payer_id.in_(Payer.select(Payer.id)) & (UL.answered_on >= slot("since")))
             .group_by(UL.payer_id).tuples())


def by_payer(since: dt.date) -> list[tuple[int, int, int]]:
    """(payer id, underpaid lines, cents short) per payer with any."""
    return [(payer, int(count), int(cents or 0))
            for payer, count, cents in prepared.rows(_BY_PAYER, "billing.underpayments.by_payer", since=since)]


def since_for(today: dt.date, days: int) -> dt.date:
    """The first day of answers looked at, for the last ``days`` days."""
    return today - dt.timedelta(days=days)


def line_shortfalls(claim: Claim, answers, lines, expected: dict[tuple[str, str], int]) -> dict[int, tuple[int, int]]:
    """For the claim page: (expected cents, cents short) per line number of the claim's underpaid lines, by
    the rules above, from its payer's answers (``adjudication.claim_answers``), its lines and what the
    payer is expected to allow per unit (``reference.expected_allowed``)."""
    if claim.responsibility != "P":
        return {}
    by_number = {line.line_number: line for line in lines}
    short = {}
    for answer in answers:
        line = by_number.get(answer.line_number)
        per_unit = expected.get((line.code, line.modifiers.split(":")[0])) if line is not None else None
        if per_unit is None or answer.allowed_cents <= 0:
            continue
        wanted = per_unit * line.units
        if answer.allowed_cents < wanted:
            short[answer.line_number] = (wanted, wanted - answer.allowed_cents)
    return short

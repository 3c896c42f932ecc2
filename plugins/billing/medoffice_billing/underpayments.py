"""Underpayments: claim lines a payer allowed less for than the fee schedule expects from it.

The fee schedule holds, per payer, the amount it is expected to allow for a code (``ExpectedAmount``,
per unit; an entry for the line's first modifier wins over the code's plain one). A line is
underpaid when the payer's 835 answer that stands (entries no later 835 reversed) allowed less than
that times the units: allowed is what it paid plus what it moved to the patient (or the next payer)
as patient responsibility. Only primary claims count (a secondary payer allows against what the
primary left), and only lines the payer allowed something for: a line it paid nothing on is a
denial, worked on the Denials page. The answers looked at are those of the last ``days`` days, so the
list reads the ledger's recent payments and transfers by their index, not every entry ever posted.
"""
from __future__ import annotations

import datetime as dt

from medoffice import prepared
from medoffice.prepared import slot
from peewee import JOIN, SQL, fn

from .ledger import sum_if
from .models import Claim, ClaimLine, ExpectedAmount, Fee, LineTransaction

LT = LineTransaction
DEFAULT_DAYS = 365
_MODIFIED_FEE, _PLAIN_FEE = Fee.alias("modified_fee"), Fee.alias("plain_fee")
_MODIFIED, _PLAIN = ExpectedAmount.alias("modified_expected"), ExpectedAmount.alias("plain_expected")


def _answers():
    """Per (claim, service line): what the payer paid and moved to the patient, from 835 entries since ``since``."""
    reversal = LT.alias("reversal")
    moved_off = (LT.kind == "transfer") & (LT.party == "insurance") & (LT.amount_cents < 0)
    return (LT.select(LT.claim.alias("claim_id"), LT.service_line.alias("line_id"),
                      sum_if(LT.kind == "payment", 0 - LT.amount_cents).alias("paid"),
                      sum_if(moved_off, 0 - LT.amount_cents).alias("patient"),
                      fn.MAX(LT.effective_date).alias("answered_on"))
            .where(LT.kind.in_(("payment", "transfer")) & (LT.effective_date >= slot("since"))
                   & (LT.source == "era") & LT.claim.is_null(False) & LT.reverses.is_null()
                   & ~fn.EXISTS(reversal.select(SQL("1")).where(reversal.reverses == LT.id)))
            .group_by(LT.claim, LT.service_line)).alias("answers")


ANSWERS = _answers()
EXPECTED_UNIT = fn.COALESCE(_MODIFIED.allowed_cents, _PLAIN.allowed_cents)
EXPECTED = EXPECTED_UNIT * ClaimLine.units
ALLOWED = ANSWERS.c.paid + ANSWERS.c.patient
DIFFERENCE = EXPECTED - ALLOWED
PAYER = Claim.payer


def _underpaid(query):
    """``query`` (over claim lines) joined to the answers, the claims and the expected amounts, keeping the
    underpaid lines of primary claims."""
    first_modifier = fn.SUBSTR(ClaimLine.modifiers, 1, 2)
    return (query
            .join(ANSWERS, on=((ANSWERS.c.claim_id == ClaimLine.claim) & (ANSWERS.c.line_id == ClaimLine.service_line)))
            .switch(ClaimLine).join(Claim, on=(Claim.id == ClaimLine.claim))
            .switch(ClaimLine).join(_MODIFIED_FEE, join_type=JOIN.LEFT_OUTER,
                                    on=((_MODIFIED_FEE.code == ClaimLine.code) & (_MODIFIED_FEE.modifier != "")
                                        & (_MODIFIED_FEE.modifier == first_modifier)))
            .join(_MODIFIED, join_type=JOIN.LEFT_OUTER, on=((_MODIFIED.fee == _MODIFIED_FEE.id)
                                                         & (_MODIFIED.payer == Claim.payer)))
            .switch(ClaimLine).join(_PLAIN_FEE, join_type=JOIN.LEFT_OUTER,
                                    on=((_PLAIN_FEE.code == ClaimLine.code) & (_PLAIN_FEE.modifier == "")))
            .join(_PLAIN, join_type=JOIN.LEFT_OUTER, on=((_PLAIN.fee == _PLAIN_FEE.id) & (_PLAIN.payer == Claim.payer)))
            .where((Claim.responsibility == "P") & EXPECTED_UNIT.is_null(False) & (ALLOWED > 0) & (ALLOWED < EXPECTED)))


def lines_query(payer: bool = False):
    """The underpaid lines (claim, patient, payer, line, expected, allowed, paid, difference), with slots
    ``since`` and, when ``payer``, ``payer``."""
    query = _underpaid(ClaimLine.select(
        Claim.id.alias("claim_id"), Claim.claim_number, Claim.patient_id, Claim.payer.alias("payer_id"),
        Claim.service_date, Claim.assigned_user_id, ClaimLine.line_number, ClaimLine.code, ClaimLine.modifiers,
        ClaimLine.units, EXPECTED.alias("expected_cents"), ALLOWED.alias("allowed_cents"),
        ANSWERS.c.paid.alias("paid_cents"), DIFFERENCE.alias("difference_cents"),
        ANSWERS.c.answered_on.alias("answered_on")))
    return query.where(Claim.payer == slot("payer")) if payer else query


_BY_PAYER = (_underpaid(ClaimLine.select(Claim.payer, fn.COUNT(SQL("1")), fn.SUM(DIFFERENCE)))
             .group_by(Claim.payer).tuples())


def by_payer(since: dt.date) -> list[tuple[int, int, int]]:
    """(payer id, underpaid lines, cents short) per payer with any."""
    return [(payer, int(count), int(cents or 0))
            for payer, count, cents in prepared.run(_BY_PAYER, "billing.underpayments.by_payer", since=since)]


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

"""Denials: the claims to work after a payer refused to pay, and what it refused, line by line.

A claim is on the denial worklist when it is in the denied state (however it got there: an 835 or
a person recording the payer's answer), or when an 835 left a denial for it in the denial queue
that nobody has marked worked yet (a claim paid with some lines denied): ``on_worklist``. The Denials page and
the Worklists "Denied" tab read the rows kept from it, the Today count counts it, so they always agree.

The page lists each denied line of those claims: an adjustment an 835 posted against the payer
(groups CO, OA and PI) that no later 835 reversed, leaving out the routine ones that are not
denials: ``ROUTINE`` (the contractual reduction to the fee schedule, sequestration, what a prior
payer already settled) and every patient-responsibility (PR) amount, which is billed on to the
patient or the next payer. A claim on the list without such a line shows as one row for the
whole claim.

The worklist's rows are kept in ``billing_denial_line`` (``refresh_claims``): moving a claim's state, posting an
835 and working the denial queue refresh the claims they touch, so the page reads a page of kept rows by age
instead of joining every denied claim's 835 entries on each request.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache, reduce
from operator import or_

from medoffice import prepared
from medoffice.data_versions import kept
from medoffice.db import transaction
from medoffice.localtime import day_start_utc
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from peewee import JOIN, SQL, Case, Select, fn

from .in_list import one_of
from .models import DENIALS, Claim, ClaimLine, DenialLine, LineTransaction, RemitClaim, Remittance

LT = LineTransaction
DL = DenialLine
# (group, CARC) adjustments every paid claim carries; they are not denials.
ROUTINE = (("CO", "45"), ("CO", "253"), ("OA", "23"))


def _open_entries():
    return RemitClaim.select(RemitClaim.claim).where((RemitClaim.queue == "denial")
                                                     & (RemitClaim.resolved == False)  # noqa: E712
                                                     & RemitClaim.claim.is_null(False))


def on_worklist():
    """The condition on ``Claim`` of the denial worklist: denied, or with a denial not yet marked worked.

    Written as an id list (a UNION of two index searches) rather than an OR, which would read every claim.
    """
    denied = Claim.select(Claim.id).where(Claim.status == "denied")
    return Claim.id.in_(denied.union(_open_entries()))


def kept_claims():
    """The condition on ``Claim`` of the denial worklist, read from the kept rows (a claim is on the worklist when
    it has any)."""
    return Claim.id.in_(DL.select(DL.claim))


def kept_claim_rows():
    """The kept rows naming each claim on the denial worklist once (those carrying its date of service): what the
    Denied tab pages, joined to the claims, and sorts by date on their index."""
    return DL.service_date.is_null(False)


def service_date_changed(claim_id: int, service_date: dt.date) -> None:
    """Keep the date of service the claim's kept row carries (an open claim rebilled after its encounter's date
    changed)."""
    DL.update(service_date=service_date).where((DL.claim == claim_id) & DL.service_date.is_null(False)).execute()


def kept_claim_ids():
    """The claims on the denial worklist, one row each, from the kept rows alone (those carrying the claim's date
    of service): what a list of them counts (their index walked, stopping at the count's limit, instead of every
    kept claim looked up first)."""
    return DL.select(DL.claim).where(kept_claim_rows())


def denied_line(entry=LT):
    """The condition on a ledger entry that it records a denial: an adjustment an 835 posted against the
    payer, not patient responsibility, not routine, and neither a reversal nor reversed."""
    routine = reduce(or_, [(entry.group_code == group) & (entry.carc == carc) for group, carc in ROUTINE])
    reversal = LT.alias("reversal")
    return (entry.kind.in_(("adjustment", "writeoff")) & (entry.party == "insurance") & (entry.source == "era")
            & (entry.group_code != "PR") & ~routine & entry.reverses.is_null()
            & ~fn.EXISTS(reversal.select(SQL("1")).where(reversal.reverses == entry.id)))


AMOUNT = fn.COALESCE(0 - LT.amount_cents, Claim.total_charge_cents)  # the line's denied amount, or the claim's
DENIED_AT = fn.COALESCE(LT.posted_at, Claim.status_changed_at)  # when the 835 posted it, or the claim was denied
# The claim's date of service on its first row only: one row per claim carries it, for the Denied tab's index walk.
FIRST_ROW_DATE = Case(None, [(fn.ROW_NUMBER().over(partition_by=[Claim.id], order_by=[LT.id]) == 1,
                              Claim.service_date)], None)
KEPT_COLUMNS = (DL.claim, DL.entry_id, DL.carc, DL.denied_at, DL.service_date)


def _worklist_rows(claims):
    """The worklist's rows of the claims selected by ``claims`` (a query of claim ids), as ``billing_denial_line``
    rows: each denied line, or the claim alone when it has none."""
    # Each claim's own state and queue entries, not ``on_worklist``'s id list: that lists every claim on the
    # worklist, and posting refreshes a few hundred claims at a time.
    waiting = _open_entries().where(RemitClaim.claim == Claim.id)
    return (Claim.select(Claim.id, LT.id, fn.COALESCE(LT.carc, ""), DENIED_AT, FIRST_ROW_DATE)
            .join(LT, JOIN.LEFT_OUTER, on=((LT.claim == Claim.id) & denied_line()))
            .where(Claim.id.in_(claims) & ((Claim.status == "denied") | fn.EXISTS(waiting))))


def _replace(claims, stale) -> None:
    """Drop the kept rows matching ``stale`` and store the worklist rows of ``claims`` afresh."""
    with transaction():
        DL.delete().where(stale).execute()
        DL.insert_from(_worklist_rows(claims), KEPT_COLUMNS).execute()


def refresh_claims(claim_ids) -> None:
    """Recompute the kept worklist rows of these claims (after their state, 835 entries or denial queue entries
    changed)."""
    claim_ids = sorted(set(claim_ids))
    for start in range(0, len(claim_ids), 500):
        chunk = claim_ids[start:start + 500]
        _replace(Claim.select(Claim.id).where(one_of(Claim.id, chunk)), one_of(DL.claim, chunk))


def rebuild() -> None:
    """Recompute every kept worklist row (after the migration that added them, and the demo's bulk data)."""
    _replace(Claim.select(Claim.id), SQL("1 = 1"))


# The columns of a worklist row (LT and ClaimLine are None on a claim without a denied line).
ROW_COLUMNS = (Claim.id.alias("claim_id"), Claim.claim_number, Claim.patient_id, Claim.payer.alias("payer_id"),
               Claim.service_date, Claim.status, Claim.total_charge_cents, Claim.assigned_user_id,
               Claim.status_changed_at, LT.id.alias("entry_id"), LT.group_code, LT.carc, LT.remark_codes,
               LT.amount_cents, LT.posted_at, ClaimLine.line_number, ClaimLine.code)


@lru_cache(maxsize=None)  # eight shapes, each built once (a page clones it to sort, join and page)
def worklist_query(payer: bool = False, reason: bool = False, age: bool = False):
    """A row per denied line of the claims on the worklist (one for a claim without one), read from the kept rows,
    with slots for the filters asked for: ``payer`` (a payer id), ``reason`` (a CARC) and ``age``
    (``denied_before``, a time). Its rows are plain rows (:class:`~.plain.PlainSelect`)."""
    query = (PlainSelect(DL, ROW_COLUMNS)
             .join(Claim, on=(Claim.id == DL.claim))
             .switch(DL).join(LT, JOIN.LEFT_OUTER, on=(LT.id == DL.entry_id))
             .join(ClaimLine, JOIN.LEFT_OUTER, on=((ClaimLine.claim == DL.claim)
                                                   & (ClaimLine.service_line == LT.service_line))))
    return _filtered(query, payer, reason, age)


@lru_cache(maxsize=None)
def worklist_count_query(payer: bool = False, reason: bool = False, age: bool = False):
    """The rows of :func:`worklist_query` to count, from the kept rows alone (its other joins only add columns;
    the claim is joined for the payer filter), with the same slots."""
    query = DL.select(DL.id)
    if payer:
        query = query.join(Claim, on=(Claim.id == DL.claim))
    return _filtered(query, payer, reason, age)


def _filtered(query, payer: bool, reason: bool, age: bool):
    if payer:
        query = query.where(Claim.payer == slot("payer"))
    if reason:
        query = query.where(DL.carc == slot("reason"))
    if age:
        query = query.where(DL.denied_at < slot("denied_before"))
    return query


def _reasons():
    """The distinct reason codes, one index seek each (the next code after the last found) instead of a
    DISTINCT over every kept row: a handful of codes among tens of thousands of rows."""
    first = DL.select(fn.MIN(DL.carc).alias("carc")).where(DL.carc > "")
    found = first.cte("reasons", recursive=True, columns=("carc",))
    following = DL.select(fn.MIN(DL.carc)).where(DL.carc > found.c.carc)
    found = found.union_all(Select([found], [following]).where(found.c.carc.is_null(False)))
    return Select([found], [found.c.carc]).where(found.c.carc.is_null(False)).order_by(found.c.carc).with_cte(
        found).tuples()


_REASONS = _reasons()


def reasons() -> list[str]:
    """The reason codes (CARC) of the worklist's denied lines, for its filter."""
    return kept(DENIALS.key, "reasons", lambda: [carc for (carc,) in prepared.rows(_REASONS, "billing.denials.reasons")])


_CLAIMS = kept_claim_ids()


def claim_count_upto(limit: int) -> int:
    """How many claims are on the denial worklist, counted no further than ``limit`` (their kept rows' index walked
    only that far: the full count reads every one, ~0.4 ms for 12,000 claims)."""
    return kept(DENIALS.key, ("claims up to", limit), lambda: prepared.count_upto(_CLAIMS, "billing.denials.claims", limit))


def denied_before(today: dt.date, days: int) -> dt.datetime:
    """A denial posted before this time is at least ``days`` old on ``today`` (ages count the practice's days, as
    shown)."""
    return day_start_utc(today - dt.timedelta(days=days - 1))


def open_entries(claim_id: int) -> list[RemitClaim]:
    """The claim's denials waiting in the denial queue, oldest first (the claim page marks them worked)."""
    return list(RemitClaim.select(RemitClaim, Remittance).join(Remittance)
                .where((RemitClaim.claim == claim_id) & (RemitClaim.queue == "denial")
                       & (RemitClaim.resolved == False))  # noqa: E712
                .order_by(RemitClaim.id))

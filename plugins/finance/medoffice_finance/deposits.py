"""Deposits: billing's money moved to the bank from the accounts where it waits.

Three sources, each read from the books, not from billing: the desk's cash and checks in undeposited funds
(a slip), insurance EFTs in transit (one deposit per 835 trace number, its payer's provider-level
adjustments on it) and card settlements in transit. What waits is each booked payment's line on its
source account that no deposit holds yet; a voided receipt or a taken-back payment waits as its negative
line. A deposit posts one entry, bank debited and the source credited, so the money invariant holds by
construction.
"""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

from medoffice import audit, prepared
from medoffice.data_versions import kept
from medoffice.db import transaction, utcnow
from medoffice.prepared import slot
from peewee import JOIN, SQL, fn

from .actor import acting_user
from .journal import JournalError, LineInput, post_entry, reverse_entry
from .models import (WAITING, Account, BankMatch, BookedEvent, DayClose, Deposit, DepositItem, JournalEntry,
                     JournalLine)

DESK_METHODS = ("cash", "check")
PAYMENT = "billing.payment_posted"
PLB = "billing.provider_adjustment_posted"


@dataclass(frozen=True)
class Source:
    """Where a kind of deposit takes its money from: the account's role, the events, the methods (None: any)."""

    title: str
    role: str
    events: tuple[str, ...]
    methods: tuple[str, ...] | None


SOURCES = {"desk": Source("Desk slip", "undeposited_funds", (PAYMENT,), DESK_METHODS),
           "eft": Source("Insurance EFT", "eft_in_transit", (PAYMENT, PLB), None),
           "card": Source("Card settlement", "card_in_transit", (PAYMENT,), None)}


class DepositError(ValueError):
    """A deposit that cannot be made or voided, with the reason for the user."""


@dataclass(frozen=True)
class Undeposited:
    """A booked payment (or PLB) waiting for the bank."""

    booked_event_id: int
    effective_date: dt.date | None
    method: str
    reference: str
    party: str
    amount_cents: int
    payer_id: int | None = None
    event_name: str = PAYMENT


@dataclass(frozen=True)
class ExpectedEft:
    """One insurance EFT the bank should show: a payer's 835 payments under one trace number, less its PLB."""

    trace: str
    payer_id: int | None
    effective_date: dt.date | None
    amount_cents: int
    booked_event_ids: tuple[int, ...]


_BY_ROLE = Account.select().where(Account.role == slot("role")).limit(1)


def source_account(source: str = "desk") -> Account:
    """The account a source's money waits in (by its role)."""
    account = next(iter(prepared.run(_BY_ROLE, "finance.account_by_role", role=SOURCES[source].role)), None)
    if account is None:
        raise DepositError(f"The chart has no account for {SOURCES[source].title.lower()}s.")
    return account


def undeposited_account() -> Account:
    """The undeposited funds account (by its role)."""
    return source_account("desk")


def _waiting(source: str, *fields, account=None):
    """Booked events of the source with a line on its account (``account``: its id, or a slot for it) that no
    deposit holds."""
    spec = SOURCES[source]
    account = source_account(source).id if account is None else account
    where = (BookedEvent.event_name.in_(list(spec.events)) & (JournalLine.account == account)
             & DepositItem.id.is_null())
    if spec.methods is not None:
        where &= BookedEvent.method.in_(list(spec.methods))
    return (BookedEvent.select(*fields)
            .join(JournalLine, on=(JournalLine.entry == BookedEvent.entry))
            .switch(BookedEvent).join(DepositItem, JOIN.LEFT_OUTER, on=(DepositItem.booked_event == BookedEvent.id))
            .where(where))


WAITING_LIMIT = 100


def waiting_before(day: dt.date) -> int:
    """How many desk payments received before ``day`` still wait for the bank (counted up to ``WAITING_LIMIT``),
    kept until an account, a booked event, a journal line or a deposit's item changes (the Today queue asks on
    every view)."""
    return kept(WAITING.key, ("waiting_before", day), lambda: _count_waiting_before(day))


def _count_waiting_before(day: dt.date) -> int:
    """The count ``waiting_before`` keeps, read from the books."""
    return int(prepared.scalar(_waiting_before_query(), "finance.waiting_before", account=source_account("desk").id,
                               day=day) or 0)


@functools.cache
def _waiting_before_query():
    # Built once: the Today page asks on every view, and building the joined query cost more than running it.
    query = (_waiting("desk", BookedEvent.id, account=slot("account"))
             .where((BookedEvent.effective_date < slot("day")) & (JournalLine.debit_cents > 0))
             .order_by().limit(WAITING_LIMIT))
    return Account.select(fn.COUNT(SQL("1"))).from_(query.alias("waiting"))


def undeposited(ids: list[int] | None = None, source: str = "desk") -> list[Undeposited]:
    """What of a source waits for the bank, oldest first (only ``ids`` when given). The whole list is kept until an
    account, a booked event, a journal line or a deposit's item changes: the deposits page shows it on every view."""
    if ids is not None:
        return _read_undeposited(source, ids)
    return list(kept(WAITING.key, ("undeposited", source), lambda: tuple(_read_undeposited(source, None))))


def _read_undeposited(source: str, ids: list[int] | None) -> list[Undeposited]:
    query, account = _undeposited_query(source), source_account(source).id
    if ids is None:  # compiled once per source
        rows = prepared.run(query, ("finance.undeposited", source), account=account)
    else:
        rows = prepared.run(query.where(BookedEvent.id.in_(ids)), None, account=account)
    return [Undeposited(r["id"], r["effective_date"], r["method"], r["reference"], r["party"], int(r["amount"]),
                        r["payer_id"], r["event_name"]) for r in rows]


@functools.cache
def _undeposited_query(source: str):
    amount = fn.SUM(JournalLine.debit_cents - JournalLine.credit_cents)
    keys = (BookedEvent.id, BookedEvent.effective_date, BookedEvent.method, BookedEvent.reference,
            BookedEvent.party, BookedEvent.payer_id, BookedEvent.event_name)
    return (_waiting(source, *keys, amount.alias("amount"), account=slot("account")).group_by(*keys)
            .order_by(BookedEvent.effective_date, BookedEvent.id).dicts())


def expected_efts(items: list[Undeposited] | None = None) -> list[ExpectedEft]:
    """Insurance EFTs waiting for the bank, one per payer and trace number; a payer's provider-level
    adjustments go with its payments of the same day (the 835 they came in), else stand alone."""
    items = undeposited(source="eft") if items is None else items
    groups: dict[tuple, list[Undeposited]] = {}
    for item in items:
        if item.event_name == PAYMENT:
            groups.setdefault((item.payer_id, item.reference, item.effective_date), []).append(item)
    for item in items:
        if item.event_name != PAYMENT:
            home = next((key for key in groups if key[0] == item.payer_id and key[2] == item.effective_date), None)
            groups.setdefault(home or (item.payer_id, "", item.effective_date), []).append(item)
    return [ExpectedEft(trace, payer, day, sum(i.amount_cents for i in members),
                        tuple(i.booked_event_id for i in members))
            for (payer, trace, day), members in sorted(groups.items(), key=lambda kv: (str(kv[0][2]), kv[0][1]))]


def make_deposit(booked_event_ids: list[int], deposit_date: dt.date, bank_account_id: int, memo: str = "", *,
                 source: str = "desk", reference: str = "") -> Deposit:
    """Post a deposit of the chosen payments of one source to the bank account (audited).

    :raises DepositError: nothing chosen, a payment already deposited (or not of the source), a total that
        is not positive, a bank account that is not an active asset, or a date the books refuse.
    """
    wanted = sorted(set(booked_event_ids))
    if not wanted:
        raise DepositError("Choose the payments to deposit.")
    with transaction():
        items = undeposited(wanted, source)
        if len(items) != len(wanted):
            raise DepositError("Some of the payments chosen are deposited already or are not "
                               f"{SOURCES[source].title.lower()} payments; reload the page.")
        total = sum(item.amount_cents for item in items)
        if total <= 0:
            raise DepositError("The payments chosen come to nothing to deposit.")
        bank = Account.get_or_none(Account.id == bank_account_id)
        if bank is None or bank.type != "asset" or not bank.active:
            raise DepositError("Choose the bank account the money goes to.")
        title = SOURCES[source].title
        default_memo = f"{title} {reference}" if reference else f"{title}: {len(items)} payments"
        try:
            entry = post_entry(deposit_date, memo or default_memo, [
                LineInput(bank.id, debit_cents=total, memo=title),
                LineInput(source_account(source).id, credit_cents=total, memo=title)], kind="deposit")
        except JournalError as exc:
            raise DepositError(str(exc)) from None
        user_id, _name = acting_user()
        deposit = Deposit.create(deposit_date=deposit_date, bank_account=bank.id, entry=entry.id, total_cents=total,
                                 memo=memo[:200], created_by_user_id=user_id, source=source,
                                 reference=reference[:60])
        DepositItem.insert_many([{"deposit": deposit.id, "booked_event": item.booked_event_id,
                                  "amount_cents": item.amount_cents} for item in items]).execute()
        audit.record("finance.deposit.create", "finance_deposit", deposit.id,
                     detail={"source": source, "items": len(items), "total_cents": total, "entry": entry.id})
    return deposit


def deposit_eft(trace: str, payer_id: int | None, deposit_date: dt.date, bank_account_id: int) -> Deposit:
    """Deposit the insurance EFT of that payer and trace number (its PLB with it) into the bank account.

    :raises DepositError: no such EFT waits, or the deposit is refused.
    """
    found = [e for e in expected_efts() if e.trace == trace and e.payer_id == payer_id]
    if not found:
        raise DepositError(f"No insurance EFT with trace number {trace or '(none)'} waits for the bank.")
    return make_deposit(list(found[0].booked_event_ids), deposit_date, bank_account_id, source="eft",
                        reference=trace)


def closed_days_of(deposit_id: int) -> list[dt.date]:
    """The closed days whose payments the deposit holds: closed for the whole practice, or for the office that
    took a payment it holds."""
    held = (BookedEvent.select(BookedEvent.effective_date, BookedEvent.location_id).join(DepositItem)
            .where(DepositItem.deposit == deposit_id).distinct().alias("held"))
    query = (DayClose.select(DayClose.day).distinct()
             .join(held, on=((held.c.effective_date == DayClose.day)
                             & ((DayClose.location_id == 0) | (DayClose.location_id == held.c.location_id))))
             .order_by(DayClose.day))
    return [row.day for row in query]


def void_deposit(deposit: Deposit, void_date: dt.date, reason: str) -> None:
    """Void a slip: its entry is reversed on ``void_date`` and its payments wait in undeposited funds again
    (audited, with the payments it held).

    :raises DepositError: no reason, a slip already voided, or a date the books refuse.
    """
    reason = reason.strip()
    if not reason:
        raise DepositError("Say why the deposit is voided.")
    with transaction():
        current = Deposit.get_by_id(deposit.id)
        if current.voided_at is not None:
            raise DepositError("This deposit is already voided.")
        if BankMatch.select().where(BankMatch.entry == current.entry_id).exists():
            raise DepositError("The bank statement shows this deposit: undo its match on the statement first.")
        closed = closed_days_of(current.id)
        if closed:
            raise DepositError(f"It holds payments of {closed[0].isoformat()}, a closed day: reopen the day first.")
        try:
            reversal = reverse_entry(JournalEntry.get_by_id(current.entry_id), void_date,
                                     f"deposit {current.id} voided: {reason}", owner="deposit")
        except JournalError as exc:
            raise DepositError(str(exc)) from None
        held = [item.booked_event_id for item in DepositItem.select().where(DepositItem.deposit == current.id)]
        DepositItem.delete().where(DepositItem.deposit == current.id).execute()
        Deposit.update(voided_at=utcnow(), void_reason=reason[:500]).where(Deposit.id == current.id).execute()
        audit.record("finance.deposit.void", "finance_deposit", current.id,
                     detail={"reason": reason, "reversal": reversal.id, "booked_events": held})


def slip(deposit: Deposit) -> dict:
    """What the slip shows: checks listed one by one, cash and coin as one line, totals (an EFT or card
    settlement lists its payments as checks are)."""
    rows = list(DepositItem.select(DepositItem.amount_cents, BookedEvent.method, BookedEvent.reference,
                                   BookedEvent.effective_date, BookedEvent.party, BookedEvent.event_name)
                .join(BookedEvent).where(DepositItem.deposit == deposit.id).order_by(DepositItem.id).dicts())
    listed = [r for r in rows if r["method"] == "check" or deposit.source != "desk"]
    cash = sum(r["amount_cents"] for r in rows if r["method"] == "cash" and deposit.source == "desk")
    checks = listed
    reversed_entry = JournalEntry.get_or_none(JournalEntry.reverses == deposit.entry_id)
    return {"deposit": deposit, "bank": Account.get_by_id(deposit.bank_account_id), "checks": checks,
            "cash_cents": cash, "checks_cents": sum(r["amount_cents"] for r in checks), "count": len(rows),
            "reversed": reversed_entry}


def slip_pdf(html: str) -> bytes:
    """The slip's HTML as a PDF (WeasyPrint, no network or file access)."""
    import weasyprint  # imported lazily: it loads pango at import time

    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    return weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()

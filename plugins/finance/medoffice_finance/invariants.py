"""The invariants that keep the books from drifting from billing, each one or two SQL aggregates.

Billing's side is read from the durable event log itself (``core_event``: what billing published, in
its own words, in the transactions that changed its ledger), never from billing's tables:

- the journal balances: all posted debits equal all posted credits;
- nothing unbooked: every billing and payroll event finance books, and every marketing spend it enters as
  a bill, has its booked-event row;
- money received: what billing says it received (payments, less payers' provider-level adjustments)
  equals what the books hold in the money-in-transit accounts (undeposited funds, EFTs and card
  settlements in transit) plus what was deposited out of them;
- receivables (accrual basis): billing's receivables (charges, less payments and adjustments, plus
  refunds) equal the receivable accounts in the books.

Shown on the finance dashboard, run by ``medoffice doctor`` and by the daily ``finance.invariants`` job, which
also keeps a tally of the log (``keep_tally``) so the checks read only the events committed since.
"""
from __future__ import annotations

from dataclasses import dataclass

from medoffice import prepared
from medoffice.data_versions import EVENTS_KEY, kept
from medoffice.db import is_sqlite, transaction
from medoffice.events.models import EventRecord
from medoffice.money import format_cents
from medoffice.prepared import slot
from peewee import JOIN, SQL, Case, Select, fn

from .balances import journal_totals, kept_totals
from .books import basis
from .models import (BOOKS, CHART, DEBIT_NORMAL, LINES, TALLY, TOTALS, WAITING, Account, AccountTotal, BookedEvent,
                     JournalEntry, JournalLine, LogTally)
from .rules import BOOKED_EVENTS
from .spend import SPEND_EVENT

HANDLED_EVENTS = (*BOOKED_EVENTS, SPEND_EVENT)

MONEY_ROLES = ("undeposited_funds", "eft_in_transit", "card_in_transit")
RECEIVABLE_ROLES = ("ar_patient", "ar_insurance")  # the transfers clearing account is in transit


@dataclass(frozen=True)
class Invariant:
    """One check's outcome: ``status`` ok, warn or fail, and the sentence that explains it."""

    name: str
    title: str
    status: str
    message: str


@dataclass(frozen=True)
class LogTotals:
    """Per event name finance handles: how many the log holds and the sum of their ``amount_cents``; and the
    last position read."""

    events: dict[str, int]
    sums: dict[str, int]
    through_position: int


def _amount():
    if is_sqlite():
        return fn.json_extract(EventRecord.payload, "$.amount_cents")
    return SQL("CAST((payload::jsonb ->> 'amount_cents') AS BIGINT)")


def _since(after):
    """Per event name finance handles, the log's events after position ``after``: (name, how many, the sum of their
    amounts, the last position, 1)."""
    return (EventRecord.select(EventRecord.name, fn.COUNT(EventRecord.id), fn.COALESCE(fn.SUM(_amount()), 0),
                               fn.MAX(EventRecord.position), SQL("1"))
            .where(EventRecord.name.in_(list(HANDLED_EVENTS)) & (EventRecord.position > after))
            .group_by(EventRecord.name))


_LOG_QUERIES: dict[bool, tuple] = {}


def _log_queries() -> tuple:
    """(the kept tally's rows, marked 0, and the events after it, marked 1, in one statement; the events after a
    position given as ``through``), built once per kind of database (the amount's expression differs)."""
    sqlite = is_sqlite()
    found = _LOG_QUERIES.get(sqlite)
    if found is None:
        kept = LogTally.select(LogTally.name, LogTally.events, LogTally.amount_cents, LogTally.through_position,
                               SQL("0"))
        through = LogTally.select(fn.COALESCE(fn.MIN(LogTally.through_position), 0))
        found = _LOG_QUERIES[sqlite] = (kept.union_all(_since(through)).tuples(),
                                        _since(slot("through")).tuples())
    return found


def log_totals(whole_log: bool = False) -> LogTotals:
    """The log's counts and sums of the events finance handles (committed events only): the kept tally plus
    what was committed after it, read with it in one statement by the position index (``whole_log``: the whole
    log)."""
    kept_and_since, since = _log_queries()
    rows = [] if whole_log else list(prepared.run(kept_and_since, "finance.log_tally_and_since").cursor)
    kept = [row for row in rows if not row[4]]
    if {row[0] for row in kept} != set(HANDLED_EVENTS):
        # kept before finance handled another event (or never): count the whole log once more
        kept, after = [], list(prepared.run(since, "finance.log_since", through=0).cursor)
    else:
        after = [row for row in rows if row[4]]
    through = min((int(row[3]) for row in kept), default=0)
    events = {row[0]: int(row[1]) for row in kept}
    sums = {row[0]: int(row[2]) for row in kept}
    last = through
    for name, count, total, highest, _after in after:
        events[name] = events.get(name, 0) + int(count)
        sums[name] = sums.get(name, 0) + int(total)
        last = max(last, int(highest))
    return LogTotals(events, sums, last)


def keep_tally() -> LogTotals:
    """Count the whole log afresh and keep its totals, so the day's checks read only newer events (the morning
    job). Positions are handed out in commit order, so every event up to the last one read was in that read."""
    totals = log_totals(whole_log=True)
    with transaction():
        LogTally.delete().execute()
        LogTally.insert_many([{"name": name, "events": totals.events.get(name, 0),
                               "amount_cents": totals.sums.get(name, 0), "through_position": totals.through_position}
                              for name in HANDLED_EVENTS]).execute()
    return totals


def _role_accounts(roles):
    """The ids of the accounts with these roles, as a subquery."""
    return Account.select(Account.id).where(Account.role.in_(list(roles)))


def check_balanced(kept: bool = False, totals: tuple[int, int] | None = None) -> Invariant:
    """All posted debits equal all posted credits: summed over every posted line, or (``kept``) over the totals
    ``post_entry`` keeps per account in the posting's transaction (a page's quick read; the database refuses an
    unbalanced entry either way); ``totals``: (debits, credits) when the caller has read them."""
    debits, credits = totals if totals is not None else kept_totals() if kept else journal_totals()
    if debits == credits:
        return Invariant("finance.balanced", "The journal balances", "ok",
                         f"Debits and credits are both {format_cents(debits)}.")
    return Invariant("finance.balanced", "The journal balances", "fail",
                     f"Debits {format_cents(debits)} and credits {format_cents(credits)} differ.")


def check_unbooked(totals: LogTotals, booked: int | None = None) -> Invariant:
    """Every event of the log that finance books (billing's, payroll's, marketing's spend) has been booked
    (``booked``: ``booked_count()`` when the caller has it already)."""
    logged = sum(totals.events.values())
    booked = booked_count() if booked is None else booked
    title = "Every event finance books is booked"
    if logged == booked:
        return Invariant("finance.unbooked", title, "ok", f"{booked:,} events booked, none waiting.")
    return Invariant("finance.unbooked", title, "fail",
                     f"{logged - booked:,} of {logged:,} events are not booked: see Admin, Events.")


_REVERSED = JournalEntry.alias()
_MONEY_HELD = (JournalLine.select(fn.COALESCE(fn.SUM(JournalLine.debit_cents - JournalLine.credit_cents), 0))
               .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
               .join(_REVERSED, on=(JournalEntry.reverses == _REVERSED.id), join_type=JOIN.LEFT_OUTER)
               .where((JournalEntry.status == "posted") & JournalLine.account.in_(_role_accounts(MONEY_ROLES))
                      & (JournalEntry.kind != "deposit")
                      & (_REVERSED.kind.is_null() | (_REVERSED.kind != "deposit"))))


def money_held() -> int:
    """Net debits on the money-in-transit accounts from every entry except deposits out of them (and their
    reversals): what billing's money came to in the books, wherever it has gone since."""
    return int(prepared.scalar(_MONEY_HELD, "finance.money_held"))


_RECEIVABLES = (JournalLine.select(Account.type, fn.SUM(JournalLine.debit_cents - JournalLine.credit_cents))
                .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
                .switch(JournalLine).join(Account, on=(JournalLine.account == Account.id))
                .where((JournalEntry.status == "posted") & Account.role.in_(list(RECEIVABLE_ROLES)))
                .group_by(Account.type).tuples())


def receivables_held() -> int:
    """The receivable accounts' posted balances on their normal side, summed."""
    return sum(int(net) if kind in DEBIT_NORMAL else -int(net)
               for kind, net in prepared.run(_RECEIVABLES, "finance.receivables_held"))


_BOOKED = BookedEvent.select(fn.COUNT(SQL("*")))  # COUNT(*): SQLite counts the smallest index's entries, reading no column


def booked_count() -> int:
    """How many events finance has handled (booked or deliberately not)."""
    return int(prepared.scalar(_BOOKED, "finance.booked_count"))


def check_money(sums: dict[str, int], held: int | None = None) -> Invariant:
    """Money billing received equals undeposited and in-transit money plus what was deposited of it (``held``:
    ``money_held()`` when the caller has read it)."""
    received = sums.get("billing.payment_posted", 0) - sums.get("billing.provider_adjustment_posted", 0)
    held = money_held() if held is None else held
    title = "Money billing received is in the books"
    if received == held:
        return Invariant("finance.money", title, "ok",
                         f"Billing received {format_cents(received)}; undeposited and in-transit money plus "
                         f"deposits of it come to the same.")
    return Invariant("finance.money", title, "fail",
                     f"Billing received {format_cents(received)}, the books hold {format_cents(held)} in "
                     f"undeposited and in-transit money and deposits of it (a difference of "
                     f"{format_cents(received - held)}). Look for a manual entry on those accounts or an edited "
                     f"posting rule.")


def check_receivables(sums: dict[str, int], books_basis: str | None = None, books_ar: int | None = None) -> Invariant:
    """On accrual basis, the receivable accounts equal billing's receivables (``books_basis``: ``basis()``, and
    ``books_ar``: ``receivables_held()``, when the caller has read them)."""
    title = "Receivables equal billing's"
    if (books_basis or basis()) != "accrual":
        return Invariant("finance.receivables", title, "ok", "Cash basis: the books keep no receivables.")
    billing_ar = (sums.get("billing.charge_posted", 0) + sums.get("billing.charge_voided", 0)
                  + sums.get("billing.adjustment_posted", 0) - sums.get("billing.payment_posted", 0)
                  + sums.get("billing.refund_posted", 0))
    books_ar = receivables_held() if books_ar is None else books_ar
    if billing_ar == books_ar:
        return Invariant("finance.receivables", title, "ok", f"Both are {format_cents(books_ar)}.")
    return Invariant("finance.receivables", title, "fail",
                     f"Billing's receivables are {format_cents(billing_ar)}, the books' {format_cents(books_ar)} "
                     f"(a difference of {format_cents(billing_ar - books_ar)}).")


@dataclass(frozen=True)
class BookFigures:
    """What the overview checks and shows of the books, read in one statement (``book_figures``): posted debits
    and credits and the receivable accounts' balance from the kept per-account totals, money held (``money_held``),
    how many events are booked and how many entries posted."""

    debits: int
    credits: int
    receivables: int
    money_held: int
    booked: int
    posted_entries: int


_KEPT_RECEIVABLES = (AccountTotal.select(fn.COALESCE(fn.SUM(Case(None, [(
    Account.type.in_(list(DEBIT_NORMAL)), AccountTotal.debit_cents - AccountTotal.credit_cents)],
    AccountTotal.credit_cents - AccountTotal.debit_cents)), 0))
    .join(Account, on=(AccountTotal.account == Account.id)).where(Account.role.in_(list(RECEIVABLE_ROLES))))
_FIGURES = Select(columns=[
    AccountTotal.select(fn.COALESCE(fn.SUM(AccountTotal.debit_cents), 0)),
    AccountTotal.select(fn.COALESCE(fn.SUM(AccountTotal.credit_cents), 0)),
    _KEPT_RECEIVABLES, _MONEY_HELD, _BOOKED,
    JournalEntry.select(fn.COUNT(SQL("*"))).where(JournalEntry.status == "posted")])


def book_figures() -> BookFigures:
    """The overview's figures of the books in one statement (each a query of its own cost a round trip and
    ~30 us of driver and peewee work, most of the page's checks)."""
    row = next(iter(prepared.run(_FIGURES, "finance.book_figures").cursor))
    return BookFigures(*(int(value) for value in row))


def run_all(*, kept: bool = False, figures: BookFigures | None = None,
            books_basis: str | None = None) -> list[Invariant]:
    """Every invariant, in the order the dashboard shows them.

    :param kept: the journal's balance and the receivable accounts from the kept per-account totals, read with
        the other figures in one statement (what ``kept_checks`` keeps for the overview and its card), rather than
        summed over every posted line (``medoffice doctor`` and the morning job).
    :param figures: ``book_figures()`` when the caller has read them (implies ``kept``); ``books_basis`` the
        books' basis when the caller has read it.
    """
    totals = log_totals()
    if figures is None and not kept:
        return [check_balanced(), check_unbooked(totals), check_money(totals.sums),
                check_receivables(totals.sums, books_basis)]
    figures = figures or book_figures()
    return [check_balanced(totals=(figures.debits, figures.credits)), check_unbooked(totals, figures.booked),
            check_money(totals.sums, figures.money_held),
            check_receivables(totals.sums, books_basis, figures.receivables)]


# Every table the overview's figures and checks read: the event log and its kept tally, the books' setup and
# entries, the kept per-account totals, the lines, the accounts and the booked events.
_CHECKED = (EVENTS_KEY, TALLY.key, BOOKS.key, TOTALS.key, LINES.key, CHART.key, WAITING.key)


def kept_checks() -> tuple[BookFigures, list[Invariant]]:
    """``book_figures()`` and the checks ``run_all`` makes from them, kept until a table they read changes (the
    overview and its dashboard card show them on every view)."""
    def build():
        figures = book_figures()
        return figures, tuple(run_all(figures=figures, books_basis=basis()))

    figures, checks = kept(_CHECKED, "finance checks", build)
    return figures, list(checks)

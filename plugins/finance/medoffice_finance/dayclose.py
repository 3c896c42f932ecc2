"""The daily close: one day's money from the desk to the bank on one screen, every difference named.

Side by side, for a day: what billing took (its payment events as finance booked them, by method and
party), the deposits that hold that money (desk slips, insurance EFTs by 835 trace number, card
settlements), and the bank statement lines matched to them; then the bank lines of the day nobody
matched. Each gap is a difference with what to do about it. Closing the day records who closed it, what
the desk had taken and what was deposited of it, and a note for differences left; from then on a deposit
holding that day's payments cannot be voided, a payment billing books later for that day shows as a
difference, and ``finance.day_closed`` tells other plugins (billing may lock the day's desk payments).

A practice with several offices closes each office's desk on its own (billing's payment events name the
office that took a patient's payment): its payments, their deposit slips and the slips' bank lines. The
whole practice's close (office 0) takes in everything: every desk, the insurance EFTs by trace number and
the day's bank lines nobody matched.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import url_for
from medoffice import audit, prepared
from medoffice.db import transaction, utcnow
from medoffice.events import EventType, publish
from medoffice.prepared import slot
from medoffice.settings import today
from peewee import JOIN, SQL, fn

from .actor import acting_user
from .deposits import PAYMENT, SOURCES
from .models import BankLine, BankMatch, BookedEvent, DayClose, Deposit, DepositItem
from .slots import id_slots

_CLOSED = {"day": "date", "closed_at": "timestamp", "desk_cents": "cents", "deposited_cents": "cents"}
_CLOSED_TEXT = ("Finance closed a day: the desk's payments dated that day were counted and deposited (differences "
                "explained in finance). A plugin that takes desk payments may stop their edits dated that day.")
_REOPENED = {"day": "date", "reopened_at": "timestamp"}
_REOPENED_TEXT = ("Finance reopened a closed day (with a reason, in finance's audit trail): its desk payments may be "
                  "corrected again.")
_OFFICE_TEXT = (" location_id is the core location (office) whose desk it was, or None for the whole practice "
                "(version 1 always meant the whole practice).")
DAY_CLOSED_V1 = EventType("finance.day_closed", 1, _CLOSED, _CLOSED_TEXT)
DAY_CLOSED = EventType("finance.day_closed", 2, {**_CLOSED, "location_id": "int?"}, _CLOSED_TEXT + _OFFICE_TEXT)
DAY_REOPENED_V1 = EventType("finance.day_reopened", 1, _REOPENED, _REOPENED_TEXT)
DAY_REOPENED = EventType("finance.day_reopened", 2, {**_REOPENED, "location_id": "int?"},
                         _REOPENED_TEXT + _OFFICE_TEXT)
WHOLE_PRACTICE = 0


class DayCloseError(ValueError):
    """A close or reopen that is refused, with the reason."""


@dataclass(frozen=True)
class Difference:
    """A gap between billing, the deposits and the bank, and what to do about it."""

    what: str
    cents: int
    todo: str
    url: str = ""


def _source_of(method: str) -> str:
    """Where a payment of that method waits: EFTs and cards in transit, the rest (cash, checks) at the desk."""
    return method if method in ("eft", "card") else "desk"


def _of_office(office: int):
    """The condition on booked payments that they are the office's (every payment for the whole practice), the
    office a slot: queries using it are keyed by ``bool(office)``."""
    return (BookedEvent.location_id == slot("office")) if office else SQL("TRUE")


def taken(day: dt.date, office: int = WHOLE_PRACTICE) -> list[dict]:
    """Billing's payments dated ``day`` (taken at ``office``) as booked: by party and method, the amount and how
    many."""
    query = (BookedEvent.select(BookedEvent.party, BookedEvent.method, fn.SUM(BookedEvent.amount_cents).alias("cents"),
                                fn.COUNT(BookedEvent.id).alias("count"))
             .where((BookedEvent.event_name == PAYMENT) & (BookedEvent.effective_date == slot("day"))
                    & _of_office(office))
             .group_by(BookedEvent.party, BookedEvent.method).order_by(BookedEvent.party, BookedEvent.method).dicts())
    rows = prepared.run(query, ("finance.day_taken", bool(office)), day=day, office=office)
    return [{**r, "cents": int(r["cents"]), "source": _source_of(r["method"])} for r in rows]


def deposits_of(day: dt.date, office: int = WHOLE_PRACTICE) -> list[dict]:
    """The deposits holding payments of ``day`` (taken at ``office``; voided deposits left out): each with that
    part of it, its total, and the bank lines it is matched to."""
    part = fn.SUM(DepositItem.amount_cents)
    query = (Deposit.select(Deposit, part.alias("part"))
             .join(DepositItem).join(BookedEvent)
             .where((BookedEvent.effective_date == slot("day")) & Deposit.voided_at.is_null() & _of_office(office))
             .group_by(Deposit.id).order_by(Deposit.deposit_date, Deposit.id))
    rows = list(prepared.run(query, ("finance.day_deposits", bool(office)), day=day, office=office))
    banked = {}
    if rows:
        slots, values = id_slots([d.id for d in rows])
        matches = (BankMatch.select(BankMatch.deposit, BankLine.id, BankLine.posted_date, BankLine.amount_cents,
                                    BankLine.description, BankLine.statement)
                   .join(BankLine, on=(BankMatch.bank_line == BankLine.id))
                   .where(BankMatch.deposit.in_(slots)).dicts())
        for match in prepared.run(matches, ("finance.day_deposit_lines", len(rows)), **values):
            banked.setdefault(match["deposit"], []).append(match)
    return [{"deposit": d, "source": SOURCES[d.source].title, "part_cents": int(d.part), "lines": banked.get(d.id, [])}
            for d in rows]


def waiting_of(day: dt.date, office: int = WHOLE_PRACTICE) -> list[dict]:
    """What of the day's payments (taken at ``office``) no deposit holds yet, by source (desk, EFT, card)."""
    query = (BookedEvent.select(BookedEvent.method, BookedEvent.party, BookedEvent.reference,
                                fn.SUM(BookedEvent.amount_cents).alias("cents"),
                                fn.COUNT(BookedEvent.id).alias("count"))
             .join(DepositItem, JOIN.LEFT_OUTER, on=(DepositItem.booked_event == BookedEvent.id))
             .where((BookedEvent.event_name == PAYMENT) & (BookedEvent.effective_date == slot("day"))
                    & DepositItem.id.is_null() & BookedEvent.entry.is_null(False) & _of_office(office))
             .group_by(BookedEvent.method, BookedEvent.party, BookedEvent.reference).dicts())
    waiting_rows = prepared.run(query, ("finance.day_waiting", bool(office)), day=day, office=office)
    out: dict[tuple, dict] = {}
    for r in waiting_rows:
        source = _source_of(r["method"])
        key = (source, r["reference"] if source == "eft" else "")
        row = out.setdefault(key, {"source": source, "title": SOURCES[source].title, "trace": key[1], "cents": 0,
                                   "count": 0})
        row["cents"] += int(r["cents"])
        row["count"] += r["count"]
    return [row for row in out.values() if row["cents"] or row["count"]]


_MATCHED = fn.COALESCE(fn.SUM(BankMatch.amount_cents), 0)
_BANK_LINES = (BankLine.select(BankLine.id, BankLine.statement, BankLine.amount_cents, BankLine.description,
                               _MATCHED.alias("matched"))
               .join(BankMatch, JOIN.LEFT_OUTER, on=(BankMatch.bank_line == BankLine.id))
               .where(BankLine.posted_date == slot("day"))
               .group_by(BankLine.id, BankLine.statement, BankLine.amount_cents, BankLine.description)
               .order_by(BankLine.id).dicts())


def bank_lines_of(day: dt.date) -> list[dict]:
    """The bank lines posted on ``day`` with the cents matched of each."""
    return list(prepared.run(_BANK_LINES, "finance.day_bank_lines", day=day))


_CLOSES = DayClose.select().where(DayClose.day == slot("day"))


def closes_of(day: dt.date) -> dict[int, DayClose]:
    """The closes recorded for ``day``, by office (0: the whole practice)."""
    return {c.location_id: c for c in prepared.run(_CLOSES, "finance.day_closes", day=day)}


def day_view(day: dt.date, office: int = WHOLE_PRACTICE) -> dict:
    """Everything the daily close screen shows for ``day`` and ``office`` (0: the whole practice), with its
    differences. An office's view leaves the day's unmatched bank lines to the whole practice's close."""
    payments, deposits, waiting = taken(day, office), deposits_of(day, office), waiting_of(day, office)
    lines = [] if office else bank_lines_of(day)
    closes = closes_of(day)
    closed = closes.get(office)
    desk_cents = sum(r["cents"] for r in payments if r["source"] == "desk")
    differences = []
    for row in waiting:
        if row["source"] == "desk":
            differences.append(Difference(f"{row['count']} desk cash and check payment(s) on no deposit slip",
                                          row["cents"], "Put them on a deposit slip and take it to the bank.",
                                          url_for("finance.deposit_new")))
        elif row["source"] == "eft":
            differences.append(Difference(f"Insurance EFT {row['trace'] or '(no trace number)'} not in the bank yet",
                                          row["cents"], "Import the bank statement that shows it, or match its line "
                                          "by hand on the statement.", url_for("finance.bank")))
        else:
            differences.append(Difference("Card payments not settled to the bank yet", row["cents"],
                                          "When the processor pays, import the statement; its line is matched to "
                                          "a card settlement.", url_for("finance.bank")))
    for row in deposits:
        if not row["lines"]:
            differences.append(Difference(f"{row['source']} {row['deposit'].id} of "
                                          f"{row['deposit'].deposit_date.isoformat()} not on a bank statement",
                                          row["deposit"].total_cents, "Import the statement that shows it, or match "
                                          "the line by hand; if the bank refused it, void the slip.",
                                          url_for("finance.deposit", deposit_id=row["deposit"].id)))
    for line in lines:
        left = line["amount_cents"] - int(line["matched"])
        if left:
            differences.append(Difference(f"Bank line \u201c{line['description'][:60]}\u201d not matched"
                                          + ("" if left == line["amount_cents"] else " in full"), left,
                                          "Match it to a deposit or entry, or book it (a bank fee) on its statement.",
                                          url_for("finance.statement", bank_statement_id=line["statement"])))
    if closed is not None and closed.desk_cents != desk_cents:
        differences.append(Difference("Billing's desk payments of this day changed after it was closed",
                                      desk_cents - closed.desk_cents, "Find the payment posted or voided for this "
                                      "day in billing; reopen the day to deposit it."))
    return {"day": day, "office": office, "payments": payments, "deposits": deposits, "waiting": waiting,
            "lines": lines, "differences": differences, "closed": closed, "desk_cents": desk_cents,
            "practice_closed": closes.get(WHOLE_PRACTICE) if office else None,
            "offices_closed": sorted(k for k in closes if k) if not office else [],
            "taken_cents": sum(r["cents"] for r in payments),
            "deposited_cents": sum(r["part_cents"] for r in deposits)}


def close_day(day: dt.date, note: str = "", office: int = WHOLE_PRACTICE) -> DayClose:
    """Close a day of one office, or of the whole practice (audited, ``finance.day_closed`` published);
    differences left need a note saying why.

    :raises DayCloseError: a day still to come, one closed already (an office's, also when the whole practice's
        day is), or differences without a note.
    """
    note = (note or "").strip()
    if day > today():
        raise DayCloseError("A day can be closed once it has happened.")
    with transaction():
        closes = closes_of(day)
        if office in closes:
            raise DayCloseError(f"{day.isoformat()} is closed already.")
        if office and WHOLE_PRACTICE in closes:
            raise DayCloseError(f"The whole practice's {day.isoformat()} is closed, this office's with it.")
        view = day_view(day, office)
        if view["differences"] and not note:
            raise DayCloseError(f"{len(view['differences'])} difference(s) remain: resolve them, or say in the note "
                                "why the day closes with them.")
        user_id, _name = acting_user()
        closed = DayClose.create(day=day, location_id=office, desk_cents=view["desk_cents"],
                                 deposited_cents=view["deposited_cents"], differences=len(view["differences"]),
                                 note=note[:1000], closed_by_user_id=user_id)
        audit.record("finance.day.close", "finance_day_close", closed.id,
                     detail={"day": day.isoformat(), "location_id": office or None,
                             "differences": len(view["differences"]), "desk_cents": view["desk_cents"],
                             "deposited_cents": view["deposited_cents"]})
        publish("finance.day_closed", {"day": day, "closed_at": closed.closed_at, "desk_cents": closed.desk_cents,
                                       "deposited_cents": closed.deposited_cents, "location_id": office or None})
    return closed


def reopen_day(day: dt.date, reason: str, office: int = WHOLE_PRACTICE) -> None:
    """Reopen a closed day of one office or of the whole practice, with the reason (audited,
    ``finance.day_reopened`` published).

    :raises DayCloseError: no reason, or the day is not closed.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DayCloseError("Give the reason for reopening the day.")
    with transaction():
        closed = DayClose.get_or_none((DayClose.day == day) & (DayClose.location_id == office))
        if closed is None:
            raise DayCloseError(f"{day.isoformat()} is not closed.")
        closed.delete_instance()
        audit.record("finance.day.reopen", "finance_day_close", closed.id,
                     detail={"day": day.isoformat(), "location_id": office or None, "reason": reason[:500],
                             "closed_by_user_id": closed.closed_by_user_id, "closed_note": closed.note})
        publish("finance.day_reopened", {"day": day, "reopened_at": utcnow(), "location_id": office or None})

"""The journal and periods on a real database: balanced or refused (by the code and by the database's own
guards), posted entries immutable and reversed by a linked entry, months that close and reopen, year end."""
from __future__ import annotations

import datetime as dt
import json

import peewee as pw
import pytest
from finance_setup import account, lines
from medoffice.models import AuditEvent
from medoffice.testing import connected

from medoffice_finance import periods, yearend
from medoffice_finance.balances import account_balances
from medoffice_finance.journal import EntryInput, JournalError, LineInput, post_entries, post_entry, reverse_entry
from medoffice_finance.models import Account, JournalEntry, JournalLine, Period, PeriodEvent, YearClose
from medoffice_finance.periods import PeriodError

D = dt.date(2025, 6, 15)


@pytest.fixture
def books(make_app):
    """An app with finance alone (billing off), connected."""
    app = make_app(plugins=["finance"])
    with connected(app):
        yield app


def _raw_entry(day=D, *amounts):
    """A draft entry written directly (as a script or a bug would), with lines (account 1000/6300) of ``amounts``."""
    entry = JournalEntry.create(entry_date=day, memo="raw")
    for n, cents in enumerate(amounts):
        JournalLine.create(entry=entry, account=account("1000" if n % 2 else "6300"),
                           debit_cents=max(cents, 0), credit_cents=max(-cents, 0))
    return entry


def test_a_balanced_entry_posts_and_is_audited(books):
    entry = post_entry(D, "June rent", lines(("6300", 480000), ("1000", -480000)))
    assert entry.status == "posted" and JournalEntry.get_by_id(entry.id).posted_at is not None
    rows = {b.number: b.balance_cents for b in account_balances()}
    assert rows == {"6300": 480000, "1000": -480000}
    assert AuditEvent.select().where((AuditEvent.action == "finance.entry.post")
                                     & (AuditEvent.object_id == str(entry.id))).count() == 1


def test_an_unbalanced_entry_is_refused_by_the_code_and_nothing_is_written(books):
    with pytest.raises(JournalError, match="does not balance"):
        post_entry(D, "bad", lines(("6300", 1000), ("1000", -999)))
    inactive = account("1050")
    Account.update(active=False).where(Account.id == inactive).execute()
    with pytest.raises(JournalError, match="Line 2: account 1050 Petty cash is inactive"):
        post_entry(D, "bad", lines(("6300", 1000), ("1050", -1000)))
    assert JournalEntry.select().count() == 0 and JournalLine.select().count() == 0


def test_the_database_refuses_to_post_an_unbalanced_entry(books):
    entry = _raw_entry(D, 1000, -999)
    with pytest.raises(pw.IntegrityError, match="does not balance"):
        with JournalEntry._meta.database.atomic():
            JournalEntry.update(status="posted").where(JournalEntry.id == entry.id).execute()
    single = _raw_entry(D, 1000)
    with pytest.raises(pw.IntegrityError, match="does not balance"):
        with JournalEntry._meta.database.atomic():
            JournalEntry.update(status="posted").where(JournalEntry.id == single.id).execute()
    with pytest.raises(pw.IntegrityError, match="written as a draft"):
        with JournalEntry._meta.database.atomic():
            JournalEntry.create(entry_date=D, memo="straight in", status="posted")
    with pytest.raises(pw.IntegrityError):  # a line that is both, or neither
        with JournalEntry._meta.database.atomic():
            JournalLine.create(entry=entry, account=account("1000"), debit_cents=5, credit_cents=5)
    assert JournalEntry.select().where(JournalEntry.status == "posted").count() == 0


def test_posted_entries_and_their_lines_cannot_change_even_in_the_database(books):
    entry = post_entry(D, "rent", lines(("6300", 1000), ("1000", -1000)))
    line = JournalLine.select().where(JournalLine.entry == entry.id).first()
    attempts = [
        lambda: JournalEntry.update(memo="edited").where(JournalEntry.id == entry.id).execute(),
        lambda: JournalEntry.update(status="draft").where(JournalEntry.id == entry.id).execute(),
        lambda: JournalLine.update(debit_cents=2000).where(JournalLine.id == line.id).execute(),
        lambda: JournalLine.delete().where(JournalLine.id == line.id).execute(),
        lambda: JournalLine.create(entry=entry.id, account=account("6300"), debit_cents=1),
        lambda: JournalEntry.delete().where(JournalEntry.id == entry.id).execute(),
    ]
    for attempt in attempts:
        with pytest.raises(pw.IntegrityError, match="posted entry cannot be changed"):
            with JournalEntry._meta.database.atomic():
                attempt()
    assert [(x.debit_cents, x.credit_cents) for x in JournalLine.select().order_by(JournalLine.id)] == [(1000, 0),
                                                                                                         (0, 1000)]


def test_a_reversing_entry_undoes_the_original_links_it_and_happens_once(books):
    entry = post_entry(D, "supplies", lines(("6400", 2500), ("1000", -2500)))
    with pytest.raises(JournalError, match="why"):
        reverse_entry(entry, D, "  ")
    reversal = reverse_entry(entry, dt.date(2025, 7, 1), "posted to the wrong account")
    assert reversal.reverses_id == entry.id and reversal.kind == "reversal"
    assert "wrong account" in reversal.memo
    assert all(b.balance_cents == 0 for b in account_balances())
    with pytest.raises(JournalError, match="already been reversed"):
        reverse_entry(entry, D, "again")


def test_many_entries_post_together_in_order_or_none_of_them_does(books):
    first, second = post_entries([EntryInput(D, "rent", lines(("6300", 1000), ("1000", -1000))),
                                  EntryInput(D + dt.timedelta(days=1), "phones", lines(("6610", 250), ("1000", -250)),
                                             audit_detail={"event": 7})])
    assert (first.memo, second.memo) == ("rent", "phones") and second.id > first.id
    assert {e.id: e.status for e in JournalEntry.select()} == {first.id: "posted", second.id: "posted"}
    assert [(line.entry_id, line.debit_cents) for line in JournalLine.select().order_by(JournalLine.id)] == [
        (first.id, 1000), (first.id, 0), (second.id, 250), (second.id, 0)]
    audited = [(a.object_id, a.detail) for a in AuditEvent.select().where(AuditEvent.action == "finance.entry.post")
               .order_by(AuditEvent.seq)]
    assert [a[0] for a in audited] == [str(first.id), str(second.id)] and json.loads(audited[1][1])["event"] == 7
    periods.close_month(2025, 5)
    with pytest.raises(JournalError, match="May 2025 is closed"):
        post_entries([EntryInput(D, "fine", lines(("6300", 100), ("1000", -100))),
                      EntryInput(dt.date(2025, 5, 31), "late", lines(("6300", 100), ("1000", -100)))])
    with pytest.raises(JournalError, match="Entry .bad.: Line 2: there is no such account"):
        post_entries([EntryInput(D, "fine", lines(("6300", 100), ("1000", -100))),
                      EntryInput(D, "bad", [lines(("6300", 100))[0], LineInput(999_999, credit_cents=100)])])
    assert JournalEntry.select().count() == 2  # neither refused batch left an entry behind
    assert {b.number: b.balance_cents for b in account_balances() if b.balance_cents} == {
        "1000": -1250, "6300": 1000, "6610": 250}


def test_a_closed_month_takes_no_posting_until_reopened_with_a_reason(books):
    periods.close_month(2025, 6)
    with pytest.raises(JournalError, match="June 2025 is closed"):
        post_entry(D, "late bill", lines(("6300", 100), ("1000", -100)))
    entry = _raw_entry(D, 100, -100)  # the database refuses too, whoever writes
    with pytest.raises(pw.IntegrityError, match="period of this date is closed"):
        with JournalEntry._meta.database.atomic():
            JournalEntry.update(status="posted").where(JournalEntry.id == entry.id).execute()
    with pytest.raises(PeriodError, match="already closed"):
        periods.close_month(2025, 6)
    with pytest.raises(PeriodError, match="reason"):
        periods.reopen_month(2025, 6, " ")
    periods.reopen_month(2025, 6, "the phone bill came late")
    post_entry(D, "late bill", lines(("6610", 100), ("1000", -100)))
    history = [(e.action, e.reason) for e in PeriodEvent.select().order_by(PeriodEvent.id)]
    assert history == [("close", ""), ("reopen", "the phone bill came late")]
    audited = [e.action for e in AuditEvent.select().where(AuditEvent.action.startswith("finance.period"))]
    assert audited == ["finance.period.close", "finance.period.reopen"]


def test_year_end_moves_the_result_to_retained_earnings_and_closes_the_months(books):
    post_entry(dt.date(2024, 12, 1), "opening", lines(("1000", 100000), ("3900", -100000)), kind="opening")
    with pytest.raises(PeriodError, match="Close 2024 first"):
        yearend.close_year(2025)
    yearend.close_year(2024)
    post_entry(dt.date(2025, 3, 1), "fees", lines(("1000", 90000), ("4030", -90000)))
    post_entry(dt.date(2025, 4, 1), "rent", lines(("6300", 30000), ("1000", -30000)))
    closed = yearend.close_year(2025)
    balances = {b.number: b.balance_cents for b in account_balances()}
    assert balances["3800"] == 60000 and balances["4030"] == 0 and balances["6300"] == 0
    assert Period.select().where((Period.year == 2025) & (Period.status == "closed")).count() == 12
    assert JournalEntry.get_by_id(closed.entry_id).kind == "closing"
    with pytest.raises(PeriodError, match="reopen the year first"):
        periods.reopen_month(2025, 5, "a correction")
    with pytest.raises(PeriodError, match="later years first"):
        yearend.reopen_year(2024, "oops")
    yearend.reopen_year(2025, "the accountant's adjustments")
    balances = {b.number: b.balance_cents for b in account_balances()}
    assert balances["3800"] == 0 and balances["4030"] == 90000
    assert not YearClose.select().where(YearClose.year == 2025).exists()
    assert Period.get((Period.year == 2025) & (Period.month == 12)).status == "open"


def test_a_closing_entry_is_undone_by_reopening_the_year_not_from_the_journal(books):
    post_entry(dt.date(2025, 3, 1), "fees", lines(("1000", 90000), ("4030", -90000)))
    closed = yearend.close_year(2025)
    with pytest.raises(JournalError, match="reopen the year"):
        reverse_entry(JournalEntry.get_by_id(closed.entry_id), dt.date(2025, 12, 31), "undo")

"""The small demo with billing and finance: two years of books, every billing payment booked through its
events, the journal balanced and equal to billing's figures (what ``medoffice doctor`` then says)."""
from __future__ import annotations

from medoffice.demo import load_demo
from medoffice.doctor import run_checks
from medoffice.events.models import EventRecord
from medoffice.testing import connected
from peewee import fn

from medoffice_finance.invariants import run_all
from medoffice_finance.models import Bill, BillPayment, BookedEvent, Budget, BudgetAmount, JournalEntry, LogTally


def test_the_small_demo_books_balance_and_equal_billings(make_app):
    app = make_app(plugins=["billing", "finance"])
    assert load_demo(app, "small") == ["core", "billing", "finance"]
    with connected(app):
        months = JournalEntry.select().where(JournalEntry.memo == "Monthly bills and payroll").count()
        assert months == 24 and BookedEvent.select().count() > 0
        assert {b.status for b in Bill.select()} == {"approved", "awaiting"} and Budget.select().count() == 1
        assert BudgetAmount.select().count() > 12 and BillPayment.select().count() == 1
        doctor = {r.name: (r.status, r.message) for r in run_checks(app) if r.name.startswith("finance.")}
        # the demo keeps the log's tally as the morning job would: the overview reads no event of the demo again
        kept = {row.through_position for row in LogTally.select()}
        assert kept == {EventRecord.select(fn.MAX(EventRecord.position)).scalar()}
        assert run_all(kept=True) == run_all()  # the overview's quick read of the balance says the same
    assert {name: status for name, (status, _m) in doctor.items()} == {
        "finance.balanced": "ok", "finance.unbooked": "ok", "finance.money": "ok", "finance.receivables": "ok"}, doctor

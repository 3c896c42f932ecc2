"""Billing's events booked through the durable event log: the seeded rules on both bases, once per event
however often it is delivered, closed months, a missing rule, and the invariants that keep the books
equal to billing's figures (doctor and dashboard). Billing is installed; finance never imports it."""
from __future__ import annotations

import datetime as dt

import pytest
from finance_setup import DAY, account, adjustment, charge, lines, payment, plb, publish_events, refund
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from medoffice.db import transaction
from medoffice.doctor import run_checks
from medoffice.events import deliver_all, retry
from medoffice.events.models import EventRecord, EventSubscriber
from medoffice.events.schema import Event
from medoffice.tasks import Failed
from medoffice.testing import connected, set_plugin_enabled

from medoffice_finance import periods
from medoffice_finance.balances import account_balances, journal_totals
from medoffice_finance.booking import SUBSCRIPTION_NAME, book_event
from medoffice_finance.books import anything_posted, set_up
from medoffice_finance.invariants import keep_tally, log_totals, run_all
from medoffice_finance.jobs import check_invariants
from medoffice_finance.journal import JournalError, post_entry, reverse_entry
from medoffice_finance.models import BookedEvent, JournalEntry, LogTally, PostingRule


@pytest.fixture
def both(make_app):
    """Billing and finance on, connected."""
    app = make_app(plugins=["billing", "finance"])
    with connected(app):
        yield app


def _balances() -> dict[str, int]:
    return {b.number: b.balance_cents for b in account_balances()}


def _statuses() -> dict[str, str]:
    checks = run_all()
    assert run_all(kept=True) == checks  # the overview's read (kept totals, one statement) says the same
    return {check.name: check.status for check in checks}


def test_accrual_books_charges_payments_adjustments_transfers_refunds_and_plb(both):
    publish_events(charge(20000), charge(3000, party="patient"), payment(12000, "insurance", "eft"),
                   adjustment(-5000), adjustment(-3000, kind="transfer"), adjustment(3000, kind="transfer",
                                                                                     party="patient", group="PR"),
                   payment(4000, "patient", "card"), payment(1000, "patient", "cash"), refund(500),
                   plb(700), charge(-3000, party="patient", voided=True))
    assert _balances() == {
        "1000": -500,  # the refund check
        "1100": 1000, "1110": 12000 - 700, "1120": 4000,
        "1200": 3000 + 3000 - 4000 - 1000 + 500 - 3000,  # -1500: the patient's credit
        "1210": 20000 - 12000 - 5000 - 3000, "1290": 0,
        "4000": 20000, "4030": 0, "4100": -5000, "4120": -700,
    }
    assert journal_totals()[0] == journal_totals()[1]
    assert set(_statuses().values()) == {"ok"}
    assert BookedEvent.select().count() == 11


def test_cash_basis_books_money_only(both):
    set_up("cash", None)
    publish_events(charge(20000), adjustment(-5000), payment(12000, "insurance", "check"),
                   payment(3000, "patient", "card"), refund(1000))
    assert _balances() == {"1100": 12000, "1120": 3000, "4000": 12000, "4030": 3000 - 1000, "1000": -1000}
    assert BookedEvent.select().count() == 5 and BookedEvent.select().where(BookedEvent.entry.is_null()).count() == 2
    assert _statuses() == {"finance.balanced": "ok", "finance.unbooked": "ok", "finance.money": "ok",
                           "finance.receivables": "ok"}
    with pytest.raises(Exception, match="fixed once entries are posted"):
        set_up("accrual", None)


def test_an_event_is_booked_once_however_often_it_is_delivered(both):
    publish_events(payment(2500))
    event_record = EventRecord.get(EventRecord.name == "billing.payment_posted")
    event = Event(event_record.position, event_record.name, 1,
                  {**payment(2500)[1], "effective_date": DAY}, event_record.published_at)
    assert book_event(event) is None  # the same position again: nothing more
    with transaction():  # the cursor rewound as after a crash before its commit: delivered again
        EventSubscriber.update(delivered_position=0).where(EventSubscriber.name == SUBSCRIPTION_NAME).execute()
    deliver_all("finance")
    assert JournalEntry.select().where(JournalEntry.kind == "billing").count() == 1
    assert _balances()["1100"] == 2500


def test_an_event_dated_in_a_closed_month_is_booked_on_the_next_open_day(both):
    periods.close_month(2026, 3)
    publish_events(payment(900, day=dt.date(2026, 3, 30)))
    entry = JournalEntry.get(JournalEntry.kind == "billing")
    assert entry.entry_date == dt.date(2026, 4, 1) and "dated 2026-03-30, in a closed month" in entry.memo


def test_a_batch_with_an_event_no_rule_books_books_those_before_it_and_stops_there(both):
    PostingRule.delete().where(PostingRule.event_name == "billing.refund_posted").execute()
    publish_events(payment(1500, "patient", "cash"), charge(8000), refund(400), payment(700, "patient", "card"))
    refund_position = EventRecord.get(EventRecord.name == "billing.refund_posted").position
    assert [b.event_name for b in BookedEvent.select().order_by(BookedEvent.event_position)] == [
        "billing.payment_posted", "billing.charge_posted"]
    assert JournalEntry.select().where(JournalEntry.kind == "billing").count() == 2  # the failed batch left nothing
    subscriber = EventSubscriber.get(EventSubscriber.name == SUBSCRIPTION_NAME)
    assert subscriber.failing_position == refund_position and "No posting rule books billing.refund_posted" in (
        subscriber.error)
    PostingRule.create(event_name="billing.refund_posted", basis="any", debit_account=account("1200"),
                       credit_account=account("1000"))
    assert retry(SUBSCRIPTION_NAME).state == "caught_up"
    assert BookedEvent.select().count() == 4 and _balances()["1120"] == 700 and set(_statuses().values()) == {"ok"}


def test_an_event_no_rule_books_stops_the_subscriber_and_the_checks_say_so(both):
    PostingRule.delete().where(PostingRule.event_name == "billing.refund_posted").execute()
    publish_events(refund(400))
    subscriber = EventSubscriber.get(EventSubscriber.name == SUBSCRIPTION_NAME)
    assert subscriber.failing_position is not None and "No posting rule books billing.refund_posted" in subscriber.error
    assert _statuses()["finance.unbooked"] == "fail"
    doctor = {r.name: r.status for r in run_checks(both)}
    assert doctor["finance.unbooked"] == "fail"
    PostingRule.create(event_name="billing.refund_posted", basis="any", debit_account=account("1200"),
                       credit_account=account("1000"))
    assert retry(SUBSCRIPTION_NAME).state == "caught_up"
    assert set(_statuses().values()) == {"ok"}


def test_a_manual_entry_on_undeposited_funds_shows_as_drift_and_fails_the_daily_job(both):
    publish_events(payment(6000, "patient", "cash"))
    assert check_invariants() == "All 4 finance checks pass."
    post_entry(DAY, "cash taken for petty cash", lines(("1050", 1000), ("1100", -1000)))
    checks = {c.name: c for c in run_all()}
    assert checks["finance.money"].status == "fail" and "$10.00" in checks["finance.money"].message
    assert run_all(kept=True) == run_all()  # the overview's one-statement read finds the same drift
    with pytest.raises(Failed, match="Money billing received is in the books"):
        check_invariants()


def test_events_published_while_finance_is_off_are_booked_when_it_is_turned_on(make_app):
    app = make_app(plugins=["billing", "finance"])
    set_plugin_enabled(app, "finance", False)
    with connected(app):
        publish_events(payment(1500), charge(8000))
        assert BookedEvent.select().count() == 0
    set_plugin_enabled(app, "finance", True)
    with connected(app):
        deliver_all("finance")
        assert BookedEvent.select().count() == 2 and set(_statuses().values()) == {"ok"}


EVENTS = st.one_of(
    st.builds(lambda a, p, m: payment(a, p, m), st.integers(-50000, 50000),
              st.sampled_from(["patient", "insurance"]), st.sampled_from(["cash", "check", "card", "eft", ""])),
    st.builds(lambda a, k, p: adjustment(a, k, p), st.integers(-50000, 50000),
              st.sampled_from(["adjustment", "writeoff", "transfer"]), st.sampled_from(["patient", "insurance"])),
    st.builds(lambda a, p, v: charge(a, p, voided=v), st.integers(-50000, 50000),
              st.sampled_from(["patient", "insurance"]), st.booleans()),
    st.builds(lambda a, p: refund(a, p), st.integers(1, 50000), st.sampled_from(["patient", "insurance"])),
    st.builds(plb, st.integers(-5000, 5000)),
)


@pytest.mark.parametrize("basis", ["accrual", "cash"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENTS, min_size=1, max_size=8))
def test_any_sequence_of_billing_events_leaves_the_books_balanced_and_equal_to_billing(both, basis, events):
    if not anything_posted():  # the examples share the books: each adds its events to what is there
        set_up(basis, None)
    publish_events(*events)
    debits, credits = journal_totals()
    assert debits == credits
    assert set(_statuses().values()) == {"ok"}, run_all()


def test_an_entry_booked_from_billing_is_corrected_in_billing_not_reversed_in_the_journal(both):
    publish_events(payment(2500))
    entry = JournalEntry.get(JournalEntry.kind == "billing")
    with pytest.raises(JournalError, match="correct it in billing"):
        reverse_entry(entry, DAY, "wrong")
    publish_events(payment(-2500))  # billing's void books the reversal
    assert _balances()["1100"] == 0 and set(_statuses().values()) == {"ok"}


def test_the_checks_read_the_kept_tally_and_only_what_the_log_holds_after_it(both):
    publish_events(charge(20000), payment(12000, "insurance", "eft"), adjustment(-5000))
    kept = keep_tally()
    assert kept.events["billing.charge_posted"] == 1 and kept.sums["billing.payment_posted"] == 12000
    publish_events(charge(3000, party="patient"), payment(1000, "patient", "cash"))
    totals = log_totals()
    assert totals.through_position > kept.through_position
    assert (totals.events["billing.charge_posted"], totals.sums["billing.charge_posted"]) == (2, 23000)
    assert totals.sums["billing.payment_posted"] == 13000
    assert set(_statuses().values()) == {"ok"}
    LogTally.update(amount_cents=LogTally.amount_cents + 1).where(
        LogTally.name == "billing.payment_posted").execute()  # the tally is what the checks trust
    assert _statuses()["finance.money"] == "fail"
    keep_tally()  # each morning counts the whole log afresh
    assert set(_statuses().values()) == {"ok"}
    LogTally.delete().where(LogTally.name == "billing.refund_posted").execute()
    assert log_totals().sums["billing.payment_posted"] == 13000  # a tally short of a name is not trusted


def test_the_tally_migration_fills_the_tally_from_the_log_as_the_morning_job_would(both):
    import importlib

    from medoffice.db import db

    publish_events(charge(20000), payment(12000, "insurance", "eft"), adjustment(-5000))
    def counted(totals):  # the tally keeps a row, maybe of zero, for every event handled
        return ({k: v for k, v in totals.events.items() if v}, {k: v for k, v in totals.sums.items() if v},
                totals.through_position)

    migration = importlib.import_module("medoffice_finance.migrations.0013_log_tally_filled")
    migration.up(None, db.obj)
    filled = log_totals()
    assert counted(filled) == counted(log_totals(whole_log=True)) and filled.sums["billing.payment_posted"] == 12000
    assert LogTally.select().count() == len(migration.HANDLED)
    publish_events(payment(1000, "patient", "cash"))
    migration.up(None, db.obj)  # a tally kept already is left alone
    assert counted(log_totals()) == counted(log_totals(whole_log=True))

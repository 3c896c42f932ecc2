"""Deposit slips: the desk's cash and checks waiting in undeposited funds, chosen onto a slip, posted to
the bank once, printed as a PDF; the books still equal what billing received."""
from __future__ import annotations

import datetime as dt

import pytest
from finance_setup import account, payment, publish_events
from medoffice.testing import connected, login

from medoffice_finance import plugin as finance_plugin
from medoffice_finance.balances import account_balances
from medoffice_finance.deposits import DepositError, make_deposit, undeposited, void_deposit
from medoffice_finance.invariants import run_all
from medoffice_finance.journal import JournalError, reverse_entry
from medoffice_finance.models import Deposit, JournalEntry


@pytest.fixture
def desk(make_app):
    """Billing and finance on, CSRF on, with a day's desk payments: two checks, cash, a card (not for the
    bank slip) and an insurance EFT (not either)."""
    app = make_app(plugins=["billing", "finance"], csrf=True)
    with connected(app):
        publish_events(payment(12000, "patient", "check"), payment(4550, "patient", "check"),
                       payment(2000, "patient", "cash"), payment(3000, "patient", "card"),
                       payment(90000, "insurance", "eft"))
    return app


def test_the_slip_takes_chosen_desk_payments_to_the_bank_once(desk):
    with connected(desk):
        waiting = undeposited()
        assert sorted((w.method, w.amount_cents) for w in waiting) == [("cash", 2000), ("check", 4550),
                                                                       ("check", 12000)]
        chosen = [w.booked_event_id for w in waiting if w.amount_cents != 4550]
        deposit = make_deposit(chosen, dt.date(2026, 3, 11), account("1000"))
        assert deposit.total_cents == 14000
        balances = {b.number: b.balance_cents for b in account_balances()}
        assert balances["1000"] == 14000 and balances["1100"] == 4550
        assert [w.amount_cents for w in undeposited()] == [4550]
        with pytest.raises(DepositError, match="deposited already"):
            make_deposit(chosen, dt.date(2026, 3, 11), account("1000"))
        with pytest.raises(DepositError, match="Choose the payments"):
            make_deposit([], dt.date(2026, 3, 11), account("1000"))
        with pytest.raises(DepositError, match="bank account"):
            make_deposit([undeposited()[0].booked_event_id], dt.date(2026, 3, 11), account("6300"))
        assert JournalEntry.get_by_id(deposit.entry_id).kind == "deposit"
        assert set(c.status for c in run_all()) == {"ok"}  # deposited money still counts as received


def test_a_voided_receipt_waits_as_a_negative_line_and_nets_on_the_slip(desk):
    with connected(desk):
        publish_events(payment(-2000, "patient", "cash"))
        waiting = undeposited()
        assert sorted(w.amount_cents for w in waiting if w.method == "cash") == [-2000, 2000]
        with pytest.raises(DepositError, match="nothing to deposit"):
            make_deposit([w.booked_event_id for w in waiting if w.method == "cash"], dt.date(2026, 3, 11),
                         account("1000"))
        make_deposit([w.booked_event_id for w in waiting], dt.date(2026, 3, 11), account("1000"))
        assert undeposited() == [] and set(c.status for c in run_all()) == {"ok"}


def test_a_deposit_is_made_and_printed_from_the_pages(desk):
    manager = login(desk.test_client(), "office_manager")
    form = manager.get("/finance/deposits/new")
    assert form.status_code == 200 and "$120.00" in form.get_data(as_text=True)
    with connected(desk):
        checks = [w.booked_event_id for w in undeposited() if w.method == "check"]
        bank = account("1000")
    nothing = manager.post("/finance/deposits/new", data={"deposit_date": "2026-03-11", "bank_account": str(bank)})
    assert nothing.status_code == 422 and "Choose the payments" in nothing.get_data(as_text=True)
    made = manager.post("/finance/deposits/new", data={"payments": [str(i) for i in checks],
                                                       "deposit_date": "2026-03-11", "bank_account": str(bank)})
    assert made.status_code == 302
    page = manager.get(made.headers["Location"]).get_data(as_text=True)
    assert "$165.50" in page and "Checks (2)" in page
    with connected(desk):
        deposit = Deposit.get()
    pdf = manager.get(f"/finance/deposits/{deposit.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "$165.50" in manager.get("/finance/deposits?sort=date&desc=1").get_data(as_text=True)
    assert login(desk.test_client(), "front_desk").get("/finance/deposits/new").status_code == 403


def test_the_today_queue_asks_for_a_deposit_of_earlier_days_money(desk):
    class Manager:
        def has_permission(self, name):
            return name == "finance.deposits.make"

    class Desk:
        def has_permission(self, name):
            return False

    with desk.test_request_context(), connected(desk):
        assert finance_plugin.medoffice_work_items(Manager(), dt.date(2026, 3, 10)) == []  # today's money may wait
        items = finance_plugin.medoffice_work_items(Manager(), dt.date(2026, 3, 11))
        assert [(i.count, i.url) for i in items] == [(3, "/finance/deposits/new")]
        assert finance_plugin.medoffice_work_items(Desk(), dt.date(2026, 3, 11)) == []
        make_deposit([w.booked_event_id for w in undeposited()], dt.date(2026, 3, 11), account("1000"))
        assert finance_plugin.medoffice_work_items(Manager(), dt.date(2026, 3, 12)) == []


def test_a_voided_deposit_reverses_its_entry_and_its_payments_wait_again(desk):
    with connected(desk):
        chosen = [w.booked_event_id for w in undeposited()]
        deposit = make_deposit(chosen, dt.date(2026, 3, 11), account("1000"))
        with pytest.raises(JournalError, match="void the slip"):
            reverse_entry(JournalEntry.get_by_id(deposit.entry_id), dt.date(2026, 3, 12), "bank refused it")
        with pytest.raises(DepositError, match="why"):
            void_deposit(deposit, dt.date(2026, 3, 12), "")
    manager = login(desk.test_client(), "office_manager")
    voided = manager.post(f"/finance/deposits/{deposit.id}/void",
                          data={"void_date": "2026-03-12", "reason": "made twice"})
    assert voided.status_code == 302
    assert "Voided on" in manager.get(voided.headers["Location"]).get_data(as_text=True)
    with connected(desk):
        assert sorted(w.booked_event_id for w in undeposited()) == sorted(chosen)
        balances = {b.number: b.balance_cents for b in account_balances()}
        assert balances["1000"] == 0 and balances["1100"] == 18550
        assert set(c.status for c in run_all()) == {"ok"}
        with pytest.raises(DepositError, match="already voided"):
            void_deposit(Deposit.get_by_id(deposit.id), dt.date(2026, 3, 12), "again")
        again = make_deposit(chosen, dt.date(2026, 3, 13), account("1000"))  # the payments go on a new slip
        assert again.total_cents == 18550

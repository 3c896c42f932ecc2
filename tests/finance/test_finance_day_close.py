"""The daily close: billing's payments of a day, their deposits (slips, EFTs by trace number) and the bank lines
side by side, each difference named; closing records who and locks the day's deposits; reopening needs a
reason."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from finance_setup import DAY, account, payment, publish_events
from medoffice.events.models import EventRecord
from medoffice.models import Location
from medoffice.testing import connected, login, practice_today

from medoffice_finance.bank import import_statement
from medoffice_finance.dayclose import DayCloseError, close_day, day_view, reopen_day
from medoffice_finance.deposits import DepositError, make_deposit, undeposited, void_deposit
from medoffice_finance.models import DayClose, Deposit
from test_finance_bank import ofx


@pytest.fixture
def day_app(make_app):
    """A day at the desk (two checks, cash, a card) and a payer's EFT under trace 5550001."""
    app = make_app(plugins=["billing", "finance"], csrf=True)
    with connected(app):
        eft = payment(70000, "insurance", "eft")
        eft[1]["reference"] = "5550001"
        publish_events(payment(12000, "patient", "check"), payment(4550, "patient", "check"),
                       payment(2000, "patient", "cash"), payment(3000, "patient", "card"), eft)
    return app


def _whats(view) -> list[str]:
    return [d.what for d in view["differences"]]


def test_the_day_shows_each_gap_until_the_money_is_deposited_and_banked(day_app):
    with connected(day_app), day_app.test_request_context():
        view = day_view(DAY)
        assert view["taken_cents"] == 91550 and view["desk_cents"] == 18550
        assert {(p["method"], p["cents"]) for p in view["payments"]} == {
            ("cash", 2000), ("check", 16550), ("card", 3000), ("eft", 70000)}
        whats = _whats(view)
        assert any("desk cash and check" in w for w in whats)
        assert any("5550001" in w for w in whats) and any("Card payments" in w for w in whats)
        make_deposit([w.booked_event_id for w in undeposited()], DAY, account("1000"))
        whats = _whats(day_view(DAY))
        assert not any("desk cash and check" in w for w in whats)
        assert any("not on a bank statement" in w for w in whats)
        import_statement(account("1000"), ofx([("E1", "20260311", "185.50", "DEPOSIT"),
                                                ("E2", "20260311", "700.00", "ACH TRN*1*5550001"),
                                                ("E3", "20260310", "-4.00", "ATM FEE")], "881.50"), "day.ofx")
        view = day_view(DAY)
        assert [d["source"] for d in view["deposits"]] == ["Desk slip", "Insurance EFT"]
        assert all(d["lines"] for d in view["deposits"])
        assert sorted(_whats(view)) == ["Bank line \u201cATM FEE\u201d not matched", "Card payments not settled to the bank yet"]


def test_closing_the_day_records_who_and_locks_its_deposits(day_app):
    with connected(day_app), day_app.test_request_context():
        deposit = make_deposit([w.booked_event_id for w in undeposited()], DAY, account("1000"))
        with pytest.raises(DayCloseError, match="difference"):
            close_day(DAY)
        closed = close_day(DAY, "EFT and card arrive tomorrow")
        assert (closed.desk_cents, closed.deposited_cents, closed.differences) == (18550, 18550, 3)
        assert EventRecord.select().where(EventRecord.name == "finance.day_closed").count() == 1
        with pytest.raises(DayCloseError, match="closed already"):
            close_day(DAY, "again")
        with pytest.raises(DepositError, match="closed day"):
            void_deposit(Deposit.get_by_id(deposit.id), DAY, "bank refused")
        publish_events(payment(500, "patient", "cash"))  # billing posts for the closed day after all
        assert any("changed after it was closed" in w for w in _whats(day_view(DAY)))
        with pytest.raises(DayCloseError, match="reason"):
            reopen_day(DAY, " ")
        reopen_day(DAY, "late receipt")
        assert DayClose.select().count() == 0
        void_deposit(Deposit.get_by_id(deposit.id), DAY, "bank refused")
        with pytest.raises(DayCloseError, match="happened"):
            close_day(practice_today() + dt.timedelta(days=400), "future")


def test_the_daily_close_page(day_app):
    manager = login(day_app.test_client(), "office_manager")
    page = manager.get(f"/finance/day?day={DAY.isoformat()}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "$915.50" in text and "5550001" in text and "Put them on a deposit slip" in text
    assert manager.get("/finance/day?day=2026-02-30").status_code == 400
    refused = manager.post("/finance/day/close", data={"day": DAY.isoformat()})
    assert refused.status_code == 422 and "difference" in refused.get_data(as_text=True)
    done = manager.post("/finance/day/close", data={"day": DAY.isoformat(), "note": "EFT tomorrow"})
    assert done.status_code == 303
    assert "Closed" in manager.get(done.headers["Location"]).get_data(as_text=True)
    assert manager.post("/finance/day/reopen", data={"day": DAY.isoformat(), "reason": "x"}).status_code == 403
    admin = login(day_app.test_client(), "admin")
    assert admin.post("/finance/day/reopen", data={"day": DAY.isoformat(), "reason": "late receipt"}).status_code == 303


def test_each_office_closes_its_own_desk_and_the_whole_practice_closes_the_rest(make_app):
    app = make_app(plugins=["billing", "finance"], csrf=True)
    with connected(app):
        north, south = Location.create(name="North Clinic"), Location.create(name="South Clinic")
        eft = payment(70000, "insurance", "eft")
        eft[1]["reference"] = "5550001"
        publish_events(payment(12000, "patient", "check", location_id=north.id),
                       payment(2000, "patient", "cash", location_id=north.id),
                       payment(4550, "patient", "check", location_id=south.id), eft)
    with connected(app), app.test_request_context():
        at_north = day_view(DAY, north.id)
        assert (at_north["taken_cents"], at_north["desk_cents"]) == (14000, 14000)
        assert [w["cents"] for w in at_north["waiting"]] == [14000]  # the EFT is the whole practice's
        assert day_view(DAY)["taken_cents"] == 88550
        slip = make_deposit([w.booked_event_id for w in undeposited() if w.amount_cents in (12000, 2000)], DAY,
                            account("1000"))
        closed = close_day(DAY, "The slip goes to the bank tomorrow", north.id)
        assert (closed.location_id, closed.desk_cents, closed.deposited_cents) == (north.id, 14000, 14000)
        announced = EventRecord.select().where(EventRecord.name == "finance.day_closed").get()
        assert announced.version == 2 and json.loads(announced.payload)["location_id"] == north.id
        with pytest.raises(DepositError, match="closed day"):
            void_deposit(Deposit.get_by_id(slip.id), DAY, "bank refused")
        assert day_view(DAY, south.id)["closed"] is None
        assert day_view(DAY)["offices_closed"] == [north.id]
        close_day(DAY, "South's check and the EFT come tomorrow")
        with pytest.raises(DayCloseError, match="whole practice"):
            close_day(DAY, "too late", south.id)
        assert day_view(DAY, south.id)["practice_closed"] is not None
        reopen_day(DAY, "the North slip was short", north.id)
        assert [c.location_id for c in DayClose.select()] == [0]
    manager = login(app.test_client(), "office_manager")
    page = manager.get(f"/finance/day?day={DAY.isoformat()}&location={south.id}").get_data(as_text=True)
    assert "South Clinic" in page and "$45.50" in page and "$700.00" not in page
    assert "Closed</span> with the whole practice" in page
    assert manager.get(f"/finance/day?day={DAY.isoformat()}&location=999").status_code == 400

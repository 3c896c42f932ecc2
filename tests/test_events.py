"""Durable events (medoffice.events): published inside the publisher's transaction, delivered in commit
order, at least once, with a cursor per subscriber; a failing subscriber stops alone and is retried; a
disabled one catches up; a process killed between publish and delivery (or inside a handler) loses and
doubles nothing; two concurrent publishers on PostgreSQL skip nothing."""
from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixtures_plugins import bookkeeper, shop, write_instance_config
from medoffice import PluginInfo, hookimpl
from medoffice.cli import main as cli
from medoffice.db import db, is_sqlite, transaction, utcnow
from medoffice.doctor import run_checks
from medoffice.events import (EventSchemaError, EventType, Subscription, deliver_all, publish, publish_all, retry,
                              wait_for_background_delivery)
from medoffice.events.models import EventRecord, EventSubscriber
from medoffice.events.monitor import status
from medoffice.events.schema import decode, encode
from medoffice.plugins import PluginError
from medoffice.tasks import app_thread_context
from medoffice.testing import login, practice_today

TESTS = Path(__file__).resolve().parent
DAY = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _fresh_fixture_state():
    shop.tally.clear()
    bookkeeper.failures["left"] = 0
    yield
    shop.tally.clear()
    bookkeeper.failures["left"] = 0
    bookkeeper.batches.clear()
    bookkeeper.refused.clear()
    bookkeeper.gate.clear()


@pytest.fixture
def events_app(make_app):
    return make_app(plugins=[], extra=[shop, bookkeeper])


def booked() -> list[tuple[int, int]]:
    """(sale id, event position) of every booked entry, in booking order."""
    return [(e.sale_id, e.event_position) for e in bookkeeper.Entry.select().order_by(bookkeeper.Entry.id)]


def cursor(name: str = "bookkeeper.books") -> EventSubscriber:
    return EventSubscriber.get(EventSubscriber.name == name)


# --- Payloads are plain values checked against the declared type (pure logic) -------------------------

def test_a_payload_must_match_its_declared_type_with_plain_values_only():
    sale = shop.SALE_RECORDED
    good = {"sale_id": 1, "amount_cents": 4500, "sold_on": DAY, "recorded_at": dt.datetime(2026, 3, 2, 15, 30,
            tzinfo=dt.timezone.utc), "note": None, "paid": True}
    stored = encode(sale, good)
    assert stored == {"sale_id": 1, "amount_cents": 4500, "sold_on": "2026-03-02",
                      "recorded_at": "2026-03-02T15:30:00+00:00", "note": None, "paid": True}
    assert decode(sale, json.loads(json.dumps(stored))) == good
    assert encode(sale, {**good, "sold_on": "2026-03-02"})["sold_on"] == "2026-03-02"  # ISO text is a date too
    berlin = dt.datetime(2026, 3, 2, 16, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert encode(sale, {**good, "recorded_at": berlin})["recorded_at"] == "2026-03-02T15:30:00+00:00"  # stored in UTC
    assert encode(sale, {**good, "recorded_at": "2026-03-02T16:30:00+01:00"})["recorded_at"] == stored["recorded_at"]

    class Model:  # what a careless publisher might pass: a model instead of its id
        id = 1

    refused = {
        "amount_cents": 45.0,                    # money is never a float
        "sale_id": Model(),                      # never a model
        "paid": 1,                               # a bool is a bool
        "sold_on": dt.datetime(2026, 3, 2),      # a date is not a timestamp
        "recorded_at": dt.datetime(2026, 3, 2),  # naive
    }
    for key, value in refused.items():
        with pytest.raises(EventSchemaError, match=key):
            encode(sale, {**good, key: value})
    with pytest.raises(EventSchemaError, match="sale_id may not be None"):
        encode(sale, {**good, "sale_id": None})
    with pytest.raises(EventSchemaError, match="missing paid; undeclared patient_name"):
        encode(sale, {**{k: v for k, v in good.items() if k != "paid"}, "patient_name": "Lan"})
    with pytest.raises(EventSchemaError, match="amount_cents must be an integer of cents, not bool"):
        encode(sale, {**good, "amount_cents": True})


def test_publishing_refuses_undeclared_types_bad_payloads_and_no_transaction(events_app):
    with app_thread_context(events_app):
        with pytest.raises(RuntimeError, match="inside `with medoffice.db.transaction"):
            shop.record_sale(1, 100, DAY)
        with db.atomic(), pytest.raises(RuntimeError):  # a bare peewee transaction has no commit hooks
            shop.record_sale(1, 100, DAY)
        with pytest.raises(EventSchemaError, match="no installed module declares the event type shop.refund"):
            with transaction():
                publish("shop.refund", {})
        with pytest.raises(EventSchemaError, match="amount_cents must be an integer"):
            with transaction():
                shop.record_sale(1, 12.5, DAY)
        assert EventRecord.select().count() == 0


# --- Publishing and delivery ------------------------------------------------------------------------------

def test_an_event_exists_only_if_its_transaction_commits_and_is_delivered_once_after(events_app):
    with app_thread_context(events_app):
        with pytest.raises(ZeroDivisionError), transaction():
            shop.record_sale(1, 100, DAY)
            1 / 0
        with transaction():
            shop.record_sale(2, 200, DAY)
            with pytest.raises(ZeroDivisionError), transaction():  # a savepoint rolled back takes its event along
                shop.record_sale(3, 300, DAY)
                1 / 0
            shop.record_sale(4, 400, DAY)
            assert booked() == []  # nothing is delivered before the commit
        records = list(EventRecord.select().order_by(EventRecord.position))
        assert [json.loads(r.payload)["sale_id"] for r in records] == [2, 4]
        assert all(r.position is not None and r.published_at.tzinfo for r in records)
        # Delivered right after the commit, in order, to both subscribers.
        assert booked() == [(2, records[0].position), (4, records[1].position)]
        assert shop.tally == [(records[0].position, 2), (records[1].position, 4)]
        assert cursor().delivered_position == records[1].position and cursor().delivered_count == 2
        assert deliver_all() and booked() == [(2, records[0].position), (4, records[1].position)]  # at least once, not twice


def test_positions_follow_the_commits_and_the_order_published(events_app):
    def sale(sale_id):
        return ("shop.sale_recorded", {"sale_id": sale_id, "amount_cents": 100, "sold_on": DAY,
                                       "recorded_at": utcnow(), "note": None, "paid": True})

    with app_thread_context(events_app):
        with transaction():
            shop.record_sale(1, 100, DAY)
            with pytest.raises(ZeroDivisionError), transaction():  # its event and its position go back together
                publish_all([sale(2), sale(3)])
                1 / 0
            publish_all([sale(4), sale(5)])
        with transaction():
            shop.record_sale(6, 100, DAY)
        with pytest.raises(ZeroDivisionError), transaction():
            shop.record_sale(7, 100, DAY)
            1 / 0
        with transaction():
            publish_all([sale(8), sale(9)])
        rows = [(json.loads(payload)["sale_id"], position) for payload, position in
                EventRecord.select(EventRecord.payload, EventRecord.position).order_by(EventRecord.position).tuples()]
        assert [sale_id for sale_id, _position in rows] == [1, 4, 5, 6, 8, 9]
        assert len({position for _sale, position in rows}) == 6  # unique, and none left unassigned


def test_a_request_committing_many_events_answers_first_and_a_thread_delivers_them(make_app):
    app = make_app(plugins=[], extra=[shop, bookkeeper], EVENTS_INLINE_LIMIT=2)
    with app.test_request_context(), app_thread_context(app):
        with transaction():
            shop.record_sale(1, 100, DAY)
            shop.record_sale(2, 200, DAY)
        assert [sale for sale, _position in booked()] == [1, 2]  # as many as the limit: delivered before it returns
        with transaction():
            for sale in (3, 4, 5):
                shop.record_sale(sale, 100, DAY)
        assert wait_for_background_delivery(timeout=30)
        assert [sale for sale, _position in booked()] == [1, 2, 3, 4, 5]
        assert cursor().delivered_count == 5


def test_a_handler_failing_twice_then_succeeding_books_the_event_once_and_stops_nobody_else(events_app):
    bookkeeper.failures["left"] = 2
    admin = login(events_app.test_client(), "admin")
    manager = login(events_app.test_client(), "office_manager")
    with app_thread_context(events_app):
        with transaction():
            shop.record_sale(1, 100, DAY)
        position = EventRecord.get().position
        row = cursor()
        assert (row.failing_position, row.attempts, row.delivered_position) == (position, 1, 0)
        assert row.error == "It stopped with an unexpected error (RuntimeError)."  # never the exception's text
        assert "RuntimeError" in row.error_detail and row.next_attempt_at > utcnow()
        assert booked() == [] and shop.tally == [(position, 1)]  # the other subscriber went on
        with transaction():
            shop.record_sale(2, 200, DAY)  # the stuck subscriber waits at its event; the other goes on
        assert booked() == [] and [sale for _p, sale in shop.tally] == [1, 2]
        # The job leaves it alone until its next attempt is due (backoff)...
        assert {o.subscriber: o.state for o in deliver_all()}["bookkeeper.books"] == "waiting"
        assert cursor().attempts == 1
        # ...a retry by hand does not wait: it fails a second time, then succeeds.
        assert retry("bookkeeper.books").state == "failing" and cursor().attempts == 2
    today = admin.get("/today").get_data(as_text=True)
    assert "Event subscriber stuck: Books" in today
    assert "Event subscriber stuck" not in manager.get("/today").get_data(as_text=True)  # admins retry, not managers
    page = admin.get("/admin/events").get_data(as_text=True)
    assert 'data-subscriber="bookkeeper.books" data-state="failing"' in page and "2 attempts" in page
    assert manager.get("/admin/events").status_code == 200
    assert manager.post("/admin/events/bookkeeper.books/retry").status_code == 403
    with app_thread_context(events_app):
        checks = {c.name: c for c in run_checks(events_app)}
        assert checks["core.events"].status == "fail" and "bookkeeper.books is stuck" in checks["core.events"].message
    response = admin.post("/admin/events/bookkeeper.books/retry")
    assert response.status_code == 302
    with app_thread_context(events_app):
        first, second = [r.position for r in EventRecord.select().order_by(EventRecord.position)]
        assert booked() == [(1, first), (2, second)]  # once each, in order
        row = cursor()
        assert (row.failing_position, row.error, row.attempts, row.delivered_position) == (None, "", 0, second)
        assert run_checks(events_app) and {c.name: c.status for c in run_checks(events_app)}["core.events"] == "ok"
    assert "Event subscriber stuck" not in admin.get("/today").get_data(as_text=True)
    assert 'data-subscriber="bookkeeper.books" data-state="ok"' in admin.get("/admin/events").get_data(as_text=True)


def test_a_disabled_subscriber_catches_up_from_its_cursor_when_enabled(events_app):
    runtime = events_app.extensions["medoffice"]
    with app_thread_context(events_app):
        with transaction():
            shop.record_sale(1, 100, DAY)
        runtime.disable("bookkeeper", by="test")
        for sale in (2, 3):
            with transaction():
                shop.record_sale(sale, sale * 100, DAY)
        assert [s for s, _p in booked()] == [1]
        assert deliver_all() and [s for s, _p in booked()] == [1]  # the job leaves a disabled subscriber alone
        (row,) = [r for r in status() if r["name"] == "bookkeeper.books"]
        assert (row["state"], row["waiting"]) == ("disabled", 2)
        second_sale = EventRecord.select().where(EventRecord.name == "shop.sale_recorded").order_by(EventRecord.position)[1]
        assert row["oldest_waiting_at"] == second_sale.published_at  # the first it has yet to take
        assert retry("bookkeeper.books").state == "disabled"
        runtime.enable("bookkeeper", by="test")
        assert [s for s, _p in booked()] == [1, 2, 3]
        assert [s for _p, s in shop.tally] == [1, 2, 3]


def test_a_subscriber_turned_on_with_more_waiting_than_a_page_should_wait_for_catches_up_in_the_background(make_app):
    app = make_app(plugins=[], extra=[shop, bookkeeper], EVENTS_INLINE_LIMIT=2)
    runtime = app.extensions["medoffice"]
    with app_thread_context(app):
        runtime.disable("bookkeeper", by="test")
        for sale in (1, 2, 3):
            with transaction():
                shop.record_sale(sale, sale * 100, DAY)
    opened = threading.Event()
    bookkeeper.gate.append(opened)
    admin = login(app.test_client(), "admin")
    response = admin.post("/admin/plugins/bookkeeper/enable")
    assert response.status_code in (200, 302)
    with app_thread_context(app):
        assert booked() == []  # the page answered before booking anything: the batch waits at the gate
        (row,) = [r for r in status() if r["name"] == "bookkeeper.books"]
        assert (row["state"], row["waiting"]) == ("behind", 3)
        opened.set()
        assert wait_for_background_delivery(timeout=30)
        assert [s for s, _p in booked()] == [1, 2, 3] and bookkeeper.batches == [[1, 2, 3]]
        assert [r for r in status() if r["name"] == "bookkeeper.books"][0]["state"] == "ok"


def test_a_batch_handler_takes_a_batch_at_once_and_a_failure_in_it_stops_at_its_own_event(events_app):
    runtime = events_app.extensions["medoffice"]
    with app_thread_context(events_app):
        with transaction():
            for sale in (1, 2, 3):
                shop.record_sale(sale, sale * 100, DAY)
        assert bookkeeper.batches == [[1, 2, 3]] and [s for s, _p in booked()] == [1, 2, 3]
        runtime.disable("bookkeeper", by="test")
        with transaction():
            for sale in (4, 5, 6, 7):
                shop.record_sale(sale, sale * 100, DAY)
        bookkeeper.refused.add(6)
        runtime.enable("bookkeeper", by="test")  # the batch fails: its writes are undone, then one event at a time
        assert bookkeeper.batches[1:] == [[4, 5, 6, 7]]
        assert [s for s, _p in booked()] == [1, 2, 3, 4, 5]  # nothing doubled by the failed batch
        sixth = EventRecord.select().order_by(EventRecord.position)[5].position
        row = cursor()
        assert (row.failing_position, row.error, row.delivered_position) == (sixth, "sale 6 is refused", sixth - 1)
        bookkeeper.refused.clear()
        assert retry("bookkeeper.books").state == "caught_up"
        assert bookkeeper.batches[2:] == [[6, 7]]
        assert [s for s, _p in booked()] == [1, 2, 3, 4, 5, 6, 7]


def test_a_new_subscriber_starts_from_the_beginning_or_from_a_date(events_app, make_app):
    with app_thread_context(events_app):
        for sale in (1, 2, 3):
            with transaction():
                shop.record_sale(sale, 100, DAY)
        # Sale 1 was published long ago (before the second subscriber's opening date).
        first = EventRecord.select().order_by(EventRecord.position).first()
        EventRecord.update(published_at=utcnow() - dt.timedelta(days=40)).where(EventRecord.id == first.id).execute()
    heard: dict[str, list[int]] = {"all": [], "opening": []}

    def late_subscriber() -> types.ModuleType:
        module = types.ModuleType("late")
        module.__file__ = __file__
        module.PLUGIN = PluginInfo("late", "Late subscriber")
        opening = practice_today() - dt.timedelta(days=10)
        module.medoffice_event_subscriptions = hookimpl(lambda: [
            Subscription("late.all", ["shop.sale_recorded"], lambda e: heard["all"].append(e.data["sale_id"])),
            Subscription("late.opening", ["shop.sale_recorded"],
                         lambda e: heard["opening"].append(e.data["sale_id"]), start=opening)])
        return module

    app = make_app(plugins=[], extra=[shop, bookkeeper, late_subscriber()], instance=Path(events_app.instance_path))
    with app_thread_context(app):
        app.extensions["medoffice"].enable("late", by="test")  # first boot of the same database saw no "late"
        assert heard == {"all": [1, 2, 3], "opening": [2, 3]}
        assert cursor("late.opening").delivered_position == cursor("late.all").delivered_position


# --- Crashes: kill -9 between publish and delivery, and inside the handler ----------------------------------

KILLED_WRITER = textwrap.dedent("""
    import datetime as dt, os, signal, sys

    from fixtures_plugins import bookkeeper, shop
    from medoffice.app import create_app
    from medoffice.db import after_commit, db, transaction

    app = create_app(sys.argv[1], PLUGINS=[], EXTRA_PLUGINS=[shop, bookkeeper])
    app.app_context().push()
    db.connect(reuse_if_open=True)
    with transaction():
        if sys.argv[2] == "before-delivery":
            # Registered before publishing, so it runs first after the commit: delivery never starts.
            after_commit(lambda: os.kill(os.getpid(), signal.SIGKILL))
        shop.record_sale(7, 700, dt.date(2026, 3, 2))
    print("survived", flush=True)
""")


@pytest.mark.parametrize("moment", ["before-delivery", "inside-handler"])
def test_a_process_killed_between_publish_and_delivery_loses_and_doubles_nothing(events_app, moment):
    instance = write_instance_config(events_app)
    script = instance / "publisher.py"
    script.write_text(KILLED_WRITER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "BOOKKEEPER_KILL": "1" if moment == "inside-handler" else "0"}
    env.pop("MEDOFFICE_DATABASE_URL", None)
    result = subprocess.run([sys.executable, str(script), str(instance), moment], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == -signal.SIGKILL and "survived" not in result.stdout, result.stderr[-2000:]
    with app_thread_context(events_app):
        (record,) = EventRecord.select()
        assert record.position is not None and json.loads(record.payload)["sale_id"] == 7  # the fact committed
        assert booked() == []  # the killed handler's entry went down with its transaction
        stale = EventSubscriber.get_or_none(EventSubscriber.name == "bookkeeper.books")
        assert stale is None or stale.delivered_position == 0
        deliver_all()  # the next delivery run (the job, or the next commit) books it
        deliver_all()
        assert booked() == [(7, record.position)]


# --- The commit-order trap on PostgreSQL ------------------------------------------------------------------

def test_concurrent_publishers_skip_nothing_when_the_lower_id_commits_last(events_app):
    if is_sqlite():
        pytest.skip("SQLite lets one writer at a time: ids and commits cannot cross there")
    inserted, b_done = threading.Event(), threading.Event()
    errors = []

    def slow_publisher():  # takes the lower id, commits last
        try:
            with app_thread_context(events_app), transaction():
                shop.record_sale(1, 100, DAY)
                inserted.set()
                assert b_done.wait(60)
        except Exception as exc:  # surfaced below
            errors.append(exc)

    def quick_publisher():
        try:
            assert inserted.wait(60)
            with app_thread_context(events_app):
                with transaction():
                    shop.record_sale(2, 200, DAY)
                # Delivered at once in this thread: the subscriber's cursor is now past sale 2.
                assert [s for s, _p in booked()] == [2]
        except Exception as exc:
            errors.append(exc)
        finally:
            b_done.set()

    threads = [threading.Thread(target=slow_publisher), threading.Thread(target=quick_publisher)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    with app_thread_context(events_app):
        one, two = (EventRecord.get(EventRecord.payload.contains(f'"sale_id":{n}')) for n in (1, 2))
        assert one.id < two.id and one.position > two.position  # positions follow the commits, not the ids
        deliver_all()
        assert sorted(booked()) == [(1, one.position), (2, two.position)]  # sale 1 was not skipped, nor doubled
        assert [s for s, _p in booked()] == [2, 1]


def test_a_subscriber_another_process_is_delivering_is_skipped_not_doubled(events_app):
    if is_sqlite():
        pytest.skip("on SQLite the immediate write transaction is the lock: a second deliverer waits for it")
    with app_thread_context(events_app):
        with transaction():
            shop.record_sale(1, 100, DAY)
        assert [s for s, _p in booked()] == [1]
    locked, release = threading.Event(), threading.Event()

    def other_process():  # holds the subscriber's row as a deliverer in another server process would
        with app_thread_context(events_app), transaction():
            EventSubscriber.select().where(EventSubscriber.name == "bookkeeper.books").for_update().get()
            locked.set()
            release.wait(60)

    holder = threading.Thread(target=other_process)
    holder.start()
    try:
        assert locked.wait(60)
        with app_thread_context(events_app):
            with transaction():
                shop.record_sale(2, 200, DAY)
            outcomes = {o.subscriber: o.state for o in deliver_all()}
            assert outcomes["bookkeeper.books"] == "busy" and [s for s, _p in booked()] == [1]
            assert [s for _p, s in shop.tally] == [1, 2]  # the other subscriber is not held up
    finally:
        release.set()
        holder.join(60)
    with app_thread_context(events_app):
        deliver_all()
        assert [s for s, _p in booked()] == [1, 2]


def test_an_event_whose_type_nobody_declares_any_more_stops_its_subscriber_with_that_message(events_app):
    with app_thread_context(events_app):
        with transaction():
            shop.record_sale(1, 100, DAY)
            EventRecord.update(version=2).execute()  # as if published by a newer shop, since uninstalled
        stuck = cursor("shop.tally")
        assert stuck.error == "no installed module declares the event type shop.sale_recorded v2"
        assert stuck.failing_position == EventRecord.get().position and shop.tally == []


# --- Command line, doctor and the contract ----------------------------------------------------------------

def test_events_status_list_and_retry_on_the_command_line(events_app, monkeypatch):
    bookkeeper.failures["left"] = 1
    with app_thread_context(events_app):
        with transaction():
            shop.record_sale(1, 100, DAY)
        position = EventRecord.get().position
    # The command's app is this test's (a separate CLI process would need the fixture plugins installed).
    monkeypatch.setattr("medoffice.cli.context.build_app", lambda ctx, **overrides: events_app)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["events", *args])

    status = run("status", "--json")
    assert status.exit_code == 0, status.output
    rows = {r["name"]: r for r in json.loads(status.output)}
    assert rows["bookkeeper.books"]["state"] == "failing"
    assert (rows["bookkeeper.books"]["failing_position"], rows["bookkeeper.books"]["failing_event"],
            rows["bookkeeper.books"]["waiting"]) == (position, "shop.sale_recorded", 1)
    assert "unexpected error (RuntimeError)" in rows["bookkeeper.books"]["error"]
    assert (rows["shop.tally"]["state"], rows["shop.tally"]["delivered_position"]) == ("ok", position)
    listed = run("list", "--json")
    assert [(r["position"], r["name"], r["version"]) for r in json.loads(listed.output)] == [
        (position, "shop.sale_recorded", 1)]
    assert "payload" not in listed.output
    assert run("retry", "nobody.here").exit_code == 1
    retried = run("retry", "bookkeeper.books")
    assert retried.exit_code == 0 and "1 delivered; up to date" in retried.output
    assert "ok" in run("status").output
    with app_thread_context(events_app):
        assert booked() == [(1, position)]


def test_bad_event_declarations_stop_start_up(make_app):
    module = types.ModuleType("sloppy_events")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo("sloppy_events", "Sloppy events")
    module.medoffice_event_types = hookimpl(lambda: [EventType("sloppy_events.thing", 1, {"amount": "float"}),
                                                     EventType("other.thing", 1, {"id": "int"})])
    module.medoffice_event_subscriptions = hookimpl(lambda: [
        Subscription("sloppy_events.reader", "sloppy_events.thing", print, start="yesterday")])
    with pytest.raises(PluginError) as refused:
        make_app(plugins=[], extra=[module])
    message = str(refused.value)
    assert "field 'amount' has unknown kind 'float'" in message
    assert "event type 'other.thing v1' must start with 'sloppy_events.'" in message
    assert "start must be 'beginning' or a date" in message and "list the event names" in message


def test_the_events_page_is_kept_until_an_event_is_published_or_a_subscriber_moves(events_app):
    """Admin → Events keeps its figures (core.events, core.operations): an unchanged view reads neither the log nor
    the cursors, and an event published by any process shows on the next view."""
    from medoffice.testing import page_queries

    admin = login(events_app.test_client(), "admin")
    assert "0 events in the log." in admin.get("/admin/events").get_data(as_text=True)
    read = " ".join(page_queries(admin, "/admin/events"))
    assert '"core_event"' not in read and '"core_event_subscriber"' not in read
    bookkeeper.failures["left"] = 1  # the books stop at the sale: the page shows it failing
    with app_thread_context(events_app):
        with transaction():
            shop.record_sale(1, 100, DAY)
    page = admin.get("/admin/events").get_data(as_text=True)
    assert "1 event in the log." in page and 'data-subscriber="bookkeeper.books" data-state="failing"' in page

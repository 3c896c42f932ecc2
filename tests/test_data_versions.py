"""Data versions (medoffice.data_versions): what a plugin counts from its tables is kept in each process
until any writer changes those tables, on SQLite and PostgreSQL; the triggers that say so are made when
the plugin is turned on and made again at start when a table has lost them."""
from __future__ import annotations

import datetime as dt

from medoffice.app import medoffice_runtime
from medoffice.db import db, is_sqlite
from medoffice.models import StateVersion
from medoffice.testing import connected, login, page_queries

GREETINGS = "hello.greetings"


def _greet_by_sql(message: str) -> None:
    """A greeting written as another process or a SQL console would: no medoffice code involved."""
    db.execute_sql(f"INSERT INTO hello_greeting (message, created_at) VALUES ({db.param}, {db.param})",
                   (message, dt.datetime.now(dt.timezone.utc)))


def _version() -> int:
    return StateVersion.get(StateVersion.key == GREETINGS).version


def test_today_keeps_the_greeting_check_until_anyone_writes_a_greeting(make_app):
    app = make_app(plugins=["hello"])
    admin = login(app.test_client(), "admin")
    assert "Say good morning" in admin.get("/today").get_data(as_text=True)
    assert not [sql for sql in page_queries(admin, "/today") if "hello_greeting" in sql]  # kept, not counted
    with connected(app):
        _greet_by_sql("Good morning")
    assert "Say good morning" not in admin.get("/today").get_data(as_text=True)
    with connected(app):
        db.execute_sql("DELETE FROM hello_greeting")
    assert "Say good morning" in admin.get("/today").get_data(as_text=True)


def _drop_greeting_triggers() -> None:
    if is_sqlite():
        for suffix in ("ins", "upd", "del"):
            db.execute_sql(f"DROP TRIGGER hello_greeting_hello_greetings_{suffix}")
    else:
        db.execute_sql("DROP TRIGGER hello_greeting_hello_greetings ON hello_greeting")


def test_a_table_that_lost_its_triggers_gets_them_back_at_the_next_start(make_app):
    app = make_app(plugins=["hello"])
    with connected(app):
        _drop_greeting_triggers()  # as SQLite's rebuild of a table for a changed constraint does
        before = _version()
        _greet_by_sql("lost")
        assert _version() == before
    restarted = make_app(plugins=["hello"], instance=app.instance_path)
    with connected(restarted):
        _greet_by_sql("found")
        assert _version() == before + 1


def _greet_many_in_one_transaction(count: int) -> None:
    with db.atomic():
        for number in range(count):
            _greet_by_sql(f"greeting {number}")


def test_a_transaction_that_writes_many_rows_moves_the_version_once_on_postgresql(make_app):
    """PostgreSQL's triggers bump once per transaction: a bump per row made bulk writes quadratic."""
    app = make_app(plugins=["hello"])
    with connected(app):
        before = _version()
        _greet_many_in_one_transaction(50)
        assert _version() == before + (50 if is_sqlite() else 1)
        _greet_by_sql("and one more, in its own transaction")
        assert _version() == before + (51 if is_sqlite() else 2)


def test_an_instance_made_before_the_once_per_transaction_bump_gets_it_at_the_next_start(make_app):
    app = make_app(plugins=["hello"])
    if is_sqlite():
        return  # SQLite's triggers run per row; there is no function to bring up to date
    with connected(app):
        db.execute_sql("CREATE OR REPLACE FUNCTION core_bump_hello_greetings_version() RETURNS trigger "
                       "LANGUAGE plpgsql AS $$ BEGIN UPDATE core_state_version SET version = version + 1 "
                       "WHERE key = 'hello.greetings'; RETURN NULL; END $$")
    restarted = make_app(plugins=["hello"], instance=app.instance_path)
    with connected(restarted):
        before = _version()
        _greet_many_in_one_transaction(5)
        assert _version() == before + 1


def test_turning_a_plugin_on_makes_its_triggers(make_app):
    app = make_app(plugins=["hello"], enabled=[])
    with connected(app):
        assert not StateVersion.select().where(StateVersion.key == GREETINGS).exists()
        medoffice_runtime().enable("hello", by="test")
        before = _version()
        _greet_by_sql("on")
        assert _version() == before + 1


def test_a_kept_list_shows_a_change_by_any_writer_on_its_next_view_and_keeps_each_search_and_sort(make_app):
    app = make_app(plugins=["hello"])
    admin = login(app.test_client(), "admin")
    with connected(app):
        for message in ("Good morning", "Hello team"):
            _greet_by_sql(message)
    first = admin.get("/hello/").get_data(as_text=True)
    assert "Good morning" in first and "2 greetings" in first
    assert not [sql for sql in page_queries(admin, "/hello/") if "hello_greeting" in sql]  # rows, count and HTML kept
    found = admin.get("/hello/?q=team").get_data(as_text=True)
    assert "Hello team" in found and "Good morning" not in found and "1 greeting" in found
    newest = admin.get("/hello/?sort=created_at&desc=1").get_data(as_text=True)
    assert newest.index("Hello team") < newest.index("Good morning")
    with connected(app):
        _greet_by_sql("Welcome back")
        db.execute_sql("DELETE FROM hello_greeting WHERE message = 'Hello team'")
    after = admin.get("/hello/").get_data(as_text=True)
    assert "Welcome back" in after and "Hello team" not in after and "2 greetings" in after
    assert "No greetings" in admin.get("/hello/?q=team").get_data(as_text=True)


def test_todays_deadline_counts_are_kept_until_a_deadline_changes(make_app):
    from medoffice import deadlines
    from medoffice.settings import today

    app = make_app(plugins=["hello"])
    manager = login(app.test_client(), "office_manager")
    assert "Deadlines due this week" not in manager.get("/today").get_data(as_text=True)
    assert not [sql for sql in page_queries(manager, "/today") if "core_deadline" in sql]  # kept
    with connected(app):
        deadlines.upsert("hello", "tidy-up:test", title="Tidy the board", due=today() + dt.timedelta(days=2),
                         kind="hello.tidy_up", assignee_role="office_manager")
    assert "Deadlines due this week" in manager.get("/today").get_data(as_text=True)


def test_todays_operations_items_are_kept_until_a_job_run_a_subscriber_or_a_message_changes(make_app):
    """Failed jobs, stuck subscribers, failed messages and letters to print (core.operations) are not read on an
    unchanged Today view; a failed run written by any writer shows on the next view."""
    from medoffice.models import JobRun

    app = make_app()
    admin = login(app.test_client(), "admin")
    assert "Scheduled job failed" not in admin.get("/today").get_data(as_text=True)
    read = " ".join(page_queries(admin, "/today"))
    for table in ("core_job_run", "core_event_subscriber", "core_message_outbox"):
        assert f'"{table}"' not in read, table
    with connected(app):
        JobRun.insert(job_id="core.audit_verify", status="failed", message="The audit trail is broken at entry 7.",
                      started_at=dt.datetime.now(dt.timezone.utc), trigger="schedule").execute()
    today = admin.get("/today").get_data(as_text=True)
    assert "Scheduled job failed" in today and "The audit trail is broken at entry 7." in today


def test_the_staff_and_patient_lists_are_kept_until_a_staff_member_a_location_or_a_patient_changes(make_app):
    """Core's two directories keep their pages (core.staff, core.patients): an unchanged view reads neither table,
    a change by plain SQL shows on the next view, and the patient list still audits every view."""
    from medoffice.models import AuditEvent, Location, Patient, StaffMember

    app = make_app()
    admin = login(app.test_client(), "admin")
    with connected(app):
        site = Location.create(name="North clinic")
        StaffMember.create(first_name="Ada", last_name="Quill", job_title="Nurse", location=site.id)
        patient = Patient.create(first_name="Rosa", last_name="Diaz", account_number="P0000001",
                                 date_of_birth=dt.date(1980, 5, 17))
    assert "North clinic" in admin.get("/staff").get_data(as_text=True)
    assert "Diaz, Rosa" in admin.get("/patients").get_data(as_text=True)
    assert not [sql for sql in page_queries(admin, "/staff") if "core_staff" in sql]
    assert not [sql for sql in page_queries(admin, "/patients") if "core_patient" in sql]
    with connected(app):
        db.execute_sql(f"UPDATE core_location SET name = {db.param} WHERE id = {db.param}", ("South clinic", site.id))
        db.execute_sql(f"UPDATE core_patient SET last_name = {db.param} WHERE id = {db.param}", ("Okafor", patient.id))
        views = AuditEvent.select().where(AuditEvent.action == "patient.list").count()
    assert "South clinic" in admin.get("/staff").get_data(as_text=True)
    assert "Okafor, Rosa" in admin.get("/patients").get_data(as_text=True)
    with connected(app):
        db.execute_sql(f"UPDATE core_staff SET job_title = {db.param}", ("Charge nurse",))
    assert "Charge nurse" in admin.get("/staff").get_data(as_text=True)
    admin.get("/patients")
    with connected(app):
        assert AuditEvent.select().where(AuditEvent.action == "patient.list").count() == views + 2

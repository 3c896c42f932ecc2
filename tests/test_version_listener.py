"""On PostgreSQL a request takes the counters of ``core_state_version`` from its process's listening connection
(``medoffice.version_listener``): no statement while nothing changed, and any change, made here or by another
connection, counts on the next request once the server has told the listener."""
from __future__ import annotations

import select

import psycopg
import pytest

from medoffice.auth.access import requires
from medoffice.db import db, is_sqlite
from medoffice.testing import TEST_PASSWORD, count_queries, create_test_user, settle_versions
from medoffice.version_listener import may_move_versions

PERMISSION = "core.patients.view"


def test_statements_that_move_versions_are_told_from_reads_and_unwatched_writes():
    assert not may_move_versions('SELECT "t1"."key", "t1"."version" FROM "core_state_version" AS "t1"')
    assert not may_move_versions('INSERT INTO "no_such_watched_table" ("a") VALUES (%s)')
    assert may_move_versions('UPDATE "core_state_version" SET "version" = ("version" + %s)')
    assert may_move_versions('WITH x AS (SELECT 1) UPDATE core_state_version SET version = 2')
    assert may_move_versions("ALTER TABLE core_user ADD COLUMN x integer")  # DDL: taken as moving anything
    assert not may_move_versions("SAVEPOINT s1")


@pytest.fixture
def pg_app(app):
    with app.app_context():
        if is_sqlite():
            pytest.skip("LISTEN/NOTIFY is PostgreSQL's: SQLite reads the counters in process on every request")

    @requires(PERMISSION)
    def bare():
        return "ok"
    app.add_url_rule("/_test/bare", "test_bare", bare)
    return app


def signed_in(app):
    name = create_test_user(app, ("front_desk",))
    client = app.test_client()
    assert client.post("/login", data={"username": name, "password": TEST_PASSWORD}).status_code == 302
    for _ in range(2):
        assert client.get("/_test/bare").status_code == 200
    with app.app_context():
        settle_versions()  # the sign-in's own changes heard
    assert client.get("/_test/bare").status_code == 200  # reads the counters if they told of any
    return client


def statements_of(client, url: str) -> tuple[int, list]:
    with count_queries() as seen:
        status = client.get(url).status_code
    return status, seen


def other_connection(app):
    """A connection of its own, as another worker process or a SQL console would have."""
    return psycopg.connect(app.config["DATABASE_URL"], autocommit=True)


def wait_for_notification() -> None:
    """Until the server has sent this process's listening connection something (a notification)."""
    listener = db.obj.versions_listener._conn  # the socket the next request looks at
    assert select.select([listener.pgconn.socket], [], [], 10)[0], "no notification within 10 s"


def test_a_request_reads_no_counters_while_nothing_changed(pg_app):
    client = signed_in(pg_app)
    status, seen = statements_of(client, "/_test/bare")
    assert status == 200 and seen == []


def test_a_role_changed_by_another_connection_counts_on_the_next_request(pg_app):
    client = signed_in(pg_app)
    with other_connection(pg_app) as other:
        other.execute("DELETE FROM core_role_permission WHERE permission = %s AND role_id = "
                      "(SELECT id FROM core_role WHERE name = 'front_desk')", (PERMISSION,))
    with pg_app.app_context():
        wait_for_notification()
    status, seen = statements_of(client, "/_test/bare")
    assert status == 403 and any("core_state_version" in sql for sql in seen)
    assert statements_of(client, "/_test/bare") == (403, [])  # read once, then kept again


def test_this_processs_own_change_counts_on_its_very_next_request(pg_app):
    client = signed_in(pg_app)
    with pg_app.app_context():
        db.execute_sql("DELETE FROM core_role_permission WHERE permission = %s AND role_id = "
                       "(SELECT id FROM core_role WHERE name = 'front_desk')", (PERMISSION,))
    assert client.get("/_test/bare").status_code == 403  # no waiting for the notification


def test_a_lost_listening_connection_means_a_read_per_request_until_it_listens_again(pg_app):
    client = signed_in(pg_app)
    with other_connection(pg_app) as other:
        ended = other.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE query = 'LISTEN medoffice_versions' AND datname = current_database()"
                              ).fetchall()
        assert ended == [(True,)]
        with pg_app.app_context():
            wait_for_notification()  # the server's goodbye to the listening connection
        other.execute("DELETE FROM core_role_permission WHERE permission = %s AND role_id = "
                      "(SELECT id FROM core_role WHERE name = 'front_desk')", (PERMISSION,))
    status, seen = statements_of(client, "/_test/bare")
    assert status == 403 and any("core_state_version" in sql for sql in seen)
    assert statements_of(client, "/_test/bare") == (403, [])  # listening again

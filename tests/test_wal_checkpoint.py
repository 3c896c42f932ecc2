"""A served SQLite instance copies its write-ahead log back into the database file from a thread of its own,
not inside a request's commit (one page view in a few hundred used to wait 20-30 ms for that)."""
import sqlite3
import time

import pytest

from medoffice.db import db, is_sqlite
from medoffice.models import AuditEvent
from medoffice.testing import connected, login


def rows_in_the_database_file(path: str) -> int:
    """Audit entries the main file holds, leaving out what is still only in the write-ahead log."""
    with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as conn:
        return conn.execute("SELECT COUNT(*) FROM core_audit_event").fetchone()[0]


def views_written_and_in_the_file(app) -> tuple[int, str]:
    client = login(app.test_client(), "admin")
    for _ in range(5):
        assert client.get("/patients").status_code == 200  # each view appends a read entry
    with connected(app):
        assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 10000
        return AuditEvent.select().count(), db.obj.database


def test_requests_leave_checkpoints_to_the_serving_process(app):
    with connected(app):
        if not is_sqlite():
            pytest.skip("SQLite's write-ahead log")
    assert app.config["WAL_CHECKPOINT_THREAD"] is False  # tests and commands start no thread
    written, path = views_written_and_in_the_file(app)
    assert rows_in_the_database_file(path) < written  # the requests' entries are in the log only

    app.config["WAL_CHECKPOINT_THREAD"] = True  # as `medoffice serve` runs
    checkpointer = app.extensions["wal_checkpointer"]
    try:
        written, path = views_written_and_in_the_file(app)
        deadline = time.monotonic() + 20
        while rows_in_the_database_file(path) < written and time.monotonic() < deadline:
            time.sleep(0.1)
        assert rows_in_the_database_file(path) >= written
    finally:
        checkpointer.stopped.set()

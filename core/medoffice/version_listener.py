"""The counters of ``core_state_version`` on PostgreSQL without a query per request: LISTEN/NOTIFY.

Every request needs the counters (``Runtime.refresh``). On SQLite reading them costs microseconds; on
PostgreSQL each statement is a round trip to the server, which alone is more than a bare page costs.
So a process reads them once and keeps them until it is told they moved. The database tells: a
statement trigger on ``core_state_version`` notifies the channel ``medoffice_versions`` whenever a
counter moves (PostgreSQL delivers it to every listener when the moving transaction commits). Each
process listens on a connection of its own and, at each request, looks at that connection's socket
without waiting. It reads the counters again when:

- a notification arrived (another process, a job, a SQL console changed a watched table);
- this process itself wrote to a watched table, so its own change shows on its very next request
  without waiting for the notification to travel back;
- the listening connection is not up (not yet made, lost with a server restart, or refused): then it
  reads on every request, as on SQLite, and tries to listen again after ``RETRY_SECONDS``.

The notification is sent to listeners as the writer's commit completes, before the writer's page goes
back to the browser, so a change (a revoked session, a removed role) takes effect on the next request
from any desk, as it does with a read per request.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import select
import threading
import time
from collections.abc import Callable

import peewee

log = logging.getLogger("medoffice.version_listener")
CHANNEL = "medoffice_versions"
RETRY_SECONDS = 5.0
FUNCTION = "core_notify_state_version"
TRIGGER = "core_state_version_notify"
# Tables whose writes move a counter: those ``medoffice.version_triggers`` watches, and the counters' own.
WATCHED_TABLES: set[str] = {"core_state_version"}
_READS = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT", "SET", "SHOW", "LISTEN", "EXPLAIN")
_WRITE_TARGET = re.compile(r'\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?:"?\w+"?\.)?"?(\w+)"?', re.IGNORECASE)


def ensure_notify_trigger(database: peewee.Database) -> None:
    """Create (or replace) the trigger that notifies listeners when a counter moves (PostgreSQL only)."""
    with database.atomic():
        database.execute_sql("SELECT pg_advisory_xact_lock(hashtext('medoffice version notify'))")
        database.execute_sql(f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS "
                             f"$$ BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$")
        exists = database.execute_sql("SELECT 1 FROM pg_trigger WHERE tgname = %s".replace("%s", database.param),
                                      (TRIGGER,)).fetchone()
        if not exists:
            database.execute_sql(f"CREATE TRIGGER {TRIGGER} AFTER UPDATE ON core_state_version "
                                 f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()")


@functools.lru_cache(maxsize=2048)
def _written_tables(sql: str) -> frozenset[str] | None:
    """The tables ``sql`` writes to; an empty set for a statement that writes nothing, None when unknown
    (DDL and the like, taken as writing anything)."""
    first = sql.lstrip()[:10].split(None, 1)[0].upper() if sql.strip() else ""
    if first in _READS:
        return frozenset()
    if first in ("INSERT", "UPDATE", "DELETE", "WITH"):
        return frozenset(name.lower() for name in _WRITE_TARGET.findall(sql))
    return None


def may_move_versions(sql: str) -> bool:
    """Whether running ``sql`` could move a counter (it writes to a watched table, or it is DDL)."""
    tables = _written_tables(sql)
    return tables is None or not tables.isdisjoint(WATCHED_TABLES)


class VersionListener:
    """One process's listening connection and the counters it read last (thread-safe)."""

    def __init__(self, connect: Callable[[], object]):
        self._connect = connect  # a new autocommit psycopg connection, outside the pool
        self._lock = threading.Lock()
        self._conn = None
        self._pid: int | None = None
        self._versions: dict | None = None
        self._generation = 0  # moves whenever the kept counters may be out of date
        self._retry_at = 0.0
        self._told = False  # the server sent the listening connection a message: it is ending

    def versions(self, read: Callable[[], dict]) -> dict:
        """The counters: those kept, if nothing has moved them since, else ``read()`` (kept for later)."""
        with self._lock:
            quiet = self._quiet()  # drained even when about to read: the read sees what they announced
            if self._versions is not None and quiet:
                return self._versions
            self._versions = None
            listening = self._listen()
            generation = self._generation
        versions = read()
        if listening:
            with self._lock:
                if generation == self._generation:
                    self._versions = versions
        return versions

    def settle(self, send: Callable[[str], object], timeout: float = 10.0) -> None:
        """Wait until this process has heard every change committed before the call: ``send(payload)`` notifies
        the channel with a marker (on any connection), and PostgreSQL delivers notifications in commit order, so
        once the marker is back nothing earlier is on its way. The next request then reads the counters (one
        statement, as on SQLite), and the ones after it none until something changes again. For tests that count
        a request's statements (``medoffice.testing.settle_versions``)."""
        with self._lock:
            if self._conn is None or self._pid != os.getpid():
                return
            marker = f"settle {os.getpid()} {time.monotonic_ns()}"
            send(marker)
            pgconn, deadline = self._conn.pgconn, time.monotonic() + timeout
            while True:
                pgconn.consume_input()
                while (notification := pgconn.notifies()) is not None:
                    if notification.extra.decode() == marker:
                        self._generation += 1
                        self._versions = None
                        return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the marker notification did not come back within {timeout} s")
                select.select([pgconn.socket], [], [], left)

    def moved(self) -> None:
        """This process changed a watched table: read the counters again on the next request."""
        with self._lock:
            self._generation += 1
            self._versions = None

    def close(self) -> None:
        """Stop listening (before a fork, at shutdown, before the database is copied or dropped)."""
        with self._lock:
            self._drop()

    def _quiet(self) -> bool:
        """True when the connection is up and no notification has arrived (drains those that have)."""
        if self._conn is None or self._pid != os.getpid():
            return False
        try:
            pgconn = self._conn.pgconn
            pgconn.consume_input()
            quiet = True
            while pgconn.notifies() is not None:  # also parses any other message that came
                quiet = False
            if self._told:
                # The connection runs no statement: a message is the server ending it ("terminating
                # connection ..."), which libpq passes on as a notice before the socket closes.
                raise ConnectionError("the server is closing the listening connection")
            return quiet
        except Exception:  # the server went away: read on every request until listening again
            log.warning("lost the connection that listens for version changes; reading them per request")
            self._drop()
            return False

    def _listen(self) -> bool:
        if self._conn is not None and self._pid == os.getpid():
            return True
        self._conn = None  # a connection made before a fork belongs to the parent; psycopg will not close it here
        if time.monotonic() < self._retry_at:
            return False
        try:
            conn = self._connect()
            conn.execute(f"LISTEN {CHANNEL}")
            self._told = False
            conn.add_notice_handler(self._notice)
        except Exception:
            log.warning("cannot listen for version changes; reading them per request", exc_info=True)
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return False
        self._conn, self._pid = conn, os.getpid()
        self._generation += 1
        return True

    def _notice(self, _diagnostic) -> None:
        self._told = True  # called inside consume_input, under the lock

    def _drop(self) -> None:
        conn, self._conn, self._versions = self._conn, None, None
        self._generation += 1
        if conn is not None and self._pid == os.getpid():
            try:
                conn.close()
            except Exception:
                pass

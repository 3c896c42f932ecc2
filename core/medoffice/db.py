"""The database: a peewee DatabaseProxy bound per instance to SQLite (default) or PostgreSQL."""
from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from urllib.parse import urlparse

import peewee
from playhouse.db_url import parseresult_to_dict
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from .filemodes import create_private_file, private_dir
from .version_listener import VersionListener, may_move_versions

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    # FULL: a committed visit, claim or payment must survive a power cut, not just a crash.
    "synchronous": "full",
    "cache_size": -32000,
    # A serving process checkpoints from a thread of its own (medoffice.wal_checkpoint): a request's commit
    # copies the log back only past ~40 MB, should that thread stop (SQLite's default is ~4 MB).
    "wal_autocheckpoint": 10000,
}

# How medoffice's sessions have PostgreSQL plan (a database URL's own ``options`` come after, and win):
# - plan_cache_mode: psycopg prepares a statement run five times, and PostgreSQL may then plan it once
#   for any values: a generic plan guesses an average share of rows for "status IN (...)", so counting
#   the 600 draft claims of 200,000 became a scan of them all (100 ms instead of 2). Lists filter by
#   such skewed columns everywhere; planning each run with its values costs far less.
# - random_page_cost: the default (4) prices a random read as a spinning disk's; a practice's database
#   is smaller than its server's memory and on SSD, where PostgreSQL's guide suggests about 1.1. At 4
#   a page of 25 underpaid lines hash-joined all 200,000 claims instead of looking up its 25 (32 to 11 ms).
SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan -c random_page_cost=1.1"


class UTCDateTimeField(peewee.DateTimeField):
    """Stores aware timestamps as UTC and returns them aware (tzinfo=UTC)."""

    def db_value(self, value):
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                raise ValueError(f"{self.name}: naive datetime; pass an aware timestamp")
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


def utcnow() -> dt.datetime:
    """The current time as an aware UTC timestamp."""
    return dt.datetime.now(dt.timezone.utc)


class BaseModel(peewee.Model):
    """Base class for every medoffice model (core and plugins)."""

    class Meta:
        database = db
        legacy_table_names = False

    @classmethod
    def get(cls, *query, **filters):
        """As peewee's, with ``Model.get(Model.field == value)`` (a record by its id, a foreign key's target, the
        ``get_or_none`` and ``get_by_id`` built on it) compiled once per field (``medoffice.prepared``): peewee
        otherwise builds and compiles the select of every column on each call, several times what the database
        takes to answer it, and a detail page makes a few."""
        if len(query) == 1 and not filters and cls._meta.database is db:  # (not a model bound elsewhere)
            field = _equality_field(cls, query[0])
            if field is not None:
                from . import prepared  # (prepared imports this module)

                found = list(prepared.run(_one_by(cls, field.name), ("model.get", cls, field.name),
                                          value=query[0].rhs))
                if found:
                    return found[0]
                raise cls.DoesNotExist(f"{cls.__name__} instance matching query does not exist: "
                                       f"{field.name} = {query[0].rhs!r}")
        return super().get(*query, **filters)


def _equality_field(model, expression) -> peewee.Field | None:
    """The field of ``model`` that ``expression`` compares with a plain value (``Model.field == 7``), else None."""
    if (type(expression) is peewee.Expression and expression.op == peewee.OP.EQ
            and isinstance(expression.lhs, peewee.Field) and expression.lhs.model is model
            and expression.rhs is not None and not isinstance(expression.rhs, peewee.Node)):
        return expression.lhs
    return None


@functools.lru_cache(maxsize=1024)
def _one_by(model, field_name: str):
    """``model``'s first row whose ``field_name`` equals the slot ``value`` (built once per model and field)."""
    from .prepared import slot

    return model.select().where(getattr(model, field_name) == slot("value")).limit(1)


def open_database(url: str | None, instance: Path) -> peewee.Database:
    """Build (but do not connect) the database for an instance.

    ``url`` is ``postgresql://...`` (psycopg 3) or ``sqlite:///path``; None means the embedded
    SQLite file ``medoffice.sqlite3`` in the instance folder. Connections are pooled: a request
    "closes" its connection at teardown by returning it, so pragmas and TLS handshakes are
    paid once per connection, not once per request.
    """
    pool = {"max_connections": 64, "stale_timeout": 600, "timeout": 30}
    if url and url.startswith(("postgres://", "postgresql://")):
        params = parseresult_to_dict(urlparse(url.replace("postgres://", "postgresql://", 1)))
        options = " ".join(filter(None, [SESSION_OPTIONS, params.pop("options", "")]))
        return RecentlyUsedPooledPostgresqlDatabase(prefer_psycopg3=True, options=options, **params, **pool)
    path = Path(url[len("sqlite:///"):]) if url else instance / "medoffice.sqlite3"
    private_dir(path.parent)
    # IMMEDIATE: a transaction that reads first and writes later would otherwise fail with
    # "database is locked" when two desks save at once; this takes the write lock up front.
    return PrivatePooledSqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                       check_same_thread=False, **pool)


class _PrivateFileSqliteDatabase(peewee.SqliteDatabase):
    def _connect(self):
        # Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files it makes
        # later the database file's own mode, whatever the process umask.
        create_private_file(Path(self.database))
        return super()._connect()


class PrivatePooledSqliteDatabase(PooledSqliteDatabase, _PrivateFileSqliteDatabase):
    """The pooled SQLite database, whose file (and so its -wal and -shm) is private to its account."""


class RecentlyUsedPooledPostgresqlDatabase(PooledPostgresqlDatabase):
    """The pooled PostgreSQL database, which asks the server whether a pooled connection is alive before handing it
    out only when it has sat unused for ``PING_AFTER_IDLE`` seconds. peewee asks every time: a round trip on every
    request, a fifth of a bare page's time, for a connection a request returned a moment ago."""

    PING_AFTER_IDLE = 5.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._returned_at: dict[int, float] = {}  # connection key -> when it went back to the pool
        # Requests take the counters of core_state_version from here, not from a query each.
        self.versions_listener = VersionListener(lambda: peewee.PostgresqlDatabase._connect(self))
        self._moves_versions = threading.local()  # this thread's open transaction wrote a watched table

    def begin(self, isolation_level=None, unflushed=False):
        """BEGIN; with ``unflushed`` (a record of reads: :func:`unflushed_transaction`) its commit will not wait
        for the disk, said in the same round trip to the server."""
        if not unflushed:
            return super().begin(isolation_level)
        with peewee.__exception_wrapper__:
            connection = self.connection()
            if connection.pgconn.pipeline_status:  # a pipeline takes one statement at a time, and waits for neither
                connection.execute("BEGIN")
                connection.execute("SET LOCAL synchronous_commit = off")
            else:
                self.cursor().execute("BEGIN; SET LOCAL synchronous_commit = off")

    def execute_sql(self, sql, params=None):
        cursor = super().execute_sql(sql, params)
        if may_move_versions(sql):
            if self.in_transaction():
                self._moves_versions.pending = True
            else:
                self.versions_listener.moved()
        return cursor

    def commit(self):
        super().commit()
        if getattr(self._moves_versions, "pending", False):
            self._moves_versions.pending = False
            self.versions_listener.moved()

    def rollback(self):
        self._moves_versions.pending = False
        super().rollback()

    def close_all(self):
        self.versions_listener.close()
        super().close_all()

    def _close(self, conn, close_conn=False):
        self._returned_at[self.conn_key(conn)] = time.monotonic()  # before: a connection closed instead drops it
        super()._close(conn, close_conn)

    def _close_raw(self, conn):
        self._returned_at.pop(self.conn_key(conn), None)
        super()._close_raw(conn)

    def _is_closed(self, conn):
        returned = self._returned_at.pop(self.conn_key(conn), None)
        if (returned is not None and time.monotonic() - returned < self.PING_AFTER_IDLE and not conn.closed
                and self._adapter.txn_status(conn) == self._adapter.txn_idle):
            return False
        return super()._is_closed(conn)


def is_sqlite(database: peewee.Database | None = None) -> bool:
    """True when the (bound) database is SQLite."""
    target = database or db.obj
    return isinstance(target, peewee.SqliteDatabase)


def refresh_statistics(database: peewee.Database | None = None) -> None:
    """After a bulk load (the demo data, a move from SQLite), have PostgreSQL read its tables' statistics and
    vacuum them now, whether or not autovacuum runs on that server: it then plans with the rows there are
    rather than an empty table's guesses (hash-joining a whole table to read 25 rows), and a count answered
    from an index reads the index alone (counting 11,800 denied claims: 13.7 ms through the table, 2.3 ms
    once vacuumed). Run outside a transaction. SQLite is left without statistics: its queries are written for
    its planner without them."""
    target = database or db.obj
    if not is_sqlite(target):
        target.execute_sql("VACUUM (ANALYZE)")


_commit_hooks = threading.local()  # per thread, like peewee's connections


@contextmanager
def transaction():
    """A write transaction (nested calls become savepoints).

    The outermost one runs the callbacks registered with ``before_commit`` just before it
    commits (inside it: one that raises rolls everything back) and those registered with
    ``after_commit`` once it committed. A rollback drops both.
    """
    if db.in_transaction():
        with db.atomic() as txn:
            yield txn
        return
    _commit_hooks.before, _commit_hooks.after = [], []
    try:
        with db.atomic() as txn:
            yield txn
            while _commit_hooks.before:
                _commit_hooks.before.pop(0)()
        after = _commit_hooks.after
    finally:
        _commit_hooks.before = _commit_hooks.after = None
    for callback in after:
        callback()


def in_managed_transaction() -> bool:
    """True inside a ``transaction()`` that is the outermost transaction of this thread's connection."""
    return getattr(_commit_hooks, "before", None) is not None and db.in_transaction()


def before_commit(callback) -> None:
    """Run ``callback()`` at the end of the current ``transaction()``, just before it commits (once).

    :raises RuntimeError: outside a ``transaction()`` (for instance in a bare ``db.atomic()``).
    """
    if not in_managed_transaction():
        raise RuntimeError("before_commit needs an open medoffice.db.transaction()")
    if callback not in _commit_hooks.before:
        _commit_hooks.before.append(callback)


def after_commit(callback) -> None:
    """Run ``callback()`` once the current ``transaction()`` committed (once; never after a rollback).

    :raises RuntimeError: outside a ``transaction()``.
    """
    if not in_managed_transaction():
        raise RuntimeError("after_commit needs an open medoffice.db.transaction()")
    if callback not in _commit_hooks.after:
        _commit_hooks.after.append(callback)


@contextmanager
def pipelined():
    """On PostgreSQL, outside a transaction: the block's statements are sent without waiting for each one's answer
    (libpq's pipeline mode). A statement whose rows are read waits for those before it; the others go with the end
    of the block, which raises any error they met. A short transaction opened inside it (a page view's audit entry:
    BEGIN, the head, the entry, COMMIT) then costs two round trips to the server instead of five. Does nothing on
    SQLite or inside an open transaction."""
    if is_sqlite() or db.in_transaction():
        yield
        return
    connection = db.connection()
    try:
        with connection.pipeline():
            yield
    except BaseException:
        # A statement that failed in the pipeline left its transaction open and failed: end it, or the pooled
        # connection would refuse the next request's statements.
        from psycopg.pq import TransactionStatus

        if not connection.closed and connection.info.transaction_status != TransactionStatus.IDLE:
            connection.execute("ROLLBACK")
        raise


_RESTORE_SYNCHRONOUS = f"PRAGMA synchronous = {SQLITE_PRAGMAS['synchronous']}"


@contextmanager
def unflushed_statements():
    """SQLite: the connection's commits in the block do not wait for the disk (as in :func:`unflushed_transaction`);
    gives the driver's connection. The level is per connection and cannot change inside a transaction; it is set on
    the driver's connection directly: through peewee each pragma cost as much as a read entry's own insert."""
    connection = db.connection()
    connection.execute("PRAGMA synchronous = NORMAL")
    try:
        yield connection
    finally:
        connection.execute(_RESTORE_SYNCHRONOUS)


@contextmanager
def unflushed_driver_transaction():
    """SQLite, outside any transaction: an unflushed transaction (as :func:`unflushed_transaction`) opened, committed
    and rolled back on the driver's connection itself; statements inside go through ``db`` as usual.
    For the few statements of a page view's read entry, for which peewee's transaction layer cost about as much as
    the statements themselves. Peewee does not know of the transaction: nothing in it may call ``transaction()``,
    ``db.atomic()`` or the commit hooks."""
    if not is_sqlite() or db.in_transaction():
        raise RuntimeError("unflushed_driver_transaction is for SQLite, outside a transaction")
    with unflushed_statements() as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


@contextmanager
def unflushed_transaction():
    """A transaction whose commit does not wait for the disk, for records of reads (audit entries of
    page views), never for changes.

    Every commit otherwise waits for the disk to confirm the write (synchronous=FULL), which costs
    from 0.3 ms to several ms on an office box, on every page that shows patient data. Without the
    wait, a crash of medoffice still loses nothing (the operating system has the write); a power cut
    may lose the commits of its last moments, whole (the database and the audit chain stay intact).
    Inside an open transaction this is just a savepoint of it, flushed with it.
    """
    if db.in_transaction():
        with db.atomic():
            yield
        return
    if is_sqlite():
        with unflushed_statements(), db.atomic():
            yield
    else:
        with db.atomic(unflushed=True):
            yield

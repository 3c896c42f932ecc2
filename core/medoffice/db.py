"""The database: a peewee DatabaseProxy bound per instance to SQLite (default) or PostgreSQL."""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path

from urllib.parse import urlparse

import peewee
from playhouse.db_url import parseresult_to_dict
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

db = peewee.DatabaseProxy()

SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    # FULL: a committed visit, claim or payment must survive a power cut, not just a crash.
    "synchronous": "full",
    "cache_size": -32000,
}


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
        return PooledPostgresqlDatabase(prefer_psycopg3=True, **params, **pool)
    path = Path(url[len("sqlite:///"):]) if url else instance / "medoffice.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE: a transaction that reads first and writes later would otherwise fail with
    # "database is locked" when two desks save at once; this takes the write lock up front.
    return PooledSqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE",
                                check_same_thread=False, **pool)


def is_sqlite(database: peewee.Database | None = None) -> bool:
    """True when the (bound) database is SQLite."""
    target = database or db.obj
    return isinstance(target, peewee.SqliteDatabase)


def transaction():
    """A write transaction (nested calls become savepoints)."""
    return db.atomic()


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
        # The level is per connection and cannot change inside a transaction.
        db.execute_sql("PRAGMA synchronous = NORMAL")
        try:
            with db.atomic():
                yield
        finally:
            db.execute_sql(f"PRAGMA synchronous = {SQLITE_PRAGMAS['synchronous']}")
    else:
        with db.atomic():
            db.execute_sql("SET LOCAL synchronous_commit = off")
            yield

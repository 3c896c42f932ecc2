"""Fresh databases for tests, without migrating each one from nothing.

Every test gets its own database. Building one means running core's and each plugin's migrations:
a third of a second on SQLite and a second on PostgreSQL, paid again by every test. Instead, the
first app built with a given set of plugins and settings is built into a *template* instance (its
folder, and on PostgreSQL a template database); later tests that ask for the same start from a copy
of it: the folder copied (SQLite file, audit anchors and all), and on PostgreSQL
``CREATE DATABASE ... TEMPLATE``. What a test sees is what a fresh ``create_app`` would have made.

A copy is used only where a fresh build would start from nothing: an instance folder that does not
exist yet or is empty, and (on PostgreSQL) a database without tables. Anything else (an instance a
test prepared, a database it filled through the command line) is built as before.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable

DATABASE_ENV = "MEDOFFICE_TEST_DATABASE_URL"


def worker_database_url() -> str | None:
    """The PostgreSQL test database URL for this test process: ``MEDOFFICE_TEST_DATABASE_URL``, with
    the pytest-xdist worker's name appended to the database name when tests run in parallel."""
    url = os.environ.get(DATABASE_ENV)
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    return with_database_name(url, f"{database_name(url)}_{worker}")


def with_database_name(url: str, dbname: str) -> str:
    """``url`` pointing at database ``dbname`` instead (same server and user)."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def database_name(url: str) -> str:
    """The database name in a PostgreSQL URL."""
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(url)["dbname"]


def _server(url: str):
    """An autocommit connection to the server's ``postgres`` database (to create and drop others)."""
    import psycopg

    return psycopg.connect(with_database_name(url, "postgres"), autocommit=True)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_empty_database(url: str) -> None:
    """Drop the database ``url`` names (ending its connections) and create it again, empty."""
    with _server(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {_quoted(database_name(url))} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {_quoted(database_name(url))}")


def _has_tables(url: str) -> bool:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM information_schema.tables "
                            "WHERE table_schema = 'public')").fetchone()[0]


def _is_fresh_folder(path: Path) -> bool:
    return not path.exists() or (path.is_dir() and not any(path.iterdir()))


class TemplateInstances:
    """Migrated template instances, one per distinct way of building an app, made on first use."""

    def __init__(self, root: Path, postgres_url: str | None):
        self.root = root
        self.postgres_url = postgres_url
        self.templates: dict[str, tuple[Path, str | None]] = {}  # key -> (folder, template database)
        # The PostgreSQL database still holds the previous test's data: the next build replaces it
        # (a copy of a template, or an empty database) instead of checking it for tables.
        self.stale = False

    def mark_stale(self) -> None:
        """The PostgreSQL test database is left as the previous test left it, to be replaced by the
        first build on it (cheaper than emptying it first and then replacing it again)."""
        self.stale = True

    def build(self, key: str, instance: Path, database_url: str | None, build: Callable[[Path, str | None], object]):
        """Build the app for ``instance`` through ``build(instance, database_url)``, starting from a copy
        of the template for ``key`` when the instance and database are fresh; returns the app."""
        replace_stale = database_url is not None and database_url == self.postgres_url and self.stale
        if replace_stale:
            self.stale = False
        if not self._may_copy(instance, database_url, replace_stale):
            if replace_stale:
                create_empty_database(database_url)
            return build(instance, database_url)
        if key not in self.templates:
            self.templates[key] = self._make_template(key, database_url, build)
        folder, template_db = self.templates[key]
        if template_db is not None:
            with _server(database_url) as conn:
                target = _quoted(database_name(database_url))
                conn.execute(f"DROP DATABASE IF EXISTS {target} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {target} TEMPLATE {_quoted(template_db)}")
        if instance.exists():
            instance.rmdir()
        shutil.copytree(folder, instance)
        return build(instance, database_url)

    def _may_copy(self, instance: Path, database_url: str | None, stale: bool) -> bool:
        if not _is_fresh_folder(instance):
            return False
        if database_url is None or stale:
            return True
        return database_url == self.postgres_url and not _has_tables(database_url)

    def _make_template(self, key: str, database_url: str | None, build) -> tuple[Path, str | None]:
        number = len(self.templates) + 1
        folder = self.root / f"template{number}"
        template_db = None
        url = None
        if database_url is not None:
            template_db = f"{database_name(database_url)}_template{number}"
            url = with_database_name(database_url, template_db)
            create_empty_database(url)
        app = build(folder, url)
        from .db import db

        db.obj.close_all()  # SQLite writes its WAL back into the file; PostgreSQL may then copy it
        if template_db is not None:
            with _server(url) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = %s AND pid <> pg_backend_pid()", (template_db,))
        del app
        return folder, template_db

    def drop(self) -> None:
        """Drop the template databases (the folders go with pytest's temporary directory)."""
        for _folder, template_db in self.templates.values():
            if template_db is not None:
                with _server(self.postgres_url) as conn:
                    conn.execute(f"DROP DATABASE IF EXISTS {_quoted(template_db)} WITH (FORCE)")
        self.templates.clear()

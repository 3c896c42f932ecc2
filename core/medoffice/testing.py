"""pytest fixtures for medoffice and its plugins (registered through the ``pytest11`` entry point).

Fixtures:
- ``make_app(plugins=None, extra=(), enabled=None, **config)``: a fresh app on a fresh database.
- ``app``: an app with every installed plugin; ``client``: an anonymous test client.
- ``login(client, role="admin")`` / ``client_as(role)``: a client logged in with a new user.
- ``medoffice_database_url``: each test runs on SQLite and, when
  ``MEDOFFICE_TEST_DATABASE_URL`` is set, on PostgreSQL as well.

Under pytest, prepared queries (``medoffice.prepared``) compile afresh on every run and check the
cached SQL, so a key that misses part of a query's shape fails a test.

``contract_problems(app, plugin)`` is the contract every plugin must pass; a plugin's test
suite runs it with ``test_contract = plugin_contract_test("myplugin")``.
"""
from __future__ import annotations

import itertools
import os
import re
from pathlib import Path

import pytest

from .db import db

TEST_PASSWORD = "Medoffice-test-passphrase-42"
_counter = itertools.count(1)


def pytest_configure(config):
    """Check every cached prepared query against a fresh compile while tests run."""
    os.environ.setdefault("MEDOFFICE_VERIFY_PREPARED", "1")


def _database_params():
    params = ["sqlite"]
    if os.environ.get("MEDOFFICE_TEST_DATABASE_URL"):
        params.append("postgresql")
    return params


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema of the test database (fast per-test isolation)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


@pytest.fixture(params=_database_params())
def medoffice_database_url(request, tmp_path):
    """The database URL for this test run (SQLite file, or the PostgreSQL test database reset)."""
    if request.param == "sqlite":
        return None
    url = os.environ["MEDOFFICE_TEST_DATABASE_URL"]
    reset_postgres(url)
    return url


@pytest.fixture
def make_app(tmp_path, medoffice_database_url):
    """Factory for apps on a fresh instance: ``make_app(plugins=[...], extra=[module], **config)``."""
    from .app import create_app

    built = []

    def factory(plugins=None, extra=(), enabled=None, instance=None, **config):
        config.setdefault("SECRET_KEY", "test-secret-key")
        config.setdefault("BACKUP_KEY", "test-backup-key-0123456789abcdefghijklmnopq")
        config.setdefault("WTF_CSRF_ENABLED", False)
        config.setdefault("TESTING", True)
        if medoffice_database_url:
            config.setdefault("DATABASE_URL", medoffice_database_url)
        app = create_app(instance or tmp_path / f"instance{len(built)}", PLUGINS=plugins,
                         EXTRA_PLUGINS=list(extra), ENABLED_PLUGINS=enabled, **config)
        built.append(app)
        return app

    yield factory
    if not db.is_closed():
        db.close()


@pytest.fixture
def app(make_app):
    """An app with every installed plugin enabled."""
    return make_app()


@pytest.fixture
def client(app):
    """An anonymous test client."""
    return app.test_client()


def create_test_user(app, roles=("admin",), username: str | None = None):
    """Create a user with ``roles`` and the test password; returns the username."""
    from .accounts import create_user

    username = username or f"user{next(_counter)}"
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            create_user(username, f"Test {username.title()}", TEST_PASSWORD, list(roles))
        finally:
            db.close()
    return username


def login(client, role: str | tuple = "admin", username: str | None = None):
    """Log ``client`` in as a new user holding ``role`` (or the given roles); returns the client."""
    roles = (role,) if isinstance(role, str) else tuple(role)
    name = create_test_user(client.application, roles, username)
    response = client.post("/login", data={"username": name, "password": TEST_PASSWORD})
    assert response.status_code == 302, f"login failed: {response.status_code}"
    return client


@pytest.fixture
def client_as(app):
    """``client_as("billing")`` gives a test client logged in with that role."""
    return lambda role="admin": login(app.test_client(), role)


@pytest.fixture
def admin_client(client_as):
    """A client logged in as an admin."""
    return client_as("admin")


@pytest.fixture
def db_session(app):
    """Run the test body inside an app context with the database connected."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield db
        db.close()


# --- the plugin contract ---------------------------------------------------------------------

def contract_problems(app, plugin_name: str) -> list[str]:
    """Everything wrong with one plugin as core sees it (empty list when it passes).

    Checks: contributed names prefixed; migrations produce exactly the models; navigation
    endpoints resolve; every route declares a declared permission (or is public);
    templates namespaced under ``templates/<plugin>/``; jobs and reports well-formed.
    """
    from flask import url_for

    from .access import view_is_public, view_permission
    from .contract import contribution_problems
    from .migrate import schema_diff
    from .runtime import all_models

    runtime = app.extensions["medoffice"]
    host = runtime.host
    plugin = host.plugins.get(plugin_name)
    if plugin is None or not plugin.ok:
        return [f"{plugin_name} is not loaded: {plugin.error if plugin else 'not installed'}"]
    # Problems read "<plugin>: ..." or "... declared by both <a> and <b>": match whole names only.
    problems = [p for p in contribution_problems(host)
                if p.startswith(f"{plugin_name}: ") or p.endswith(f" and {plugin_name}")
                or f" both {plugin_name} and " in p]
    declared = {p.name for p in host.call_for(plugin_name, "medoffice_permissions")}
    every_permission = {p.name for p in host.call("medoffice_permissions")} | declared

    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            diff = schema_diff(all_models(host)[plugin_name])
            if diff:
                problems.append(f"migrations do not produce the models exactly:\n{diff}")
        finally:
            db.close()

    with app.test_request_context():
        for item in host.call_for(plugin_name, "medoffice_nav_items"):
            try:
                url_for(item.endpoint)
            except Exception as exc:
                problems.append(f"nav item {item.title!r}: endpoint {item.endpoint!r} does not resolve ({exc})")
            if item.permission not in every_permission:
                problems.append(f"nav item {item.title!r} uses undeclared permission {item.permission!r}")
        for widget in [*host.call_for(plugin_name, "medoffice_widgets"),
                       *host.call_for(plugin_name, "medoffice_patient_panels")]:
            if widget.endpoint not in app.view_functions:
                problems.append(f"widget {widget.id!r}: endpoint {widget.endpoint!r} does not exist")
            if widget.permission not in every_permission:
                problems.append(f"widget {widget.id!r} uses undeclared permission {widget.permission!r}")

    owned = {bp for bp, owner in runtime.blueprint_owner.items() if owner == plugin_name}
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] not in owned:
            continue
        view = app.view_functions[rule.endpoint]
        if view_is_public(view):
            continue
        permission = view_permission(view)
        if permission is None:
            problems.append(f"route {rule.rule} ({rule.endpoint}) declares no permission")
        elif permission not in every_permission:
            problems.append(f"route {rule.rule} uses undeclared permission {permission!r}")

    templates = plugin.package_dir / "templates"
    if templates.is_dir():
        for path in templates.rglob("*"):
            if path.is_file() and path.relative_to(templates).parts[0] != plugin_name:
                problems.append(f"template {path.relative_to(templates)} is not under templates/{plugin_name}/")

    for job in host.call_for(plugin_name, "medoffice_jobs"):
        if not callable(job.func):
            problems.append(f"job {job.id!r}: func is not callable")
        if job.trigger not in ("cron", "interval"):
            problems.append(f"job {job.id!r}: trigger must be 'cron' or 'interval'")
        if not job.schedule:
            problems.append(f"job {job.id!r}: no schedule")
    for report in host.call_for(plugin_name, "medoffice_reports"):
        if not callable(report.run):
            problems.append(f"report {report.id!r}: run is not callable")
        if report.permission not in every_permission:
            problems.append(f"report {report.id!r} uses undeclared permission {report.permission!r}")
        names = [p.name for p in report.params]
        if len(names) != len(set(names)) or not all(re.fullmatch(r"[a-z_][a-z0-9_]*", n) for n in names):
            problems.append(f"report {report.id!r}: parameter names must be unique snake_case")
    return problems


def plugin_contract_test(plugin_name: str, plugins: list[str] | None = None):
    """A ready-made test: ``test_contract = plugin_contract_test("hello")`` in a plugin's tests."""

    def test_plugin_contract(make_app):
        app = make_app(plugins=plugins)
        assert contract_problems(app, plugin_name) == []

    test_plugin_contract.__name__ = f"test_{plugin_name}_contract"
    return test_plugin_contract


def repository_root() -> Path:
    """The source checkout's root (for tests that read docs or samples)."""
    return Path(__file__).resolve().parents[2]

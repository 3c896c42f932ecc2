"""pytest fixtures for medoffice and its plugins (registered through the ``pytest11`` entry point).

Fixtures:
- ``make_app(plugins=None, extra=(), enabled=None, **config)``: a fresh app on a fresh database.
- ``app``: an app with every installed plugin; ``client``: an anonymous test client.
- ``login(client, role="admin")`` / ``client_as(role)``: a client logged in with a new user;
  ``create_test_user(app, roles)`` makes one whose password is ``TEST_PASSWORD``.
- ``connected(app)``: a database connection for any app; ``set_plugin_enabled(app, name, on)``.
- ``make_app(csrf=True)``, ``csrf_app``, ``csrf_client_as(role)``: CSRF protection on, as in
  production, with a test client (:class:`CsrfClient`) that sends the session's token the way the
  pages do (form field ``csrf_token`` and header ``X-CSRFToken``).
- ``medoffice_database_url``: each test runs on SQLite and, when
  ``MEDOFFICE_TEST_DATABASE_URL`` is set, on PostgreSQL as well.

Under pytest, prepared queries (``medoffice.prepared``) compile afresh on every run and check the
cached SQL, so a key that misses part of a query's shape fails a test.

Query counts: ``count_queries()`` records the SQL of every statement run inside a ``with`` block,
``page_queries(client, url)`` the statements one GET of a warmed-up page runs; a list page's count
must not grow with its rows (an N+1 or a lost cache then fails a test, not only a benchmark).

``contract_problems(app, plugin)`` is the contract every plugin must pass; a plugin's test
suite runs it with ``test_contract = plugin_contract_test("myplugin")``.
"""
from __future__ import annotations

import datetime as dt
import itertools
import os
import zoneinfo
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from .db import db
from .settings import DEFAULT_TIMEZONE
from .version_listener import CHANNEL
from .testing_databases import TemplateInstances, create_empty_database, worker_database_url

TEST_PASSWORD = "Medoffice-test-passphrase-42"
_counter = itertools.count(1)


def pytest_configure(config):
    """Check every cached prepared query against a fresh compile while tests run (in this process, and in the
    servers and commands that tests start, through the environment)."""
    from . import prepared

    os.environ.setdefault("MEDOFFICE_VERIFY_PREPARED", "1")
    prepared.VERIFY = os.environ["MEDOFFICE_VERIFY_PREPARED"] == "1"


def _database_params():
    params = ["sqlite"]
    if worker_database_url():
        params.append("postgresql")
    return params


@pytest.fixture(scope="session")
def medoffice_template_instances(tmp_path_factory):
    """The migrated template instances ``make_app`` copies (``medoffice.testing_databases``)."""
    templates = TemplateInstances(tmp_path_factory.mktemp("templates"), worker_database_url())
    yield templates
    templates.drop()


@pytest.fixture(params=_database_params())
def medoffice_database_url(request, medoffice_template_instances):
    """The database URL for this test run: None for the instance's SQLite file, or the PostgreSQL
    test database, empty when the test first sees it (``make_app`` replaces it with a fresh one
    itself, so a test that uses it only through ``make_app`` skips emptying it first)."""
    if request.param == "sqlite":
        return None
    url = worker_database_url()
    if _uses_the_url_itself(request):
        create_empty_database(url)
    else:
        medoffice_template_instances.mark_stale()
    return url


def _uses_the_url_itself(request) -> bool:
    """True when the test, or a fixture other than ``make_app``, asks for ``medoffice_database_url``."""
    info = request.node._fixtureinfo
    if "medoffice_database_url" in info.argnames:
        return True
    return any("medoffice_database_url" in definition.argnames
               for name, definitions in info.name2fixturedefs.items() if name != "make_app"
               for definition in definitions)


@pytest.fixture
def make_app(tmp_path, medoffice_database_url, medoffice_template_instances):
    """Factory for apps on a fresh instance: ``make_app(plugins=[...], extra=[module], **config)``.

    A fresh instance starts as a copy of a migrated template built the same way (see
    ``medoffice.testing_databases``), so each test does not run every migration again.
    """
    from .app import create_app

    built = []

    def factory(plugins=None, extra=(), enabled=None, instance=None, csrf=False, **config):
        instance = Path(instance or tmp_path / f"instance{len(built)}")
        if not (instance / "medoffice.toml").exists():
            # An instance with a configuration keeps its keys: the CLI reads them there, and the
            # audit trail is keyed from the backup key.
            config.setdefault("SECRET_KEY", "test-secret-key")
            config.setdefault("BACKUP_KEY", "test-backup-key-0123456789abcdefghijklmnopq")
        config.setdefault("WTF_CSRF_ENABLED", bool(csrf))
        config.setdefault("TESTING", True)
        # Every test user's password is hashed and checked: at a 32nd of production's scrypt cost
        # (test_auth checks the production default).
        config.setdefault("PASSWORD_HASH_METHOD", "scrypt:1024:8:1")
        explicit = "DATABASE_URL" in config  # None there means the instance's SQLite file, whatever else says
        database_url = config.pop("DATABASE_URL") if explicit else medoffice_database_url

        def build(folder: Path, url: str | None):
            overrides = {**config, "DATABASE_URL": url} if url or explicit else config
            return create_app(folder, PLUGINS=plugins, EXTRA_PLUGINS=list(extra), ENABLED_PLUGINS=enabled,
                              **overrides)

        key = repr((database_url is None, plugins, [(getattr(e, "__name__", ""), id(e)) for e in extra],
                    enabled, sorted(config.items())))
        app = medoffice_template_instances.build(key, instance, database_url, build)
        if csrf:
            app.test_client_class = CsrfClient
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


# --- CSRF ----------------------------------------------------------------------------------

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def csrf_token(client) -> str:
    """The CSRF token a page would give ``client`` now (form field and ``X-CSRFToken`` header).

    Signed from the raw token in the client's session cookie, as Flask-WTF's ``generate_csrf`` does;
    a session without one gets one first (the way the first page a browser opens sets it).
    """
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    app = client.application
    field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    with client.session_transaction() as session:
        if field not in session:
            session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        raw = session[field]
    secret = app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key
    return URLSafeTimedSerializer(secret, salt="wtf-csrf-token").dumps(raw)


class CsrfClient(FlaskClient):
    """A test client that sends the CSRF token with every POST, PUT, PATCH and DELETE, as the pages do:
    as the form field ``csrf_token`` (``ui.form``) when the data is a dict without one, and always as
    the ``X-CSRFToken`` header (htmx, from the layout's ``hx-headers``). A request that already
    carries a token (even a wrong one) is sent as it is."""

    def open(self, *args, **kwargs):
        """Add the token to a state-changing request, then send it."""
        method = (kwargs.get("method") or "GET").upper()
        if method in STATE_CHANGING and self.application.config.get("WTF_CSRF_ENABLED", True):
            headers = dict(kwargs.get("headers") or {})
            data = kwargs.get("data")
            field = self.application.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
            carries = "X-CSRFToken" in headers or (isinstance(data, dict) and field in data)
            if not carries:
                token = csrf_token(self)
                headers["X-CSRFToken"] = token
                if isinstance(data, dict):
                    kwargs["data"] = {**data, field: token}
                kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def create_test_user(app, roles=("admin",), username: str | None = None):
    """Create a user with ``roles`` and the test password; returns the username."""
    from .auth.accounts import create_user

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
    data = {"username": name, "password": TEST_PASSWORD}
    if client.application.config.get("WTF_CSRF_ENABLED", True):
        data["csrf_token"] = csrf_token(client)  # works for a plain client too
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"login failed: {response.status_code}"
    return client


@pytest.fixture
def client_as(app):
    """``client_as("billing")`` gives a test client logged in with that role."""
    return lambda role="admin": login(app.test_client(), role)


@pytest.fixture
def csrf_app(make_app):
    """An app with every installed plugin and CSRF protection on; its ``test_client()`` is a
    :class:`CsrfClient`."""
    return make_app(csrf=True)


@pytest.fixture
def csrf_client_as(csrf_app):
    """``csrf_client_as("billing")``: a :class:`CsrfClient` logged in with that role (CSRF on)."""
    return lambda role="admin": login(csrf_app.test_client(), role)


@pytest.fixture
def admin_client(client_as):
    """A client logged in as an admin."""
    return client_as("admin")


@contextmanager
def connected(app):
    """``with connected(app):`` the block runs in ``app``'s context with the database connected (for
    an app from ``make_app``, e.g. one holding only the plugin under test; ``db_session`` uses ``app``).
    A connection already open is reused and left open."""
    with app.app_context():
        opened = db.connect(reuse_if_open=True)
        try:
            yield db
        finally:
            if opened:
                db.close()


def set_plugin_enabled(app, name: str, enabled: bool = True) -> list[str]:
    """Turn plugin ``name`` on (with what it requires, running its migrations) or off, as the modules
    page does; returns the plugins newly enabled (empty when turning off)."""
    with connected(app):
        runtime = app.extensions["medoffice"]
        if enabled:
            return runtime.enable(name, by="test")
        runtime.disable(name, by="test")
        return []


@pytest.fixture
def db_session(app):
    """Run the test body inside an app context with the database connected."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield db
        db.close()


# --- query counts --------------------------------------------------------------------------

class Statement(str):
    """The SQL of one statement run (a string), with its parameters as ``params``."""

    params: tuple = ()


@contextmanager
def count_queries():
    """Record every statement the database runs inside the block: ``with count_queries() as seen``, a list
    of :class:`Statement` (their SQL, with their parameters)."""
    target = db.obj
    shadowed = vars(target).get("execute_sql")
    real = target.execute_sql
    seen: list[Statement] = []

    def counting(sql, params=None, *args, **kwargs):
        statement = Statement(sql)
        statement.params = tuple(params or ())
        seen.append(statement)
        return real(sql, params, *args, **kwargs)

    target.execute_sql = counting
    try:
        yield seen
    finally:
        if shadowed is None:
            del target.execute_sql
        else:
            target.execute_sql = shadowed


def page_queries(client, url: str) -> list[str]:
    """The SQL one GET of ``url`` runs once the page is warm (caches filled by two earlier requests), its one read of
    the data versions included: on PostgreSQL, which reads them only when told they moved, once the process has heard
    of every change made before (:func:`settle_versions`), so the count is the same on every run and engine.

    Fails the calling test when the page does not answer 200.
    """
    for _ in range(2):
        client.get(url)
    with connected(client.application):
        settle_versions()
    with count_queries() as seen:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return seen


def page_text(client, url: str) -> str:
    """The text of a GET of ``url``; fails the calling test unless it answers 200."""
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return response.get_data(as_text=True)


def reads_of(client, url: str, tables) -> list[str]:
    """The statements a warm, unchanged view of ``url`` (:func:`page_queries`) runs that read one of ``tables``
    (table names): a page kept under data versions reads none of the tables they cover."""
    return [sql for sql in page_queries(client, url) if any(f'"{table}"' in sql for table in tables)]


def settle_versions() -> None:
    """On PostgreSQL, wait until this process has heard every change committed so far (its listener of the data
    versions, ``medoffice.version_listener``): the next request reads the versions, as every request does on
    SQLite, and the ones after it none until something changes again. Nothing to do on SQLite. Call it, with the
    app's database connected, before counting a request's statements."""
    listener = getattr(db.obj, "versions_listener", None)
    if listener is not None:
        listener.settle(lambda marker: db.execute_sql(f"SELECT pg_notify('{CHANNEL}', {db.param})", (marker,)))


def write_sql(statement: str, *values) -> None:
    """Run ``statement`` (``?`` for each of ``values``) on the open connection as another process or a SQL console
    would, no medoffice code involved: a page kept under data versions must show the change on its next view."""
    db.execute_sql(statement.replace("?", db.param), values)


# --- the plugin contract ---------------------------------------------------------------------

def contract_problems(app, plugin_name: str) -> list[str]:
    """Everything wrong with one plugin as core sees it (empty list when it passes).

    Checks: contributed names prefixed; migrations produce exactly the models; navigation
    endpoints resolve; every route declares a declared permission (or is public), and one
    protected by a ``break_glass`` permission only reads (GET); attachment kinds name declared
    permissions;
    templates namespaced under ``templates/<plugin>/``; jobs and reports well-formed.
    """
    from flask import url_for

    from .auth.access import view_is_public, view_permission
    from .contract import contribution_problems
    from .files.kinds import kind_problems
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
    own_permissions = host.call_for(plugin_name, "medoffice_permissions")
    declared = {p.name for p in own_permissions}
    every_permission = {p.name for p in host.call("medoffice_permissions")} | declared
    break_glass = {p.name for p in [*host.call("medoffice_permissions"), *own_permissions] if p.break_glass}

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

    problems.extend(kind_problems(host, plugin_name, every_permission))

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
        elif permission in break_glass and rule.methods - {"GET", "HEAD", "OPTIONS"}:
            problems.append(f"route {rule.rule} changes data but its permission {permission!r} is break_glass "
                            "(emergency access only reads)")

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


def practice_today() -> dt.date:
    """Today where a test practice is: its time zone is core.timezone's default unless a test sets one. The
    machine's date (``dt.date.today()``) is a different day for hours each night."""
    return dt.datetime.now(zoneinfo.ZoneInfo(DEFAULT_TIMEZONE)).date()

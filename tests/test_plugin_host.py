"""The plugin host: live enable/disable (web and CLI), dependencies, failures, checks, hooks."""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import logging

import pluggy
import pytest
from click.testing import CliRunner
from flask_login import login_user

from fixtures_plugins import (
    alpha, beta, clash, gamma, misspelled, preload_fails, preloader, setup_fails, sloppy, write_instance_config,
)
from medoffice.app import preload_plugins
from medoffice.auth.accounts import load_session_user
from medoffice.cli import main as cli
from medoffice.db import db
from medoffice.plugins import ENTRY_POINT_GROUP, PluginError
from medoffice.testing import create_test_user, login, set_plugin_enabled


@contextlib.contextmanager
def connected(app):
    """An app context with the database connected (closed again afterwards)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            yield
        finally:
            db.close()


def text(response) -> str:
    return response.get_data(as_text=True)


def enabled_names(app) -> set[str]:
    return set(app.extensions["medoffice"].host.enabled())


def user_can(app, username: str, permission: str) -> bool:
    """``medoffice.auth.access.can`` for ``username`` as a request would see it right now."""
    from medoffice.auth.access import can
    from medoffice.models import User

    with app.test_request_context():
        db.connect(reuse_if_open=True)
        try:
            app.extensions["medoffice"].refresh()
            login_user(load_session_user(User.get(User.username == username).id))
            return can(permission)
        finally:
            db.close()


def contributions(app, hook: str, attr: str) -> set[str]:
    return {getattr(item, attr) for item in app.extensions["medoffice"].host.call(hook)}


def assert_hello_visible(app, admin, front_desk_name: str) -> None:
    home = text(admin.get("/"))
    assert 'href="/hello/"' in home and 'hx-get="/hello/widget"' in home
    assert admin.get("/hello/").status_code == 200
    assert admin.get("/hello/widget").status_code == 200
    assert admin.get("/static/plugins/hello/wave.svg").status_code == 200
    assert "Say good morning" in text(admin.get("/today"))
    assert "hello.per_day" in contributions(app, "medoffice_reports", "id")
    assert "Greetings per day" in text(admin.get("/reports"))
    assert admin.get("/reports/hello.per_day").status_code == 200
    assert "hello.count" in contributions(app, "medoffice_jobs", "id")
    assert "Count greetings" in text(admin.get("/admin/jobs"))
    assert "hello.latest" in contributions(app, "medoffice_widgets", "id")
    assert user_can(app, front_desk_name, "hello.greetings.edit")


def assert_hello_gone(app, admin, front_desk_name: str) -> None:
    home = text(admin.get("/"))
    assert 'href="/hello/"' not in home and "/hello/widget" not in home
    assert admin.get("/hello/").status_code == 404
    assert admin.post("/hello/", data={"message": "still there?"}).status_code == 404
    assert admin.get("/hello/widget").status_code == 404
    assert admin.get("/static/plugins/hello/wave.svg").status_code == 404
    assert "Say good morning" not in text(admin.get("/today"))
    assert "hello.per_day" not in contributions(app, "medoffice_reports", "id")
    assert "Greetings per day" not in text(admin.get("/reports"))
    assert admin.get("/reports/hello.per_day").status_code == 404
    assert "hello.count" not in contributions(app, "medoffice_jobs", "id")
    assert "Count greetings" not in text(admin.get("/admin/jobs"))
    assert "hello.latest" not in contributions(app, "medoffice_widgets", "id")
    assert not user_can(app, front_desk_name, "hello.greetings.edit")


def greeting_count(app) -> int:
    from medoffice_hello.models import Greeting

    with connected(app):
        return Greeting.select().count()


# --- live enable / disable --------------------------------------------------------------------

def test_admin_page_disables_and_enables_live_keeping_data(make_app):
    from medoffice.db import utcnow
    from medoffice_hello.models import Greeting

    app = make_app(plugins=["hello"])
    admin = login(app.test_client(), "admin")
    front_desk = create_test_user(app, ("front_desk",))
    with connected(app):
        # Two days old, so the Today item ("no greeting yet today") still shows.
        Greeting.create(message="Kept through disable", created_at=utcnow() - dt.timedelta(days=2))
    assert_hello_visible(app, admin, front_desk)

    response = admin.post("/admin/plugins/hello/disable", follow_redirects=True)
    assert response.status_code == 200
    assert "Disabled hello. Its data is kept" in text(response)
    assert "hello" not in enabled_names(app)
    assert_hello_gone(app, admin, front_desk)
    assert greeting_count(app) == 1  # disabling never deletes data

    response = admin.post("/admin/plugins/hello/enable", follow_redirects=True)
    assert "Enabled hello." in text(response)
    assert_hello_visible(app, admin, front_desk)
    assert "Kept through disable" in text(admin.get("/hello/"))

    from medoffice.models import AuditEvent, PluginState

    with connected(app):
        assert [e.action for e in AuditEvent.select().where(AuditEvent.object_type == "plugin")
                .order_by(AuditEvent.seq)] == ["plugin.disable", "plugin.enable"]
        assert PluginState.get(PluginState.name == "hello").changed_by.startswith("user")


def test_cli_toggle_in_another_process_is_noticed_on_the_next_request(make_app):
    app = make_app(plugins=["hello"])
    admin = login(app.test_client(), "admin")
    front_desk = create_test_user(app, ("front_desk",))
    instance = write_instance_config(app)
    runner = CliRunner()

    result = runner.invoke(cli, ["--instance", str(instance), "plugins", "disable", "hello"])
    assert result.exit_code == 0, result.output
    assert "Disabled hello. Its data is kept." in result.output
    assert_hello_gone(app, admin, front_desk)

    listing = runner.invoke(cli, ["--instance", str(instance), "plugins", "list", "--json"])
    assert '"enabled": false' in listing.output and '"name": "hello"' in listing.output

    result = runner.invoke(cli, ["--instance", str(instance), "plugins", "enable", "hello"])
    assert result.exit_code == 0 and "Enabled hello." in result.output
    assert_hello_visible(app, admin, front_desk)


def test_enabling_pulls_in_hard_dependencies_and_disabling_is_refused_underneath(make_app):
    app = make_app(plugins=[], extra=[alpha, beta], enabled=[])
    admin = login(app.test_client(), "admin")
    assert enabled_names(app) == {"core"}
    assert admin.get("/alpha/").status_code == 404

    response = admin.post("/admin/plugins/beta/enable", follow_redirects=True)
    assert "Enabled alpha, beta." in text(response)
    assert enabled_names(app) == {"core", "alpha", "beta"}
    assert text(admin.get("/alpha/")) == "0 entries"
    assert "Needed by beta" in text(admin.get("/admin/plugins"))

    response = admin.post("/admin/plugins/alpha/disable", follow_redirects=True)
    assert "alpha cannot be disabled while beta depends on it; disable that first" in text(response)
    assert enabled_names(app) == {"core", "alpha", "beta"}

    with connected(app):
        runtime = app.extensions["medoffice"]
        with pytest.raises(PluginError, match="while beta depends on it"):
            runtime.disable("alpha", by="test")
        runtime.disable("beta", by="test")
        runtime.disable("alpha", by="test")
    assert enabled_names(app) == {"core"}
    assert admin.get("/alpha/").status_code == 404


def test_cli_refuses_unknown_plugins_with_a_clear_message(make_app):
    app = make_app(plugins=["hello"])
    instance = write_instance_config(app)
    result = CliRunner().invoke(cli, ["--instance", str(instance), "plugins", "enable", "nosuch"])
    assert result.exit_code == 1
    assert "no plugin named 'nosuch' is installed" in result.output


def test_enabling_runs_pending_migrations_first(make_app):
    app = make_app(plugins=["hello"], extra=[alpha, beta], enabled=[])
    with connected(app):
        assert not db.table_exists("hello_greeting") and not db.table_exists("alpha_entry")
    admin = login(app.test_client(), "admin")
    admin.post("/admin/plugins/hello/enable")
    admin.post("/admin/plugins/beta/enable")
    with connected(app):
        assert db.table_exists("hello_greeting") and db.table_exists("alpha_entry")
        history = db.execute_sql("SELECT name FROM alpha_migration_history").fetchall()
        assert [row[0] for row in history] == ["0001_initial"]
    assert admin.post("/hello/", data={"message": "Tables are there"}).status_code == 302


def test_first_boot_enables_the_listed_plugins_and_their_hard_dependencies(make_app, caplog):
    caplog.set_level(logging.WARNING, logger="medoffice.runtime")
    app = make_app(plugins=["hello"], extra=[alpha, beta, gamma], enabled=["beta", "not_installed"])
    assert enabled_names(app) == {"core", "alpha", "beta"}
    assert "lists plugin not_installed, which is not installed" in caplog.text
    # Second boot on the same instance keeps the stored choice, not the config's.
    again = make_app(plugins=["hello"], extra=[alpha, beta, gamma], enabled=None,
                     instance=app.instance_path)
    assert enabled_names(again) == {"core", "alpha", "beta"}


def test_first_boot_with_nothing_listed_stays_settled(make_app):
    app = make_app(plugins=["hello"], enabled=[])
    assert enabled_names(app) == {"core"}
    again = make_app(plugins=["hello"], enabled=None, instance=app.instance_path)
    assert enabled_names(again) == {"core"}


def test_default_first_boot_enables_everything_installed(make_app):
    app = make_app(plugins=["hello"], extra=[alpha, beta, gamma])
    assert enabled_names(app) == {"core", "hello", "alpha", "beta", "gamma"}


# --- metadata and order ----------------------------------------------------------------------

def test_metadata_and_dependency_order_on_the_admin_page(make_app):
    app = make_app(plugins=["hello"], extra=[gamma, beta, alpha])
    host = app.extensions["medoffice"].host
    assert [p.name for p in host.ordered()] == ["core", "alpha", "beta", "gamma", "hello"]
    assert host.plugins["gamma"].ok  # a soft dependency that is absent is fine
    page = text(login(app.test_client(), "admin").get("/admin/plugins"))
    row = page[page.index('id="plugin-beta"'):]
    row = row[:row.index("</tr>")]
    for fact in ("Beta reconciler", "0.3.0", "Reconciles payments.", "alpha"):
        assert fact in row
    gamma_row = page[page.index('id="plugin-gamma"'):]
    assert "uses beta, absent" in gamma_row[:gamma_row.index("</tr>")]


# --- failures -----------------------------------------------------------------------------------

def test_plugin_failing_to_import_is_listed_with_its_error_and_the_server_runs(make_app, monkeypatch):
    real = importlib.metadata.entry_points
    broken = importlib.metadata.EntryPoint(
        name="broken_import", value="fixtures_plugins.broken_import", group=ENTRY_POINT_GROUP)

    def entry_points(**params):
        found = list(real(**params))
        return [*found, broken] if params.get("group") == ENTRY_POINT_GROUP else found

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    app = make_app(plugins=["hello", "broken_import"])
    admin = login(app.test_client(), "admin")
    assert admin.get("/").status_code == 200
    assert admin.get("/hello/").status_code == 200
    page = text(admin.get("/admin/plugins"))
    row = page[page.index('id="plugin-broken_import"'):]
    row = row[:row.index("</tr>")]
    assert "Failed to load" in row and "vendor_sdk" in row and "Fix the error, then restart" in row
    response = admin.post("/admin/plugins/broken_import/enable", follow_redirects=True)
    assert "broken_import cannot be enabled: it failed to load" in text(response)


def test_plugin_failing_in_setup_is_listed_with_its_error_and_the_server_runs(make_app):
    app = make_app(plugins=["hello"], extra=[setup_fails])
    host = app.extensions["medoffice"].host
    assert not host.plugins["setup_fails"].ok and not host.is_enabled("setup_fails")
    admin = login(app.test_client(), "admin")
    assert admin.get("/hello/").status_code == 200
    page = text(admin.get("/admin/plugins"))
    row = page[page.index('id="plugin-setup_fails"'):]
    row = row[:row.index("</tr>")]
    assert "setup failed" in row and "licence file /etc/vendor.lic is missing" in row


def test_serve_has_enabled_plugins_preload_and_leaves_disabled_ones_alone(make_app):
    preloader.loaded.clear()
    app = make_app(plugins=[], extra=[preloader])
    preload_plugins(app)
    assert preloader.loaded == ["code set"]
    set_plugin_enabled(app, "preloader", False)
    preload_plugins(app)
    assert preloader.loaded == ["code set"]  # not enabled: nothing more loaded


def test_a_plugin_whose_preload_fails_is_logged_and_the_others_still_preload(make_app, caplog):
    preloader.loaded.clear()
    with caplog.at_level(logging.ERROR, logger="medoffice"):
        preload_plugins(make_app(plugins=[], extra=[preload_fails, preloader]))
    assert preloader.loaded == ["code set"]
    assert "plugin preload_fails could not preload" in caplog.text and "drugs.txt is missing" in caplog.text


def test_misspelled_hookimpl_fails_start_up_loudly(make_app):
    with pytest.raises(pluggy.PluginValidationError, match="medoffice_nav_itemz"):
        make_app(plugins=[], extra=[misspelled])


@contextlib.contextmanager
def connected_to_last_database():
    """The database the last (failed) app was bound to, connected."""
    db.connect(reuse_if_open=True)
    try:
        yield
    finally:
        db.close()


def test_duplicate_names_across_plugins_are_a_start_up_error(make_app):
    with pytest.raises(PluginError) as error:
        make_app(plugins=[], extra=[alpha, clash])
    message = str(error.value)
    assert "permission 'alpha.ledger.view' is declared by both alpha and clash" in message
    assert "table 'alpha_entry' is declared by both alpha and clash" in message
    with connected_to_last_database():
        assert not db.table_exists("alpha_entry")  # refused before any plugin migrated


def test_unprefixed_names_are_a_start_up_error(make_app):
    with pytest.raises(PluginError) as error:
        make_app(plugins=[], extra=[sloppy])
    message = str(error.value)
    for problem in ("permission 'things.view' must start with 'sloppy.'",
                    "job 'nightly' must start with 'sloppy.'",
                    "report 'things' must start with 'sloppy.'",
                    "setting 'colour' must start with 'sloppy.'",
                    "widget 'things' must start with 'sloppy.'",
                    "table 'thing' must start with 'sloppy_'"):
        assert f"sloppy: {problem}" in message


# --- hooks ----------------------------------------------------------------------------------------

def test_a_plugin_publishes_a_hookspec_that_another_implements(make_app):
    # beta registers before alpha publishes the spec: the order of installation must not matter.
    app = make_app(plugins=[], extra=[beta, alpha])
    host = app.extensions["medoffice"].host
    assert host.pm.hook.alpha_payment_posted(payment_id=7, amount_cents=1250) == [
        "beta reconciled payment 7 of 1250 cents"]
    spec = host.pm.hook.alpha_payment_posted.spec
    assert spec is not None and spec.argnames == ("payment_id", "amount_cents")
    with connected(app):
        app.extensions["medoffice"].disable("beta", by="test")
    assert host.call("alpha_payment_posted", payment_id=8, amount_cents=1) == []


def test_implementing_a_hook_of_an_absent_plugin_needs_optionalhook(make_app):
    from fixtures_plugins import listener

    app = make_app(plugins=[], extra=[listener])  # hello is not loaded, yet listener starts
    assert app.extensions["medoffice"].host.plugins["listener"].ok
    # beta implements alpha's hook without optionalhook: without alpha that fails loudly.
    with pytest.raises(pluggy.PluginValidationError, match="alpha_payment_posted"):
        make_app(plugins=[], extra=[beta])


def test_trace_hooks_logs_every_hook_call(make_app, monkeypatch, caplog):
    monkeypatch.setenv("MEDOFFICE_TRACE_HOOKS", "1")
    caplog.set_level(logging.INFO, logger="medoffice.hooks")
    app = make_app(plugins=["hello"])
    login(app.test_client(), "admin").get("/")
    calls = [r.getMessage() for r in caplog.records if r.name == "medoffice.hooks"]
    assert any(m.startswith("call medoffice_permissions -> ") and "'hello'" in m for m in calls)
    assert any(m.startswith("call medoffice_nav_items -> ") and "'hello'" in m for m in calls)
    assert "done medoffice_nav_items" in calls


def test_hooks_are_not_traced_by_default(make_app, caplog):
    caplog.set_level(logging.INFO, logger="medoffice.hooks")
    make_app(plugins=["hello"])
    assert not [r for r in caplog.records if r.name == "medoffice.hooks"]


def test_a_failing_migration_refuses_the_enable_and_leaves_nothing_behind(make_app):
    from fixtures_plugins import bad_migration

    app = make_app(plugins=["hello"], extra=[bad_migration], enabled=["hello"])
    admin = login(app.test_client(), "admin")
    response = admin.post("/admin/plugins/bad_migration/enable", follow_redirects=True)
    assert response.status_code == 200
    assert "bad_migration cannot be enabled: a migration failed" in text(response)
    assert "cannot be converted" in text(response)
    assert enabled_names(app) == {"core", "hello"}
    with connected(app):
        assert not db.table_exists("bad_migration_half")
    assert admin.get("/hello/").status_code == 200


# --- the contract -------------------------------------------------------------------------------

def test_the_contract_passes_for_hello_and_lists_every_broken_rule(make_app):
    from fixtures_plugins import shoddy
    from medoffice.testing import contract_problems

    app = make_app(plugins=["hello"], extra=[shoddy])
    assert contract_problems(app, "hello") == []
    problems = contract_problems(app, "shoddy")
    expected = [
        "migrations do not produce the models exactly",
        "nav item 'Lost': endpoint 'shoddy.nowhere' does not resolve",
        "nav item 'Secret' uses undeclared permission 'shoddy.undeclared.view'",
        "widget 'shoddy.card': endpoint 'shoddy.card_view' does not exist",
        "route /shoddy/open (shoddy.open_view) declares no permission",
        "route /shoddy/secret uses undeclared permission 'shoddy.secret.view'",
        "route /shoddy/peek changes data but its permission 'shoddy.things.peek' is break_glass",
        "template page.html is not under templates/shoddy/",
        "job 'shoddy.nightly': func is not callable",
        "job 'shoddy.nightly': trigger must be 'cron' or 'interval'",
        "job 'shoddy.nightly': no schedule",
        "report 'shoddy.list': run is not callable",
        "report 'shoddy.list' uses undeclared permission 'shoddy.reports.view'",
        "report 'shoddy.list': parameter names must be unique snake_case",
    ]
    for problem in expected:
        assert any(p.startswith(problem) for p in problems), f"contract missed: {problem}\n{problems}"
    assert len(problems) == len(expected)

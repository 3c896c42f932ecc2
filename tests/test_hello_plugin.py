"""The example plugin (examples/hello-plugin): discovered, contract-clean, and working end to end."""
from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import random

import pytest
from click.testing import CliRunner

from fixtures_plugins import listener, write_instance_config
from medoffice import DemoContext
from medoffice.cli import main as cli
from medoffice.db import db
from medoffice.plugins import ENTRY_POINT_GROUP, PluginHost
from medoffice.testing import login, plugin_contract_test, practice_today

test_hello_contract = plugin_contract_test("hello", plugins=["hello"])


@contextlib.contextmanager
def connected(app):
    """An app context with the database connected (closed again afterwards)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            yield
        finally:
            db.close()


@pytest.fixture
def hello_app(make_app):
    return make_app(plugins=["hello"])


@pytest.fixture
def admin(hello_app):
    return login(hello_app.test_client(), "admin")


def text(response) -> str:
    return response.get_data(as_text=True)


def at(day: str, hour: int = 12) -> dt.datetime:
    """An aware UTC timestamp on ``day`` at ``hour``."""
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), tzinfo=dt.timezone.utc)


def test_installed_distribution_is_discovered_through_its_entry_point():
    (ep,) = [e for e in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP) if e.name == "hello"]
    assert ep.value == "medoffice_hello.plugin"
    assert ep.dist.name == "medoffice-hello"
    host = PluginHost(only=["hello"])
    plugin = host.plugins["hello"]
    assert plugin.ok and plugin.source == "entry point medoffice_hello.plugin"
    assert (plugin.info.title, plugin.info.version) == ("Hello", "1.0.0")
    assert [p.name for p in host.ordered()] == ["core", "hello"]


def test_enabled_on_first_boot_with_nav_page_widget_and_static(admin):
    home = admin.get("/").get_data(as_text=True)
    assert 'href="/hello/"' in home and ">Greetings</a>" in home
    assert 'hx-get="/hello/widget"' in home
    page = admin.get("/hello/")
    assert page.status_code == 200
    assert "No greetings yet" in page.get_data(as_text=True)
    assert 'src="/static/plugins/hello/wave.svg"' in page.get_data(as_text=True)
    icon = admin.get("/static/plugins/hello/wave.svg")
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data


def test_turning_the_plugin_off_and_on_takes_its_menu_entry_and_settings_with_it(hello_app, admin):
    def shown():
        home = admin.get("/").get_data(as_text=True)
        settings_page = admin.get("/admin/settings").get_data(as_text=True)
        return ">Greetings</a>" in home, "Longest greeting (characters)" in settings_page

    assert shown() == (True, True)
    with connected(hello_app):
        hello_app.extensions["medoffice"].disable("hello", by="test")
    assert shown() == (False, False)
    with connected(hello_app):
        hello_app.extensions["medoffice"].enable("hello", by="test")
    assert shown() == (True, True)


def test_adding_a_greeting_saves_audits_and_notifies_listeners(make_app):
    listener.heard.clear()
    app = make_app(plugins=["hello"], extra=[listener])
    admin = login(app.test_client(), "admin")
    response = admin.post("/hello/", data={"message": "  Good morning, team!  "})
    assert response.status_code == 302 and response.headers["Location"] == "/hello/"
    page = admin.get("/hello/").get_data(as_text=True)
    assert "Greeting saved." in page and "Good morning, team!" in page and "1 greeting<" in page
    from medoffice.models import AuditEvent
    from medoffice_hello.models import Greeting

    with connected(app):
        greeting = Greeting.get()
        assert greeting.message == "Good morning, team!"
        assert greeting.created_at.tzinfo is not None
        event = AuditEvent.get(AuditEvent.action == "hello.greeting.create")
        assert event.object_id == str(greeting.id)
    assert listener.heard == [(greeting.id, "Good morning, team!")]


def test_invalid_greetings_get_inline_errors_and_nothing_is_saved(make_app):
    app = make_app(plugins=["hello"])
    admin = login(app.test_client(), "admin")
    empty = admin.post("/hello/", data={"message": "   "})
    assert empty.status_code == 422
    assert 'id="message-error"' in empty.get_data(as_text=True)
    assert "Write a greeting." in empty.get_data(as_text=True)
    too_long = admin.post("/hello/", data={"message": "x" * 281})
    assert too_long.status_code == 422
    assert "Keep it to 280 characters or fewer." in too_long.get_data(as_text=True)
    from medoffice import settings
    from medoffice_hello.models import Greeting

    with connected(app):
        assert Greeting.select().count() == 0
        settings.set_many({"hello.max_length": 500})
    assert admin.post("/hello/", data={"message": "x" * 281}).status_code == 302


def test_roles_see_and_edit_greetings_as_declared(hello_app):
    front_desk = login(hello_app.test_client(), "front_desk")
    assert front_desk.post("/hello/", data={"message": "Hi"}).status_code == 302
    hr = login(hello_app.test_client(), "hr")
    assert hr.get("/hello/").status_code == 200
    assert hr.post("/hello/", data={"message": "Hi"}).status_code == 403
    auditor = login(hello_app.test_client(), "auditor")
    assert auditor.get("/hello/").status_code == 403
    assert "/hello/" not in auditor.get("/").get_data(as_text=True)
    assert hello_app.test_client().get("/hello/").status_code == 302  # anonymous: to login


def test_today_item_until_someone_greets_and_widget_counts(admin):
    assert "Say good morning" in admin.get("/today").get_data(as_text=True)
    assert "<strong>0</strong> greetings today" in admin.get("/hello/widget").get_data(as_text=True)
    admin.post("/hello/", data={"message": "Morning!"})
    assert "Say good morning" not in admin.get("/today").get_data(as_text=True)
    widget = admin.get("/hello/widget").get_data(as_text=True)
    assert "<strong>1</strong> greeting today" in widget and "Morning!" in widget


def test_report_counts_per_day_in_sql_with_a_bar_chart(hello_app):
    from medoffice_hello.models import Greeting

    host = hello_app.extensions["medoffice"].host
    (report,) = [r for r in host.call("medoffice_reports") if r.id == "hello.per_day"]
    with connected(hello_app):
        Greeting.insert_many([
            {"message": "a", "created_at": at("2026-03-01", 8)},
            {"message": "b", "created_at": at("2026-03-01", 23)},
            {"message": "c", "created_at": at("2026-03-03")},
            {"message": "outside", "created_at": at("2026-03-05")},
        ]).execute()
        result = report.run(start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 4))
    assert result.rows == [{"day": dt.date(2026, 3, 1), "greetings": 2},
                           {"day": dt.date(2026, 3, 3), "greetings": 1}]
    assert result.totals == {"greetings": 3}
    assert [c.key for c in result.columns] == ["day", "greetings"]
    assert (result.chart.kind, result.chart.x, result.chart.series) == ("bar", "day", ("greetings",))


def test_report_page_csv_and_range_check(hello_app, admin):
    from medoffice_hello.models import Greeting

    with connected(hello_app):
        Greeting.insert_many([{"message": "a", "created_at": at("2026-03-01")},
                              {"message": "b", "created_at": at("2026-03-02")},
                              {"message": "c", "created_at": at("2026-03-02")}]).execute()
    assert "Greetings per day" in text(admin.get("/reports"))
    page = admin.get("/reports/hello.per_day?start=2026-03-01&end=2026-03-31&run=1")
    assert page.status_code == 200
    assert 'class="report-chart"' in text(page) and 'alt="Greetings per day;' in text(page)
    csv = text(admin.get("/reports/hello.per_day.csv?start=2026-03-01&end=2026-03-31"))
    assert csv.splitlines()[:3] == ["Day,Greetings", "2026-03-01,1", "2026-03-02,2"]
    backwards = admin.get("/reports/hello.per_day?start=2026-03-31&end=2026-03-01&run=1")
    assert backwards.status_code == 422
    assert "The end date must be on or after the start date." in text(backwards)


def test_job_reports_counts_and_demo_data_and_doctor(hello_app):
    from medoffice.db import utcnow
    from medoffice_hello.models import Greeting

    host = hello_app.extensions["medoffice"].host
    (job,) = [j for j in host.call("medoffice_jobs") if j.id == "hello.count"]
    with connected(hello_app):
        assert job.func() == "0 greetings in all, 0 in the last 24 hours."
        host.call("medoffice_demo_data", ctx=DemoContext("small", random.Random(7), practice_today()))
        assert Greeting.select().count() == 12
        Greeting.create(message="old", created_at=utcnow() - dt.timedelta(days=60))
        recent = Greeting.select().where(Greeting.created_at >= utcnow() - dt.timedelta(hours=24)).count()
        assert job.func() == f"13 greetings in all, {recent} in the last 24 hours."
        checks = {c.name: c for c in host.call("medoffice_doctor_checks")}
        assert checks["hello.clock"].status == "ok"
        Greeting.create(message="from the future", created_at=utcnow() + dt.timedelta(days=1))
        checks = {c.name: c for c in host.call("medoffice_doctor_checks")}
        assert checks["hello.clock"].status == "warn" and "1 greetings" in checks["hello.clock"].message


def test_cli_group_adds_and_counts_and_refuses_while_disabled(hello_app):
    instance = write_instance_config(hello_app)
    runner = CliRunner()
    added = runner.invoke(cli, ["--instance", str(instance), "hello", "add", "From the command line"])
    assert added.exit_code == 0, added.output
    assert "Saved greeting" in added.output
    counted = runner.invoke(cli, ["--instance", str(instance), "hello", "count", "--json"])
    assert counted.exit_code == 0 and '"greetings": 1' in counted.output
    assert runner.invoke(cli, ["--instance", str(instance), "hello", "add", "  "]).exit_code == 1
    assert runner.invoke(cli, ["--instance", str(instance), "plugins", "disable", "hello"]).exit_code == 0
    refused = runner.invoke(cli, ["--instance", str(instance), "hello", "count"])
    assert refused.exit_code == 1 and "the hello module is turned off" in refused.output


def test_a_theme_overrides_the_plugin_template(hello_app, admin):
    from medoffice import settings

    override = hello_app.instance_path + "/themes/plain/templates/hello/greetings.html"
    import pathlib

    path = pathlib.Path(override)
    path.parent.mkdir(parents=True)
    path.write_text("{% extends layout_template %}{% block content %}<h1>Plain greetings</h1>{% endblock %}")
    assert "Plain greetings" not in admin.get("/hello/").get_data(as_text=True)
    with connected(hello_app):
        settings.set_many({"core.theme": "plain"})
        hello_app.extensions["medoffice"].bump()
    assert "Plain greetings" in admin.get("/hello/").get_data(as_text=True)


def test_a_greeting_publishes_its_durable_event_to_subscribers(make_app):
    import types

    from medoffice import PluginInfo, hookimpl
    from medoffice.events import Subscription
    from medoffice_hello.models import Greeting

    heard = []
    board = types.ModuleType("board")
    board.__file__ = __file__
    board.PLUGIN = PluginInfo("board", "Notice board")
    board.medoffice_event_subscriptions = hookimpl(lambda: [
        Subscription("board.greetings", ["hello.greeting_added"], lambda event: heard.append(event.data))])
    app = make_app(plugins=["hello"], extra=[board])
    admin = login(app.test_client(), "admin")
    assert admin.post("/hello/", data={"message": "Good morning!"}).status_code == 302
    with connected(app):
        greeting = Greeting.get()
    assert heard == [{"greeting_id": greeting.id, "message": "Good morning!", "created_at": greeting.created_at}]

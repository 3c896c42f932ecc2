"""Every numeric setting has a declared range: saving outside it is refused with a message, and a bad
value already stored (written straight into the database) is read as the default, so login keeps
working, and ``medoffice doctor`` reports it (issue 9, item 6)."""
from __future__ import annotations

import json

import pytest

from medoffice import SettingSpec, settings
from medoffice.db import db
from medoffice.doctor import run_checks
from medoffice.models import AuditEvent, Setting
from medoffice.testing import create_test_user, login

HUGE = 10_000_000_000_000


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def settings_form(client) -> dict:
    from test_settings_themes import current_form
    return current_form(client)


def test_a_numeric_setting_must_declare_a_range_and_a_valid_default():
    with pytest.raises(ValueError, match="declare its range"):
        SettingSpec("x.days", "Days", kind="int", default=3)
    with pytest.raises(ValueError, match="declare its range"):
        SettingSpec("x.fee", "Fee", kind="cents", default=300, minimum=500, maximum=100)
    with pytest.raises(ValueError, match="default 90 is invalid"):
        SettingSpec("x.days", "Days", kind="int", default=90, minimum=1, maximum=30)
    with pytest.raises(ValueError, match="only int and cents"):
        SettingSpec("x.name", "Name", minimum=1, maximum=2)
    days = SettingSpec("x.days", "Days", kind="int", default=3, minimum=1, maximum=30)
    assert [days.problem(v) for v in (1, 30, 0, 31, True, "3", None)] == [
        None, None, "Use a whole number from 1 to 30.", "Use a whole number from 1 to 30.",
        "Enter a whole number.", "Enter a whole number.", "Enter a whole number."]
    fee = SettingSpec("x.fee", "Fee", kind="cents", default=500, minimum=0, maximum=100_000)
    assert fee.problem(100_001) == "Use an amount from $0.00 to $1,000.00."


def test_every_declared_numeric_setting_has_a_range(app):
    def numeric():
        return [s for s in settings.specs().values() if s.kind in ("int", "cents")]
    specs = in_db(app, numeric)
    assert {s.name for s in specs} >= {"core.lockout_minutes", "core.idle_timeout_minutes"}
    assert all(s.minimum is not None and s.maximum is not None for s in specs)


def test_saving_a_huge_lockout_is_refused_with_a_message(app):
    admin = login(app.test_client(), "admin")
    form = settings_form(admin)
    form["core.lockout_minutes"] = str(HUGE)
    response = admin.post("/admin/settings", data=form)
    assert response.status_code == 422
    assert "Use a whole number from 1 to 10,080." in response.get_data(as_text=True)

    def stored():
        return (Setting.select().where(Setting.name == "core.lockout_minutes").count(),
                AuditEvent.select().where(AuditEvent.action == "settings.update").count())
    assert in_db(app, stored) == (0, 0)

    def through_the_api():
        with pytest.raises(settings.SettingError, match=r"core\.lockout_minutes.*1 to 10,080"):
            settings.set_many({"core.practice_name": "Changed", "core.lockout_minutes": HUGE})
        return settings.get("core.practice_name"), Setting.select().count()
    assert in_db(app, through_the_api) == ("My Practice", 0)  # nothing of the batch was written


def test_bad_stored_values_fall_back_to_defaults_login_works_and_doctor_reports_them(app):
    def write_directly():
        Setting.insert_many([
            {"name": "core.lockout_minutes", "value": json.dumps(HUGE)},
            {"name": "core.login_window_minutes", "value": "not json"},
            {"name": "core.idle_timeout_minutes", "value": json.dumps("forever")},
            {"name": "core.timezone", "value": json.dumps("Mars/Olympus_Mons")},
        ]).execute()
        return [settings.get(n) for n in ("core.lockout_minutes", "core.login_window_minutes",
                                          "core.idle_timeout_minutes", "core.timezone")]
    assert in_db(app, write_directly) == [15, 15, 15, "America/New_York"]

    name = create_test_user(app, ("admin",))
    client = app.test_client()
    answers = [client.post("/login", data={"username": name, "password": "wrong guess"}).status_code
               for _ in range(6)]
    assert answers == [401, 401, 401, 401, 429, 429]  # the lock lasts core.lockout_minutes: the default
    admin = login(app.test_client(), "admin")
    assert admin.get("/").status_code == 200 and admin.get("/admin/settings").status_code == 200

    checks = {c.name: c for c in run_checks(app)}
    assert checks["settings"].status == "warn"
    message = checks["settings"].message
    for name in ("core.lockout_minutes", "core.login_window_minutes", "core.idle_timeout_minutes", "core.timezone"):
        assert name in message
    assert "1 to 10,080" in message and "not valid JSON" in message


def test_doctor_is_quiet_when_every_stored_setting_is_valid(app):
    in_db(app, lambda: settings.set_many({"core.lockout_minutes": 30}))
    checks = {c.name: c for c in run_checks(app)}
    assert (checks["settings"].status, checks["settings"].message) == ("ok", "every stored setting is valid")


def test_a_stored_value_is_checked_again_once_a_module_declaring_it_is_turned_on(make_app):
    app = make_app(plugins=["hello"])
    runtime = app.extensions["medoffice"]

    def scenario():
        runtime.disable("hello", by="test")
        Setting.insert(name="hello.max_length", value=json.dumps(5000)).execute()
        undeclared = settings.get("hello.max_length"), settings.get("hello.max_length")  # no spec: read as stored
        runtime.enable("hello", by="test")
        return undeclared, settings.get("hello.max_length")  # its spec (1 to 2,000) refuses it: the default
    assert in_db(app, scenario) == ((5000, 5000), 280)

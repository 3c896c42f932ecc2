"""Demo data: the small set loads once through every enabled plugin (core first), the bulk path
works in batches, and ``demo-instance`` gives ``make run`` a ready instance."""
from __future__ import annotations

import datetime as dt
import random
import types
from pathlib import Path

import pytest
from click.testing import CliRunner
from stdnum import luhn

from medoffice import DemoContext, PluginInfo, config, hookimpl
from medoffice.cli import main
from medoffice.db import db
from medoffice.demo import (DEMO_PASSWORD, MARKER, AlreadyLoaded, DemoRefused, create_patients,
                            load_demo, npi_with_check_digit)
from medoffice.models import Location, Patient, Setting, StaffMember, User
from medoffice.auth.passwords import policy_problems

SEEN_BY_PLUGIN = []


def demo_plugin(name, hook):
    """A plugin module whose demo-data hook calls ``hook(ctx)``."""
    module = types.ModuleType(f"{name}_plugin")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name=name, title=name.title())

    @hookimpl
    def medoffice_demo_data(ctx):
        hook(ctx)

    module.medoffice_demo_data = medoffice_demo_data
    return module


def _record_core_state(ctx):
    SEEN_BY_PLUGIN.append((ctx.size, Patient.select().count(), StaffMember.select().count()))


def _broken(ctx):
    raise RuntimeError("the demo hook of this plugin is broken")


recording_plugin = demo_plugin("demotest", _record_core_state)
broken_plugin = demo_plugin("demobroken", _broken)


def _in_app(app, func):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return func()
        finally:
            db.close()


def run_cli(instance: Path, database_url, *args, env=None):
    env = dict(env or {})
    if database_url:
        env["MEDOFFICE_DATABASE_URL"] = database_url
    return CliRunner().invoke(main, ["--instance", str(instance), *args], env=env)


def test_npi_check_digit_is_the_cms_luhn_digit():
    assert npi_with_check_digit("123456789") == "1234567893"  # the CMS example
    assert luhn.is_valid("80840" + npi_with_check_digit("987654321"))


def test_small_demo_loads_core_first_and_only_once(make_app):
    SEEN_BY_PLUGIN.clear()
    app = make_app(plugins=[], extra=[recording_plugin])
    assert load_demo(app, "small") == ["core", "demotest"]
    assert SEEN_BY_PLUGIN == [("small", 60, 8)]  # the plugin ran after core's data existed

    def facts():
        providers = list(StaffMember.select().where(StaffMember.is_provider == True))  # noqa: E712
        users = {u.username: u for u in User.select()}
        return {
            "patients": Patient.select().count(),
            "accounts": Patient.select().where(Patient.account_number.startswith("P")).count(),
            "locations": [loc.name for loc in Location.select().order_by(Location.id)],
            "staff": StaffMember.select().count(),
            "providers": [(p.npi, p.taxonomy) for p in providers],
            "practice": Setting.get(Setting.name == "core.practice_name").value,
            "npi": Setting.get(Setting.name == "core.practice_npi").value,
            "users": sorted(users),
            "linked": all(users[n].staff_id for n in ("frontdesk", "biller", "manager")),
        }

    facts_before = _in_app(app, facts)
    assert facts_before["patients"] == 60 == facts_before["accounts"]
    assert facts_before["locations"] == ["Riverside Main Clinic", "Riverside North Clinic"]
    assert facts_before["staff"] == 8 and len(facts_before["providers"]) == 4
    for npi, taxonomy in facts_before["providers"]:
        assert len(npi) == 10 and luhn.is_valid("80840" + npi)
        assert len(taxonomy) == 10 and taxonomy.endswith("X")
    assert facts_before["practice"] == '"Riverside Family Medicine"' and facts_before["npi"] == '"1234567893"'
    assert facts_before["users"] == ["biller", "frontdesk", "manager"] and facts_before["linked"]

    with pytest.raises(AlreadyLoaded):
        load_demo(app, "small")
    assert _in_app(app, facts) == facts_before
    assert SEEN_BY_PLUGIN == [("small", 60, 8)]


def test_postgresql_plans_with_the_demo_rows_once_loaded(request, medoffice_database_url):
    if medoffice_database_url is None:
        pytest.skip("PostgreSQL's planner statistics (SQLite plans without any)")
    app = request.getfixturevalue("make_app")(plugins=[])
    load_demo(app, "small")
    known = _in_app(app, lambda: db.execute_sql(
        "SELECT reltuples FROM pg_class WHERE relname = 'core_patient'").fetchone()[0])
    assert known == 60  # analyzed, not the planner's guess for a table never analyzed (-1)
    vacuumed = _in_app(app, lambda: db.execute_sql(
        "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'core_patient'").fetchone()[0])
    assert vacuumed  # so counts answered from an index read the index alone


def test_demo_logins_work_with_their_roles(make_app):
    app = make_app(plugins=[])
    load_demo(app, "small")
    assert policy_problems(DEMO_PASSWORD, "frontdesk", "Luis Ortega") == []
    for username, allowed, denied in [("frontdesk", "/patients", "/admin/jobs"),
                                      ("manager", "/admin/jobs", "/admin/plugins"),
                                      ("biller", "/patients", "/admin/jobs")]:
        client = app.test_client()
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get(allowed).status_code == 200, (username, allowed)
        assert client.get(denied).status_code == 403, (username, denied)


def test_demo_data_never_mixes_with_real_patients(make_app):
    app = make_app(plugins=[])
    _in_app(app, lambda: Patient.create(account_number="P0000001", first_name="Real", last_name="Person",
                                        date_of_birth=dt.date(1980, 1, 2)))
    with pytest.raises(DemoRefused, match="already holds 1 patients"):
        load_demo(app, "small")
    config.write_new(Path(app.instance_path))
    result = run_cli(Path(app.instance_path), app.config.get("DATABASE_URL"), "demo")
    assert result.exit_code == 1 and "demo data refused" in result.output
    assert _in_app(app, lambda: (Patient.select().count(), StaffMember.select().count())) == (1, 0)


def test_a_failing_plugin_leaves_nothing_half_written(make_app):
    app = make_app(plugins=[], extra=[broken_plugin])
    with pytest.raises(RuntimeError):
        load_demo(app, "small")
    counts = _in_app(app, lambda: (Patient.select().count(), StaffMember.select().count(),
                                   Setting.select().where(Setting.name == MARKER).count()))
    assert counts == (0, 0, 0)


def test_bulk_path_inserts_in_batches(make_app, monkeypatch):
    app = make_app(plugins=[])
    batches = []
    original = Patient.insert_many.__func__

    def counting_insert_many(cls, rows, fields=None):
        batches.append(len(rows))
        return original(cls, rows, fields)

    monkeypatch.setattr(Patient, "insert_many", classmethod(counting_insert_many))

    def bulk():
        location = Location.create(name="Bulk clinic")
        ctx = DemoContext(size="large", rng=random.Random(7), today=dt.date(2026, 3, 1))
        created = create_patients(ctx, 2500, [location.id], [], batch_size=1000)
        numbers = [p.account_number for p in Patient.select(Patient.account_number).order_by(Patient.id)]
        births = Patient.select().where(Patient.date_of_birth > ctx.today).count()
        return created, numbers, births

    created, numbers, births = _in_app(app, bulk)
    assert created == 2500 and batches == [1000, 1000, 500]
    assert numbers == [f"P{n:07d}" for n in range(1, 2501)] and births == 0


def test_demo_instance_sets_up_a_ready_instance(tmp_path, medoffice_database_url):
    instance = tmp_path / "demo"
    first = run_cli(instance, medoffice_database_url, "demo-instance", "--size", "small", "--admin-user", "admin",
                    env={"MEDOFFICE_ADMIN_PASSWORD": None})
    assert first.exit_code == 0, first.output
    assert (instance / config.CONFIG_NAME).exists()
    assert "WARNING" in first.output and DEMO_PASSWORD in first.output
    assert "Loaded the small demo data" in first.output and "60 patients" in first.output
    assert "Open http://127.0.0.1:8400/ and log in as admin" in first.output

    again = run_cli(instance, medoffice_database_url, "demo-instance", "--admin-user", "admin")
    assert again.exit_code == 0 and "not loaded again" in again.output and "Created" not in again.output
    demo_again = run_cli(instance, medoffice_database_url, "demo")
    assert demo_again.exit_code == 0 and "not loaded again" in demo_again.output

    from medoffice import create_app

    overrides = {"DATABASE_URL": medoffice_database_url} if medoffice_database_url else {}
    app = create_app(instance, WTF_CSRF_ENABLED=False, **overrides)
    client = app.test_client()
    assert client.post("/login", data={"username": "admin", "password": DEMO_PASSWORD}).status_code == 302
    assert client.get("/admin/jobs").status_code == 200
    assert _in_app(app, lambda: Patient.select().count()) == 60


def test_demo_instance_takes_the_admin_password_from_the_environment(tmp_path, medoffice_database_url):
    instance = tmp_path / "demo"
    config.write_new(instance, plugins=[])  # an existing instance (core only) is kept as it is
    weak = run_cli(instance, medoffice_database_url, "demo-instance", env={"MEDOFFICE_ADMIN_PASSWORD": "short"})
    assert weak.exit_code == 1 and "MEDOFFICE_ADMIN_PASSWORD refused" in weak.output
    chosen = run_cli(instance, medoffice_database_url, "demo-instance",
                     env={"MEDOFFICE_ADMIN_PASSWORD": "Harbor-lantern-quiet-71"})
    assert chosen.exit_code == 0 and "WARNING" not in chosen.output
    assert "with the password in MEDOFFICE_ADMIN_PASSWORD" in chosen.output
    assert "Created instance" not in chosen.output and "(core)" in chosen.output

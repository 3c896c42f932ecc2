"""``medoffice doctor``: passes on a fresh instance, fails (exit 1) on a broken audit chain, a
pending migration or a full disk, and takes plugins' checks through the hook."""
from __future__ import annotations

import json
import shutil
import types
from collections import namedtuple
from pathlib import Path

from click.testing import CliRunner
from fixtures_plugins import write_instance_config

from medoffice import CheckResult, PluginInfo, audit, config, hookimpl
from medoffice.cli import main
from medoffice.db import db
from medoffice.doctor import DISK_FAIL_BYTES, DISK_WARN_BYTES, has_failures, run_checks
from medoffice.models import AuditEvent
from medoffice.testing import login

Usage = namedtuple("Usage", "total used free")


def checks_plugin(name, checks):
    """A plugin module whose doctor checks hook calls ``checks()``."""
    module = types.ModuleType(f"{name}_plugin")
    module.__file__ = __file__
    module.PLUGIN = PluginInfo(name=name, title=name.title())

    @hookimpl
    def medoffice_doctor_checks():
        return checks()

    module.medoffice_doctor_checks = medoffice_doctor_checks
    return module


def _unmounted():
    raise OSError("the share is not mounted")


failing_plugin = checks_plugin("doctortest", lambda: [CheckResult("doctortest.inbox", "fail", "3 files stuck")])
raising_plugin = checks_plugin("doctorboom", _unmounted)


def run_cli(app, *args):
    instance = Path(app.instance_path)
    if not (instance / config.CONFIG_NAME).exists():
        write_instance_config(app)  # the app's own keys: the audit trail is keyed from the backup key
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    return CliRunner().invoke(main, ["--instance", str(instance), *args], env=env)


def _in_app(app, func):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return func()
        finally:
            db.close()


def _by_name(results):
    return {r.name: r for r in results}


def test_fresh_instance_passes(make_app):
    app = make_app(plugins=[])
    results = _by_name(run_checks(app))
    for name in ("database", "database integrity", "migrations", "audit chain", "disk space", "modules"):
        assert results[name].status == "ok", results[name]
    assert "core" in results["migrations"].message
    assert not has_failures(results.values())

    result = run_cli(app, "doctor")
    assert result.exit_code == 0, result.output
    assert "OK    audit chain:" in result.output and "FAIL" not in result.output


def test_broken_audit_chain_fails_with_exit_1(make_app):
    app = make_app(plugins=[])

    def tamper():
        for n in range(3):
            audit.record("test.event", "thing", n)
        AuditEvent.update(action="test.edited").where(AuditEvent.seq == 2).execute()

    _in_app(app, tamper)
    result = run_cli(app, "doctor", "--json")
    assert result.exit_code == 1
    checks = {c["name"]: c for c in json.loads(result.output[result.output.index("["):])}
    assert checks["audit chain"] == {"name": "audit chain", "status": "fail", "message": "entry 2 was altered"}
    assert checks["database"]["status"] == "ok"  # the other checks still ran


def test_pending_migration_fails(make_app):
    app = make_app(plugins=[])
    _in_app(app, lambda: db.execute_sql("DELETE FROM core_migration_history WHERE name = '0002_core_task'"))
    results = _by_name(run_checks(app))
    assert results["migrations"].status == "fail"
    assert "core: 0002_core_task" in results["migrations"].message


def test_disk_space_thresholds(make_app, monkeypatch):
    app = make_app(plugins=[])
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 ** 12, 0, DISK_WARN_BYTES - 1))
    assert _by_name(run_checks(app))["disk space"].status == "warn"
    monkeypatch.setattr(shutil, "disk_usage", lambda path: Usage(10 ** 12, 0, DISK_FAIL_BYTES - 50 * 1024 ** 2))
    disk = _by_name(run_checks(app))["disk space"]
    assert disk.status == "fail" and "150 MB free" in disk.message


def test_plugin_checks_come_through_the_hook_and_a_raising_one_fails_alone(make_app):
    app = make_app(plugins=[], extra=[failing_plugin, raising_plugin])
    results = _by_name(run_checks(app))
    assert results["doctortest.inbox"].status == "fail"
    assert results["doctorboom checks"].status == "fail" and "OSError" in results["doctorboom checks"].message
    assert results["audit chain"].status == "ok"

    _in_app(app, lambda: (app.extensions["medoffice"].disable("doctortest"),
                          app.extensions["medoffice"].disable("doctorboom")))
    results = run_checks(app)
    assert not has_failures(results) and "doctortest.inbox" not in _by_name(results)


def test_admin_page_shows_the_checks(make_app):
    app = make_app(plugins=[], extra=[failing_plugin])
    admin = login(app.test_client(), "admin")
    page = admin.get("/admin/doctor").get_data(as_text=True)
    assert 'data-check="audit chain" data-status="ok"' in page
    assert 'data-check="doctortest.inbox" data-status="fail"' in page and "Some checks failed" in page
    assert login(app.test_client(), "front_desk").get("/admin/doctor").status_code == 403

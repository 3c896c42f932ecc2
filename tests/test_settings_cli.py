"""``medoffice settings``: IT reads and changes settings with the settings page's own checks."""
from __future__ import annotations

import json

import pytest

from click.testing import CliRunner

from medoffice import settings
from medoffice.cli import main
from medoffice.db import db
from medoffice.models import AuditEvent


def run(app, *args):
    return CliRunner().invoke(main, ["--instance", app.instance_path, *args])


@pytest.fixture(autouse=True)
def cli_uses_the_test_app(app, monkeypatch):
    monkeypatch.setattr("medoffice.cli.context.build_app", lambda ctx, **overrides: app)


def stored(app, name):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return settings.get(name)
        finally:
            db.close()


def test_set_applies_the_pages_rules_and_is_audited(app):
    refused = run(app, "settings", "set", "core.lockout_minutes", "10000000000000")
    assert refused.exit_code == 1 and "core.lockout_minutes" in refused.output
    assert stored(app, "core.lockout_minutes") == 15

    assert run(app, "settings", "set", "core.practice_npi", "1234567890").exit_code == 1  # bad check digit
    done = run(app, "settings", "set", "core.lockout_minutes", "30")
    assert done.exit_code == 0, done.output
    assert stored(app, "core.lockout_minutes") == 30
    with app.app_context():
        db.connect(reuse_if_open=True)
        entry = AuditEvent.select().where(AuditEvent.action == "settings.update").order_by(AuditEvent.id.desc()).get()
        assert entry.username == "cli"
        assert json.loads(entry.detail)["changed"] == {"core.lockout_minutes": {"before": 15, "after": 30}}
        db.close()
    assert run(app, "settings", "set", "core.no_such_thing", "1").exit_code == 1


def test_list_and_get(app):
    listed = run(app, "settings", "list", "--json")
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.output)}
    assert rows["core.lockout_minutes"]["value"] == 15 and rows["core.lockout_minutes"]["maximum"] is not None
    assert run(app, "settings", "get", "core.lockout_minutes").output.strip() == "15"
    assert run(app, "settings", "get", "core.nope").exit_code == 1

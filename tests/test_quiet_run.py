"""`make run` is quiet and its demo practice leaves the example plugin out (issue 17 item 18)."""
import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from medoffice.cli import QUIET_LOGGERS, main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def logger_levels():
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_migrations_and_scheduler_log_warnings_only_unless_verbose(logger_levels, tmp_path):
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    # A subcommand's --help runs the group's set-up first and stops before touching an instance.
    assert CliRunner().invoke(main, ["--instance", str(tmp_path), "users", "--help"]).exit_code == 0
    assert all(logging.getLogger(n).getEffectiveLevel() == logging.WARNING for n in QUIET_LOGGERS)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    CliRunner().invoke(main, ["--instance", str(tmp_path), "users", "--help"], env={"MEDOFFICE_VERBOSE": "1"})
    # Verbose: left to the root logger's INFO.
    assert all(logging.getLogger(n).level == logging.NOTSET for n in QUIET_LOGGERS)


def test_make_run_leaves_the_example_plugin_out_of_the_demo():
    run = re.search(r"^run:.*?(?=^\S)", (ROOT / "Makefile").read_text(), re.S | re.M).group(0)
    assert "demo-instance" in run and "--without hello" in run


def test_demo_instance_without_a_plugin_turns_it_off(tmp_path, medoffice_database_url):
    from medoffice import create_app
    from medoffice.db import db
    from medoffice.models import PluginState

    env = {"MEDOFFICE_ADMIN_PASSWORD": None}
    if medoffice_database_url:
        env["MEDOFFICE_DATABASE_URL"] = medoffice_database_url
    instance = tmp_path / "demo"
    result = CliRunner().invoke(main, ["--instance", str(instance), "demo-instance", "--without", "hello"], env=env)
    assert result.exit_code == 0, result.output
    loaded = re.search(r"Loaded the small demo data \(([^)]*)\)", result.output).group(1)
    assert "hello" not in loaded.split(", ") and "core" in loaded
    assert result.output.rstrip().splitlines()[-1].startswith("Open http://127.0.0.1:8400/ and log in as admin")
    overrides = {"DATABASE_URL": medoffice_database_url} if medoffice_database_url else {}
    app = create_app(instance, **overrides)
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            state = {p.name: p.enabled for p in PluginState.select()}
        finally:
            db.close()
    assert state.get("hello") is not True

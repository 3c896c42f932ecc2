"""``medoffice plugins new NAME`` writes a plugin distribution whose own tests and contract test pass
as generated, on SQLite and (with MEDOFFICE_TEST_DATABASE_URL) PostgreSQL.

The generated distribution is made importable and discoverable the way ``pip install -e`` would
(its folder on the path and a ``.dist-info`` with its entry point) without touching the .venv, and
its tests run in a separate pytest process through medoffice's pytest plugin, as its author would
run them.
"""
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from medoffice.testing_databases import database_name, with_database_name, worker_database_url
from medoffice.cli import main as cli


def install_in_place(root, name: str, package: str) -> None:
    """What ``pip install -e`` leaves for discovery: the distribution's metadata and entry point."""
    info = root / f"{package}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: medoffice-{name}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[medoffice.plugins]\n{name} = {package}.plugin\n")


@pytest.mark.slow
def test_a_generated_plugin_passes_its_own_tests_and_the_contract(tmp_path):
    result = CliRunner().invoke(cli, ["plugins", "new", "equipment", "--directory", str(tmp_path),
                                      "--title", "Equipment log"])
    assert result.exit_code == 0, result.output
    root = tmp_path / "medoffice-equipment"
    assert "turn equipment on on Admin → Modules" in result.output
    assert '[project.entry-points."medoffice.plugins"]\nequipment = "medoffice_equipment.plugin"' in \
        (root / "pyproject.toml").read_text()
    assert "Equipment log" in (root / "medoffice_equipment" / "plugin.py").read_text()
    install_in_place(root, "equipment", "medoffice_equipment")

    # The generated suite runs as a test run of its own: not as this xdist worker, and on a database
    # of its own (it creates, copies and drops its databases as this run does).
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_XDIST")}
    env["PYTHONPATH"] = os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])
    if worker_database_url():
        env["MEDOFFICE_TEST_DATABASE_URL"] = with_database_name(
            worker_database_url(), database_name(worker_database_url()) + "_scaffold")
    run = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA"],
                         cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    databases = ["sqlite"] + (["postgresql"] if os.environ.get("MEDOFFICE_TEST_DATABASE_URL") else [])
    for database in databases:
        assert f"PASSED tests/test_contract.py::test_contract[{database}]" in run.stdout
        assert f"PASSED tests/test_items.py::test_the_report_counts_the_items_added_per_day[{database}]" in run.stdout
    assert f"{5 * len(databases)} passed" in run.stdout


@pytest.mark.parametrize("name, message", [
    ("Equipment", "cannot be a plugin name"),
    ("e", "cannot be a plugin name"),
    ("equip-ment", "cannot be a plugin name"),
    ("core", "is reserved"),
])
def test_unusable_names_are_refused_with_the_reason(tmp_path, name, message):
    result = CliRunner().invoke(cli, ["plugins", "new", name, "--directory", str(tmp_path)])
    assert result.exit_code != 0 and message in result.output
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "medoffice-equipment").mkdir()
    (tmp_path / "medoffice-equipment" / "mine.txt").write_text("kept")
    result = CliRunner().invoke(cli, ["plugins", "new", "equipment", "--directory", str(tmp_path)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert [p.name for p in (tmp_path / "medoffice-equipment").iterdir()] == ["mine.txt"]

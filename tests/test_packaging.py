"""The front-end files the layout loads: found from the layout, recorded by `make assets`, verified at
start-up, by `medoffice doctor` and by /healthz, and required by the wheel build."""
from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from medoffice import assets, config
from medoffice.cli import main
from medoffice.doctor import run_checks
from medoffice.testing import repository_root

ROOT = repository_root()
HTMX = "vendor/htmx.min.js"


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of core's layout and static files that verify() checks instead of the installed ones."""
    copy = tmp_path / "medoffice"
    shutil.copytree(assets.PACKAGE_DIR / "static", copy / "static")
    (copy / assets.LAYOUT).parent.mkdir(parents=True)
    shutil.copyfile(assets.PACKAGE_DIR / assets.LAYOUT, copy / assets.LAYOUT)
    monkeypatch.setattr(assets, "PACKAGE_DIR", copy)
    return copy


def test_the_layouts_assets_are_read_from_the_layout():
    source = """<link href="{{ fixed_url('static', filename='css/site.css') }}">
    <script src="{{ url_for('static', filename="vendor/lib.js") }}"></script>
    <link href="{{ fixed_url('theme_static', filename='theme.css') }}">
    <img src="{{ fixed_url('static', filename=logo) }}"> {{ fixed_url('core.dashboard') }}"""
    assert assets.referenced_assets(source) == ["css/site.css", "vendor/lib.js"]
    real = assets.referenced_assets((assets.PACKAGE_DIR / assets.LAYOUT).read_text(encoding="utf-8"))
    assert HTMX in real and "css/medoffice.css" in real and "js/medoffice.js" in real


def test_this_checkout_has_its_assets_built():
    report = assets.verify()
    assert report.ok, report.summary()
    assert HTMX in report.checked and report.packages["htmx.org"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/htmx.org"]
    assert report.packages["htmx.org"] == locked["version"]


@pytest.mark.parametrize("damage, problem", [
    (lambda p: (p / "static" / HTMX).unlink(), f"static/{HTMX} is missing"),
    (lambda p: (p / "static" / HTMX).write_text("alert(1)"), f"static/{HTMX} was altered"),
    (lambda p: (p / "static" / assets.MANIFEST).unlink(), f"static/{assets.MANIFEST} is missing"),
    (lambda p: (p / "static" / "css" / "medoffice.css").unlink(), "static/css/medoffice.css is missing"),
], ids=["missing", "altered", "no manifest", "missing stylesheet"])
def test_verify_names_a_missing_or_altered_file(package_copy, damage, problem):
    damage(package_copy)
    report = assets.verify()
    assert not report.ok
    assert any(p.startswith(problem) for p in report.problems), report.problems
    assert "make dist" in report.summary() and "make assets" in report.summary()


def test_a_vendored_file_the_manifest_does_not_know_is_reported(package_copy):
    layout = package_copy / assets.LAYOUT
    layout.write_text(layout.read_text() + "{{ fixed_url('static', filename='vendor/extra.js') }}")
    (package_copy / "static" / "vendor" / "extra.js").write_text("1")
    assert assets.verify().problems == ["static/vendor/extra.js is not in the build manifest"]


def test_make_assets_copies_the_locked_files_and_records_them(tmp_path):
    root = tmp_path / "src"
    (root / "node_modules" / "lib" / "dist").mkdir(parents=True)
    (root / "node_modules" / "@org" / "ui").mkdir(parents=True)
    (root / "node_modules" / "lib" / "dist" / "lib.min.js").write_text("lib()")
    (root / "node_modules" / "@org" / "ui" / "ui.js").write_text("ui()")
    (root / "package.json").write_text(json.dumps(
        {"vendorFiles": {"lib.min.js": "lib/dist/lib.min.js", "ui.js": "@org/ui/ui.js"}}))
    (root / "package-lock.json").write_text(json.dumps({"packages": {
        "node_modules/lib": {"version": "1.2.3", "integrity": "sha512-x"},
        "node_modules/@org/ui": {"version": "4.0.0"}}}))
    static = tmp_path / "pkg" / "static"

    assets.vendor_from_npm(root, static)

    assert (static / "vendor" / "lib.min.js").read_text() == "lib()"
    manifest = json.loads((static / assets.MANIFEST).read_text())["files"]
    assert manifest["vendor/lib.min.js"]["version"] == "1.2.3"
    assert manifest["vendor/ui.js"]["package"] == "@org/ui"
    assert manifest["vendor/ui.js"]["sha256"] == assets.file_sha256(static / "vendor" / "ui.js")
    (static.parent / assets.LAYOUT).parent.mkdir(parents=True)
    (static.parent / assets.LAYOUT).write_text("{{ fixed_url('static', filename='vendor/ui.js') }}")
    assert assets.verify(static.parent).ok
    (static / "vendor" / "ui.js").write_text("evil()")
    assert assets.verify(static.parent).problems == ["static/vendor/ui.js was altered: its SHA-256 "
                                                     "does not match the build manifest"]


def _doctor(app):
    instance = Path(app.instance_path)
    if not (instance / config.CONFIG_NAME).exists():
        config.write_new(instance)
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    return CliRunner().invoke(main, ["--instance", str(instance), "doctor"], env=env)


def test_doctor_and_health_check_pass_with_the_assets(make_app):
    app = make_app(plugins=[])
    results = {r.name: r for r in run_checks(app)}
    assert results["front-end files"].status == "ok"
    assert "htmx.org" in results["front-end files"].message
    assert app.test_client().get("/healthz").json == {"status": "ok"}


def test_doctor_and_health_check_fail_on_a_missing_asset(make_app, package_copy, caplog):
    (package_copy / "static" / HTMX).unlink()
    with caplog.at_level(logging.ERROR, logger="medoffice.assets"):
        app = make_app(plugins=[])  # start-up goes on, loudly
    assert "FRONT-END FILES MISSING OR ALTERED" in caplog.text and HTMX in caplog.text

    results = {r.name: r for r in run_checks(app)}
    assert results["front-end files"].status == "fail"
    assert f"static/{HTMX} is missing" in results["front-end files"].message
    result = _doctor(app)
    assert result.exit_code == 1 and "FAIL  front-end files" in result.output

    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "front-end files missing or altered",
                             "problems": [f"static/{HTMX} is missing"]}


def test_health_check_fails_on_an_altered_asset(make_app, package_copy):
    app = make_app(plugins=[])
    (package_copy / "static" / HTMX).write_text("window.htmx = undefined")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["problems"] == [f"static/{HTMX} was altered: its SHA-256 does not match the build manifest"]


@pytest.mark.slow
def test_a_wheel_is_not_built_without_the_assets(tmp_path):
    """The real build (isolated, as pip and `make dist` run it) of a checkout that never ran `make assets`."""
    source = tmp_path / "checkout"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "MANIFEST.in"):
        shutil.copyfile(ROOT / name, source / name)
    shutil.copytree(ROOT / "tools", source / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "core", source / "core",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "vendor"))
    out = tmp_path / "out"

    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)],
                           capture_output=True, text=True, timeout=300)

    assert built.returncode != 0
    assert "medoffice cannot be built without its front-end files" in built.stderr + built.stdout
    assert f"static/{assets.MANIFEST} is missing" in built.stderr + built.stdout
    assert "make assets" in built.stderr + built.stdout
    assert not list(out.glob("*.whl"))

"""The instance folder is 0700 and every file medoffice makes in it 0600, whatever the umask;
``medoffice doctor`` reports anything wider, with the command that fixes it."""
from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from medoffice import backup, config, filemodes, migrate, tls
from medoffice.cli import main
from medoffice.db import db, is_sqlite
from medoffice.doctor import run_checks
from medoffice.models import Patient
from medoffice.scheduler import SchedulerLock

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def umask_022():
    """The usual default umask, under which files are created world-readable unless made private."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_everything_created_in_the_instance_is_private(make_app, tmp_path):
    instance = tmp_path / "office"
    config.write_new(instance)
    assert mode(instance) == 0o700 and mode(instance / config.CONFIG_NAME) == 0o600
    app = make_app(instance=instance)  # first boot: migrations, plugin migrations (with a pre-migrate copy)
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            Patient.create(account_number="A1", first_name="Ann", last_name="Lee", date_of_birth="1980-02-03")
            if is_sqlite():
                database = Path(db.obj.database)
                wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
                assert wal.exists() and shm.exists()  # made by SQLite itself, while connected
                assert (mode(database), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
                copy = migrate.sqlite_snapshot(instance / "pre-migrate", "pre-migrate")
                assert mode(copy) == 0o600 and mode(copy.parent) == 0o700
            archive = Path(backup.create_backup("manual").path)
            assert mode(archive) == 0o600
        finally:
            db.close()
    with backup.serving(instance):
        assert all(mode(lock) == 0o600 for lock in (instance / "run").glob("*.lock"))
    scheduler = SchedulerLock(instance, None)
    scheduler.acquire()
    scheduler.release()
    cert, key, _made = tls.ensure_self_signed(instance, "127.0.0.1")
    assert (mode(cert), mode(key), mode(cert.parent)) == (0o600, 0o600, 0o700)
    assert filemodes.too_open([instance]) == []
    checks = {c.name: c for c in run_checks(app)}
    assert checks["file permissions"].status == "ok", checks["file permissions"]


def test_doctor_reports_wider_modes_with_the_fix(make_app, tmp_path):
    instance = tmp_path / "office"
    config.write_new(instance)
    app = make_app(plugins=[], instance=instance)
    loose = instance / "backups" / "pre-migrate-20250101T000000000000Z.sqlite3"
    loose.parent.mkdir(exist_ok=True)
    loose.write_bytes(b"SQLite format 3\x00")  # written 0644 under umask 022
    instance.chmod(0o755)
    check = {c.name: c for c in run_checks(app)}["file permissions"]
    assert check.status == "fail"
    assert f"{instance} (755)" in check.message and f"{loose} (644)" in check.message
    fix = check.message.split("Fix: ", 1)[1]
    assert fix == f"chmod -R go-rwx {instance}"
    subprocess.run(fix, shell=True, check=True)
    assert {c.name: c for c in run_checks(app)}["file permissions"].status == "ok"


def test_the_command_line_makes_its_process_umask_private(tmp_path):
    instance = tmp_path / "office"
    config.write_new(instance)
    CliRunner().invoke(main, ["--instance", str(instance), "plugins", "list"])
    try:
        assert os.umask(0o022) == 0o077
    finally:
        os.umask(0o022)


def test_a_private_folder_s_missing_parents_are_private_too(tmp_path):
    made = filemodes.private_dir(tmp_path / "instance" / "files" / "incoming")
    assert [mode(folder) for folder in (made, made.parent, made.parent.parent)] == [0o700] * 3
    (tmp_path / "kept").mkdir(mode=0o755)
    os.chmod(tmp_path / "kept", 0o755)
    filemodes.private_dir(tmp_path / "kept" / "inner")
    assert mode(tmp_path / "kept") == 0o755  # a folder that existed is left as the administrator made it

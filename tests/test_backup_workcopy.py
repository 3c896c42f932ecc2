"""A backup's plaintext working copy lives in a private folder of the instance, never in the archive
folder (which may be synced off-site), and is gone in every outcome: an error, SIGTERM, or, after
SIGKILL, the very next backup."""
from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fixtures_plugins import write_instance_config

from medoffice import backup
from medoffice.backup import BackupError
from medoffice.db import db

PLAINTEXT_MAGIC = (b"SQLite format 3", b"PGDMP")

STALLED_BACKUP = textwrap.dedent("""
    import pathlib, sys, time
    from medoffice import backup
    from medoffice.cli import main

    def stall(payload, target, key, manifest, **sections):  # the snapshot is written; encryption "takes long"
        pathlib.Path(sys.argv[2]).write_text(str(payload))
        time.sleep(600)

    backup.write_archive = stall
    main(["--instance", sys.argv[1], "backup"])
""")


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def plaintext_in(folder: Path) -> list[Path]:
    """Files under ``folder`` that hold an unencrypted database (SQLite file or pg_dump archive)."""
    found = []
    for path in folder.rglob("*") if folder.exists() else ():
        if path.is_file():
            with path.open("rb") as fh:
                if fh.read(16).startswith(PLAINTEXT_MAGIC):
                    found.append(path)
    return found


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_working_copy_is_private_and_removed_when_the_backup_fails(app, monkeypatch, umask_022):
    instance = Path(app.instance_path)
    seen = {}

    def fail_after_the_copy(payload, target, key, manifest, **sections):
        seen.update(path=payload, mode=mode(payload), folder_mode=mode(payload.parent),
                    plaintext=payload.read_bytes()[:16].startswith(PLAINTEXT_MAGIC))
        raise OSError("disk full")

    monkeypatch.setattr(backup, "write_archive", fail_after_the_copy)
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            with pytest.raises(OSError, match="disk full"):
                backup.create_backup("manual")
        finally:
            db.close()
    assert seen["plaintext"] and seen["path"].parent == instance / backup.WORK_DIR
    assert (seen["mode"], seen["folder_mode"]) == (0o600, 0o700)
    assert not seen["path"].exists()
    assert [p.name for p in (instance / backup.WORK_DIR).iterdir()] == [backup.BACKUP_LOCK]
    assert plaintext_in(instance / "backups") == []


def _start_stalled_backup(app, tmp_path, database_url):
    instance = write_instance_config(app)
    ready = tmp_path / "snapshot-written"
    env = {**os.environ, "MEDOFFICE_DATABASE_URL": database_url} if database_url else dict(os.environ)
    process = subprocess.Popen([sys.executable, "-c", STALLED_BACKUP, str(instance), str(ready)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the backup did not reach its snapshot: {process.communicate()[0].decode()}")
        time.sleep(0.05)
    return instance, process, Path(ready.read_text())


def _backup_now(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return backup.create_backup("manual")
        finally:
            db.close()


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_backup_leaves_no_plaintext_in_the_archive_folder(make_app, tmp_path, medoffice_database_url,
                                                                   signum):
    app = make_app(plugins=[])
    instance, process, snapshot = _start_stalled_backup(app, tmp_path, medoffice_database_url)
    assert snapshot.parent == instance / backup.WORK_DIR and snapshot.exists()
    # While it runs, another backup waits its turn instead of deleting its working copy.
    with pytest.raises(BackupError, match="another backup of this instance is running"):
        _backup_now(app)
    assert snapshot.exists()

    process.send_signal(signum)
    process.wait(timeout=60)
    assert plaintext_in(instance / "backups") == []
    if signum == signal.SIGTERM:
        assert process.returncode == 128 + signal.SIGTERM
        assert not snapshot.exists()  # cleaned up on the way out
    else:
        assert snapshot.exists() and mode(snapshot) == 0o600 and mode(snapshot.parent) == 0o700

    row = _backup_now(app)  # the next backup removes a leftover at once, however fresh
    assert not snapshot.exists()
    assert [p.name for p in (instance / backup.WORK_DIR).iterdir()] == [backup.BACKUP_LOCK]
    assert Path(row.path).exists() and plaintext_in(instance / "backups") == []

"""Encrypted backups: archive format, round trip, refusals, retention, the nightly job, doctor checks."""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import zoneinfo
from pathlib import Path

import pytest
from click.testing import CliRunner

from medoffice import backup
from medoffice.backup import BackupError
from medoffice.db import db, is_sqlite, transaction, utcnow
from medoffice.models import AuditEvent, Backup, Patient

KEY = "test-backup-key-0123456789abcdefghijklmnopq"


def _payload(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "payload.bin"
    path.write_bytes(os.urandom(size))
    return path


def _archive(tmp_path: Path, size: int = 2 * backup.CHUNK_SIZE + 1234) -> tuple[Path, Path]:
    payload = _payload(tmp_path, size)
    manifest = {"engine": "sqlite", "created_at": "2026-01-02T03:04:05+00:00", "payload_size": size,
                "payload_sha256": hashlib.sha256(payload.read_bytes()).hexdigest()}
    target = tmp_path / "out.mobackup"
    backup.write_archive(payload, target, KEY, manifest)
    return payload, target


def _mutated(source: Path, tmp_path: Path, change) -> Path:
    data = bytearray(source.read_bytes())
    data = change(data)
    path = tmp_path / "mutated.mobackup"
    path.write_bytes(bytes(data))
    return path


# --- the archive format ------------------------------------------------------------------------

def test_archive_round_trip_is_byte_equal_and_not_plaintext(tmp_path):
    payload, archive = _archive(tmp_path)
    out = tmp_path / "restored.bin"
    manifest = backup.read_archive(archive, KEY, out)
    assert out.read_bytes() == payload.read_bytes()
    assert manifest["payload_sha256"] == hashlib.sha256(payload.read_bytes()).hexdigest()
    assert payload.read_bytes()[:4096] not in archive.read_bytes()
    assert backup.read_manifest(archive, KEY)["engine"] == "sqlite"


def test_wrong_key_is_told_apart_from_damage(tmp_path):
    _payload_path, archive = _archive(tmp_path, 1000)
    out = tmp_path / "restored.bin"
    with pytest.raises(BackupError, match=backup.WRONG_KEY):
        backup.read_archive(archive, KEY + "x", out)
    assert not out.exists()


@pytest.mark.parametrize("change", [
    pytest.param(lambda d: d[:len(d) // 2], id="truncated"),
    pytest.param(lambda d: d[:-40], id="final-record-missing"),
    pytest.param(lambda d: d + b"extra", id="trailing-bytes"),
    pytest.param(lambda d: d[:20] + bytes([d[20] ^ 1]) + d[21:], id="salt-flipped"),
    pytest.param(lambda d: d[:300] + bytes([d[300] ^ 1]) + d[301:], id="manifest-flipped"),
    pytest.param(lambda d: d[:-5000] + bytes([d[-5000] ^ 0x80]) + d[-4999:], id="payload-flipped"),
    pytest.param(lambda d: bytearray(b"NOTANARCHIVE" * 20), id="not-an-archive"),
])
def test_damaged_archive_is_refused_and_nothing_is_left(tmp_path, change):
    _payload_path, archive = _archive(tmp_path)
    damaged = _mutated(archive, tmp_path, change)
    out = tmp_path / "restored.bin"
    with pytest.raises(BackupError, match=backup.DAMAGED):
        backup.read_archive(damaged, KEY, out)
    assert not out.exists()


def test_reordered_chunks_are_refused(tmp_path):
    _payload_path, archive = _archive(tmp_path, 3 * backup.CHUNK_SIZE)
    data = archive.read_bytes()
    offset = backup.HEADER_SIZE
    records = []
    while offset < len(data):
        _flags, length = backup.RECORD_HEAD.unpack_from(data, offset)
        end = offset + backup.RECORD_HEAD.size + backup.NONCE_SIZE + length
        records.append(data[offset:end])
        offset = end
    assert len(records) == 5  # manifest, three chunks, final
    swapped = data[:backup.HEADER_SIZE] + records[0] + records[2] + records[1] + b"".join(records[3:])
    damaged = tmp_path / "swapped.mobackup"
    damaged.write_bytes(swapped)
    with pytest.raises(BackupError, match=backup.DAMAGED):
        backup.read_archive(damaged, KEY, tmp_path / "restored.bin")


# --- backup and restore of a live instance ---------------------------------------------------

def _add_patients(names):
    from medoffice.web.patients import next_account_number

    with transaction():
        for name in names:
            Patient.create(account_number=next_account_number(), first_name=name, last_name="Backup",
                           date_of_birth=dt.date(1970, 1, 2))


def _all_rows() -> dict:
    """Every row of every table, in a stable order (the data a restore must bring back)."""
    rows = {}
    for table in sorted(db.get_tables()):
        cursor = db.execute_sql(f'SELECT * FROM "{table}" ORDER BY 1')
        rows[table] = [tuple(r) for r in cursor.fetchall()]
    return rows


def _release_connections():
    if not db.is_closed():
        db.close()
    db.obj.close_all()


def test_backup_then_restore_brings_back_exactly_the_data(make_app, tmp_path):
    app = make_app()
    instance = Path(app.instance_path)
    with app.app_context():
        db.connect(reuse_if_open=True)
        _add_patients(["Ann", "Bob", "Cy"])
        before = _all_rows()
        row = backup.create_backup("manual")
        archive = Path(row.path)
        assert archive.exists() and archive.parent == instance / "backups"
        assert row.sha256 == hashlib.sha256(archive.read_bytes()).hexdigest()
        assert row.size_bytes == archive.stat().st_size
        assert AuditEvent.select().where(AuditEvent.action == "backup.create").count() == 1
        with transaction():
            Patient.update(first_name="Changed").where(Patient.first_name == "Ann").execute()
            Patient.delete().where(Patient.first_name == "Bob").execute()
        _add_patients(["Dee"])
        assert _all_rows() != before
        _release_connections()
        staging = Path(db.obj.database).parent if is_sqlite() else instance
        killed_restore = staging / ".restore-killed"  # what a restore killed mid-way leaves (plaintext)
        killed_restore.write_bytes(b"SQLite format 3\x00")

        manifest = backup.restore_archive(archive, instance, app.config["BACKUP_KEY"], app.config["DATABASE_URL"])

        assert not killed_restore.exists()

        assert manifest["engine"] == ("sqlite" if is_sqlite() else "postgresql")
        db.connect(reuse_if_open=True)
        assert _all_rows() == before
        names = sorted(p.first_name for p in Patient.select())
        assert names == ["Ann", "Bob", "Cy"]
        _release_connections()
    if manifest["engine"] == "sqlite":
        restored = instance / "medoffice.sqlite3"
        assert hashlib.sha256(restored.read_bytes()).hexdigest() == manifest["payload_sha256"]
        kept = Path(manifest["previous_database"])
        assert kept.exists() and kept.parent == instance


def test_restore_refuses_wrong_key_damage_and_a_running_server_without_writing(make_app, tmp_path):
    app = make_app()
    instance = Path(app.instance_path)
    with app.app_context():
        db.connect(reuse_if_open=True)
        _add_patients(["Ann"])
        archive = Path(backup.create_backup("manual").path)
        _add_patients(["Later"])
        _release_connections()
    url = app.config["DATABASE_URL"]
    key = app.config["BACKUP_KEY"]
    files_before = sorted(p.name for p in instance.iterdir())
    database = instance / "medoffice.sqlite3"
    digest_before = hashlib.sha256(database.read_bytes()).hexdigest() if database.exists() else None

    with pytest.raises(BackupError, match="the backup key does not match this archive"):
        backup.restore_archive(archive, instance, "some other key", url)
    damaged = _mutated(archive, tmp_path, lambda d: d[:-3000] + bytes([d[-3000] ^ 4]) + d[-2999:])
    with pytest.raises(BackupError, match="the archive is damaged"):
        backup.restore_archive(damaged, instance, key, url)
    assert sorted(p.name for p in instance.iterdir()) == files_before
    with backup.serving(instance):
        assert backup.running_servers(instance) == 1
        with pytest.raises(BackupError, match="a medoffice server or scheduler is running on this instance"):
            backup.restore_archive(archive, instance, key, url)
    assert backup.running_servers(instance) == 0
    from medoffice.scheduler import SchedulerLock

    scheduler = SchedulerLock(instance, None)  # `medoffice scheduler` running on its own
    scheduler.acquire()
    try:
        with pytest.raises(BackupError, match="stop it first"):
            backup.restore_archive(archive, instance, key, url)
    finally:
        scheduler.release()
    assert backup.running_servers(instance) == 0
    if digest_before:
        assert hashlib.sha256(database.read_bytes()).hexdigest() == digest_before
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert Patient.select().where(Patient.first_name == "Later").exists()
        _release_connections()


def test_cli_backup_and_restore(make_app, tmp_path, medoffice_database_url):
    from medoffice import config
    from medoffice.cli import main

    instance = tmp_path / "cli-instance"
    config.write_new(instance)
    env = {"MEDOFFICE_DATABASE_URL": medoffice_database_url} if medoffice_database_url else {}
    runner = CliRunner()
    made = runner.invoke(main, ["--instance", str(instance), "backup"], env=env)
    assert made.exit_code == 0, made.output
    archive = next((instance / "backups").glob("*.mobackup"))
    assert str(archive) in made.output

    refused = runner.invoke(main, ["--instance", str(instance), "restore", "--yes", "--key", "nope", str(archive)],
                            env=env)
    assert refused.exit_code == 1
    assert "the backup key does not match this archive" in refused.output
    missing = runner.invoke(main, ["--instance", str(instance), "restore", "--yes", str(tmp_path / "none")], env=env)
    assert missing.exit_code == 1 and "does not exist" in missing.output

    restored = runner.invoke(main, ["--instance", str(instance), "restore", "--yes", str(archive)], env=env)
    assert restored.exit_code == 0, restored.output
    assert "Restored the backup made" in restored.output
    app = make_app(instance=instance)
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert AuditEvent.select().where(AuditEvent.action == "backup.restore").count() == 1
        _release_connections()


# --- retention and the nightly job -------------------------------------------------------------

def test_retention_keeps_newest_per_day_and_per_week():
    tz = zoneinfo.ZoneInfo("America/New_York")
    start = dt.datetime(2026, 3, 1, 6, 30, tzinfo=dt.timezone.utc)  # 01:30 in New York
    nightly = [(i, start + dt.timedelta(days=i)) for i in range(60)]  # 2026-03-01 .. 2026-04-29
    extra = (100, start + dt.timedelta(days=59, hours=-1))  # an earlier one on the same local day
    kept = backup.select_retained([*nightly, extra], keep_daily=7, keep_weekly=4, tz=tz)
    days = {53, 54, 55, 56, 57, 58, 59}  # 04-23 .. 04-29 (Thursday .. Wednesday)
    # newest of ISO weeks 18 (04-27..29), 17 (04-20..26), 16 (04-13..19), 15 (04-06..12)
    weeks = {59, 56, 49, 42}
    assert kept == days | weeks
    assert backup.select_retained(nightly, keep_daily=0, keep_weekly=0, tz=tz) == set()


def test_nightly_job_writes_a_backup_and_prunes_old_nightly_ones(app):
    from medoffice import settings
    from medoffice.jobs import job_specs, run_job

    with app.app_context():
        db.connect(reuse_if_open=True)
        assert "core.nightly_backup" in job_specs(app.extensions["medoffice"].host)
        settings.set_many({"core.backup_keep_daily": 3, "core.backup_keep_weekly": 0})
        folder = Path(app.instance_path) / "backups"
        folder.mkdir(parents=True, exist_ok=True)
        old = []
        for days in range(1, 6):
            path = folder / f"old-{days}.mobackup"
            path.write_bytes(b"x")
            old.append(Backup.create(at=utcnow() - dt.timedelta(days=days), path=str(path), sha256="0" * 64,
                                     kind="nightly"))
        manual_path = folder / "manual.mobackup"
        manual_path.write_bytes(b"x")
        manual = Backup.create(at=utcnow() - dt.timedelta(days=30), path=str(manual_path), sha256="0" * 64)
        db.close()

    result = run_job(app, "core.nightly_backup", trigger="manual")
    assert result.status == "ok", result.error
    assert "removed 3 old nightly backups" in result.message

    with app.app_context():
        db.connect(reuse_if_open=True)
        remaining = list(Backup.select().order_by(Backup.at.desc()))
        assert [b.id for b in remaining[1:]] == [old[0].id, old[1].id, manual.id]
        assert remaining[0].kind == "nightly" and Path(remaining[0].path).exists()
        assert all(not Path(b.path).exists() for b in old[2:])
        assert manual_path.exists()
        db.close()


# --- doctor checks ---------------------------------------------------------------------------

def test_last_backup_check(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        assert backup.last_backup_check().status == "warn"
        row = backup.create_backup("manual")
        assert backup.last_backup_check().status == "ok"
        assert backup.last_backup_check(utcnow() + dt.timedelta(hours=30)).status == "warn"
        late = backup.last_backup_check(utcnow() + dt.timedelta(days=4))
        assert late.status == "fail" and "4 days ago" in late.message
        Path(row.path).unlink()
        missing = backup.last_backup_check()
        assert missing.status == "warn" and "missing" in missing.message
        checks = {c.name: c for c in app.extensions["medoffice"].host.call("medoffice_doctor_checks")}
        assert checks["last backup age"].status == "warn"
        assert checks["TLS certificate expiry"].status == "ok"
        db.close()


def test_leftovers_in_the_archive_folder_are_removed(app):
    """Plain snapshots that older versions kept beside the archives go at once; partial (encrypted)
    archives once they are old, since a folder shared by several instances may hold a running one."""
    folder = Path(app.instance_path) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    old_version_snapshot = folder / ".snapshot-abc"
    old_version_snapshot.mkdir()
    (old_version_snapshot / "database").write_bytes(b"plain copy")
    stale_partial = folder / f".partial-xyz{backup.ARCHIVE_SUFFIX}"
    stale_partial.write_bytes(b"half")
    day_ago = (utcnow() - dt.timedelta(days=1)).timestamp()
    os.utime(stale_partial, (day_ago, day_ago))
    running = folder / f".partial-now{backup.ARCHIVE_SUFFIX}"  # perhaps another instance's backup
    running.write_bytes(b"half")
    with app.app_context():
        db.connect(reuse_if_open=True)
        backup.create_backup("manual")
        db.close()
    assert not old_version_snapshot.exists() and not stale_partial.exists()
    assert running.exists()

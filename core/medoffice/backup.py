"""Encrypted backups of the instance database, retention, and restore.

An archive holds a manifest (format version, creation time, engine, payload size and SHA-256)
and the database snapshot (SQLite: the online backup API; PostgreSQL: ``pg_dump --format=custom``),
then (format 2) the stored files as a tar stream (``medoffice.files.archive``), all encrypted
in chunks with AES-256-GCM under keys derived (HKDF-SHA256, per-archive salt) from the
instance's ``backup_key``. Layout::

    header  = MAGIC | version (1 byte) | salt (16) | key check (32, HMAC) | header digest (32, SHA-256)
    record  = flags (1) | ciphertext length (4) | nonce (12) | ciphertext+tag
    records = manifest (flag MANIFEST), payload chunks, files chunks (flag FILES),
              an empty final record (flag FINAL)

Each record's associated data binds it to the header, its position and its flags, so a
reordered, truncated or altered archive fails to decrypt. The key check tells a wrong key
apart from a damaged archive before anything is decrypted.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import importlib.metadata
import json
import logging
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from filelock import FileLock, Timeout

from flask import current_app

from . import audit, audit_anchor, config, settings
from .contributions import CheckResult
from .db import db, is_sqlite, open_database, transaction, utcnow
from .filemodes import FILE_MODE, create_private_file, private_dir
from .files.archive import FilesSection, SectionDamaged
from .files.archive import restore as restore_files
from .models import Backup

log = logging.getLogger("medoffice.backup")

MAGIC = b"MEDOFFBK"
FORMAT_VERSION = 2  # 2: a files section may follow the payload
READABLE_VERSIONS = (1, 2)
SALT_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
CHUNK_SIZE = 1024 * 1024
MAX_MANIFEST = 64 * 1024
FLAG_MANIFEST = 0x01
FLAG_FINAL = 0x02
FLAG_FILES = 0x04
HEADER_SIZE = len(MAGIC) + 1 + SALT_SIZE + 32 + 32
RECORD_HEAD = struct.Struct(">BI")
ARCHIVE_SUFFIX = ".mobackup"
WORK_DIR = "backup-work"
BACKUP_LOCK = "backup.lock"

WRONG_KEY = "the backup key does not match this archive"
DAMAGED = "the archive is damaged"


class BackupError(Exception):
    """A backup or restore was refused; the message says why in words IT can act on."""


# --- keys ---------------------------------------------------------------------------------

def _derive_keys(backup_key: str, salt: bytes) -> tuple[bytes, bytes]:
    """(encryption key, key-check key) for one archive, from the instance backup key and its salt."""
    if not backup_key:
        raise BackupError("this instance has no backup_key in medoffice.toml")
    material = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt,
                    info=b"medoffice backup v1").derive(backup_key.encode("utf-8"))
    return material[:32], material[32:]


def _header(backup_key: str, salt: bytes, version: int = FORMAT_VERSION) -> tuple[bytes, bytes]:
    """The archive header and the encryption key it commits to."""
    enc_key, check_key = _derive_keys(backup_key, salt)
    prefix = MAGIC + bytes([version]) + salt
    check = hmac.new(check_key, prefix, hashlib.sha256).digest()
    body = prefix + check
    return body + hashlib.sha256(body).digest(), enc_key


def _aad(header: bytes, index: int, flags: int) -> bytes:
    return header + struct.pack(">QB", index, flags)


# --- archive format -------------------------------------------------------------------------

class _RecordSink:
    """A binary file-like object whose bytes become records of one flag, in chunks of ``CHUNK_SIZE``."""

    def __init__(self, record, index: int, flags: int):
        self._record, self.index, self._flags = record, index, flags
        self._pending = bytearray()

    def write(self, data: bytes) -> int:
        self._pending += data
        while len(self._pending) >= CHUNK_SIZE:
            self._record(self.index, self._flags, bytes(self._pending[:CHUNK_SIZE]))
            del self._pending[:CHUNK_SIZE]
            self.index += 1
        return len(data)

    def flush(self) -> None:
        """Nothing to do: the last partial chunk is written by :meth:`close`."""

    def close(self) -> None:
        if self._pending:
            self._record(self.index, self._flags, bytes(self._pending))
            self._pending.clear()
            self.index += 1


def write_archive(payload: Path, target: Path, backup_key: str, manifest: dict, files=None) -> str:
    """Encrypt ``payload`` with ``manifest`` into ``target`` (written to a temp file, fsynced, renamed).

    :param files: ``files(sink)`` writes the files section into a binary file-like object (None: no section).
    :return: the SHA-256 of the archive file (recorded so IT can verify off-site copies).
    """
    salt = os.urandom(SALT_SIZE)
    header, key = _header(backup_key, salt)
    aead = AESGCM(key)
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".partial-", suffix=ARCHIVE_SUFFIX, dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            def emit(data: bytes) -> None:
                out.write(data)
                digest.update(data)

            def record(index: int, flags: int, plaintext: bytes) -> None:
                nonce = os.urandom(NONCE_SIZE)
                sealed = aead.encrypt(nonce, plaintext, _aad(header, index, flags))
                emit(RECORD_HEAD.pack(flags, len(sealed)) + nonce + sealed)

            emit(header)
            record(0, FLAG_MANIFEST, json.dumps(manifest, sort_keys=True).encode())
            index = 1
            with payload.open("rb") as source:
                while chunk := source.read(CHUNK_SIZE):
                    record(index, 0, chunk)
                    index += 1
            if files is not None:
                sink = _RecordSink(record, index, FLAG_FILES)
                files(sink)
                sink.close()
                index = sink.index
            record(index, FLAG_FINAL, b"")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        _fsync_directory(target.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def _read_exact(source, size: int) -> bytes:
    data = source.read(size)
    if len(data) != size:
        raise BackupError(DAMAGED)
    return data


def _check_header(header: bytes, backup_key: str) -> bytes:
    """Validate the header; return the encryption key. Distinguishes damage from a wrong key."""
    body, stored_digest = header[:-32], header[-32:]
    if header[:len(MAGIC)] != MAGIC or not hmac.compare_digest(hashlib.sha256(body).digest(), stored_digest):
        raise BackupError(DAMAGED)
    version = header[len(MAGIC)]
    if version not in READABLE_VERSIONS:
        raise BackupError(f"the archive uses format {version}, which this medoffice cannot read")
    salt = header[len(MAGIC) + 1:len(MAGIC) + 1 + SALT_SIZE]
    expected, key = _header(backup_key, salt, version)
    if not hmac.compare_digest(expected, header):
        raise BackupError(WRONG_KEY)
    return key


def read_archive(archive: Path, backup_key: str, payload_out: Path, files_out=None) -> dict:
    """Decrypt ``archive`` into ``payload_out`` (and its files section into the binary file
    ``files_out`` when given) and return its manifest.

    Raises ``BackupError`` with ``WRONG_KEY`` or ``DAMAGED`` (and removes ``payload_out``)
    unless every record authenticates and the payload matches the manifest's size and SHA-256.
    """
    try:
        with archive.open("rb") as source, payload_out.open("wb") as out:
            header = _read_exact(source, HEADER_SIZE)
            aead = AESGCM(_check_header(header, backup_key))
            manifest = None
            digest = hashlib.sha256()
            size = 0
            index = 0
            while True:
                flags, length = RECORD_HEAD.unpack(_read_exact(source, RECORD_HEAD.size))
                limit = (MAX_MANIFEST if index == 0 else CHUNK_SIZE) + TAG_SIZE
                if length < TAG_SIZE or length > limit or (index == 0) != bool(flags & FLAG_MANIFEST):
                    raise BackupError(DAMAGED)
                nonce = _read_exact(source, NONCE_SIZE)
                try:
                    plaintext = aead.decrypt(nonce, _read_exact(source, length), _aad(header, index, flags))
                except InvalidTag:
                    raise BackupError(DAMAGED) from None
                index += 1
                if flags & FLAG_MANIFEST:
                    manifest = json.loads(plaintext)
                    continue
                if flags & FLAG_FINAL:
                    break
                if flags & FLAG_FILES:
                    if files_out is not None:
                        files_out.write(plaintext)
                    continue
                out.write(plaintext)
                digest.update(plaintext)
                size += len(plaintext)
            if source.read(1):
                raise BackupError(DAMAGED)
            if size != manifest.get("payload_size") or digest.hexdigest() != manifest.get("payload_sha256"):
                raise BackupError(DAMAGED)
            out.flush()
            os.fsync(out.fileno())
        return manifest
    except BaseException:
        payload_out.unlink(missing_ok=True)
        raise


def read_manifest(archive: Path, backup_key: str) -> dict:
    """Only the manifest of an archive (checks the key, not the payload)."""
    with archive.open("rb") as source:
        header = _read_exact(source, HEADER_SIZE)
        aead = AESGCM(_check_header(header, backup_key))
        flags, length = RECORD_HEAD.unpack(_read_exact(source, RECORD_HEAD.size))
        if flags != FLAG_MANIFEST or not TAG_SIZE <= length <= MAX_MANIFEST + TAG_SIZE:
            raise BackupError(DAMAGED)
        nonce = _read_exact(source, NONCE_SIZE)
        try:
            return json.loads(aead.decrypt(nonce, _read_exact(source, length), _aad(header, 0, flags)))
        except InvalidTag:
            raise BackupError(DAMAGED) from None


# --- snapshots --------------------------------------------------------------------------------

def _postgres_command(url: str) -> tuple[str, dict]:
    """A conninfo without the password, and an environment carrying it (kept off the command line)."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    params = conninfo_to_dict(url)
    env = dict(os.environ)
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = password
    return make_conninfo(**params), env


def _run(command: list[str], env: dict | None = None, **kwargs) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, **kwargs)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} was not found; install the PostgreSQL client tools") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def snapshot_database(target: Path, database_url: str | None = None) -> str:
    """Write a consistent copy of the bound database to ``target``; returns the engine name.

    SQLite uses the online backup API (safe while the server writes); PostgreSQL runs
    ``pg_dump --format=custom`` against ``database_url``.
    """
    if is_sqlite():
        create_private_file(target)
        source = sqlite3.connect(db.obj.database)
        try:
            dest = sqlite3.connect(target)
            try:
                source.backup(dest)
            finally:
                dest.close()
        finally:
            source.close()
        return "sqlite"
    conninfo, env = _postgres_command(database_url)
    create_private_file(target)  # pg_dump truncates it and keeps its mode
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
          f"--dbname={conninfo}"], env)
    return "postgresql"


def _medoffice_version() -> str:
    try:
        return importlib.metadata.version("medoffice")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def backup_directory(app) -> Path:
    """Where archives go: ``backup_dir`` from medoffice.toml, else ``<instance>/backups``."""
    runtime = app.extensions["medoffice"]
    configured = config.load(runtime.instance).get("backup_dir")
    return Path(configured).expanduser() if configured else runtime.backup_dir


def work_directory(instance: Path) -> Path:
    """The private folder (0700) where a backup keeps its plaintext working copy while it runs."""
    return instance / WORK_DIR


def _remove_leftovers(work: Path, directory: Path, older_than: dt.timedelta = dt.timedelta(hours=12)) -> None:
    """Delete what a backup killed midway left (a process that dies or loses power runs no cleanup).

    Called holding the instance's backup lock, so every working copy in ``work`` is a leftover
    and goes at once, as do plain snapshots that older versions kept in the archive folder.
    Partial archives (encrypted) in the archive folder, which other instances may share, go
    once they are ``older_than``.
    """
    for path in work.iterdir():
        if path.name != BACKUP_LOCK:
            _remove(path)
    cutoff = dt.datetime.now().timestamp() - older_than.total_seconds()
    for path in directory.glob(".snapshot-*"):
        _remove(path)
    for path in directory.glob(f".partial-*{ARCHIVE_SUFFIX}"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


@contextmanager
def _one_backup_at_a_time(work: Path):
    """Hold the instance's backup lock (an OS lock, released even when the process is killed)."""
    lock = FileLock(work / BACKUP_LOCK, mode=FILE_MODE, thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise BackupError("another backup of this instance is running; try again when it has finished") from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _stoppable():
    """While the block runs in the main thread, SIGTERM and SIGHUP raise ``SystemExit`` instead of
    ending the process at once, so the block's cleanup (removing the working copy) runs.

    SIGKILL and a power cut cannot be caught: the next backup removes what they leave.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    caught = [signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    previous = {signum: signal.signal(signum, stop) for signum in caught}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _anchor_for_backup(instance: Path) -> audit_anchor.Anchor:
    """Anchor the audit chain in the instance's file and return the anchor for the manifest.

    A chain that no longer matches its anchors is no reason to skip the backup: it is logged
    (``audit verify`` and doctor report it) and the head is carried as it is.
    """
    try:
        anchor, _written = audit_anchor.write_anchor(instance, "backup")
    except audit_anchor.AnchorConflict as exc:
        log.error("audit anchor not written at backup: %s", exc)
        anchor = audit_anchor.durable_head("backup")
    return anchor


def create_backup(kind: str = "manual", directory: Path | None = None) -> Backup:
    """Snapshot, encrypt and record a backup (inside an app context); returns the ``Backup`` row.

    The plaintext snapshot lives only in the instance's private working folder (a 0600 file in
    a 0700 folder, never the archive folder, which may be synced off-site) and is removed in
    every outcome: on errors, on SIGTERM/SIGHUP, and, after SIGKILL or a power cut, by the next
    backup before anything else.
    """
    app = current_app
    instance = app.extensions["medoffice"].instance
    directory = directory or backup_directory(app)
    private_dir(directory)
    work = private_dir(work_directory(instance), enforce=True)
    with _one_backup_at_a_time(work), _stoppable():
        _remove_leftovers(work, directory)
        return _write_backup(app, instance, kind, directory, work)


def _write_backup(app, instance: Path, kind: str, directory: Path, work: Path) -> Backup:
    created = utcnow()
    target = directory / f"medoffice-{created:%Y%m%dT%H%M%S%fZ}-{kind}{ARCHIVE_SUFFIX}"
    anchor = _anchor_for_backup(instance)
    fd, name = tempfile.mkstemp(prefix="snapshot-", dir=work)  # 0600
    os.close(fd)
    snapshot = Path(name)
    try:
        engine = snapshot_database(snapshot, app.config.get("DATABASE_URL"))
        files = FilesSection(instance)  # listed after the snapshot: every file its rows name is stored
        payload_hash = hashlib.sha256()
        with snapshot.open("rb") as fh:
            for block in iter(lambda: fh.read(CHUNK_SIZE), b""):
                payload_hash.update(block)
        manifest = {
            "format": FORMAT_VERSION,
            "created_at": created.isoformat(),
            "engine": engine,
            "kind": kind,
            "payload_size": snapshot.stat().st_size,
            "payload_sha256": payload_hash.hexdigest(),
            "medoffice_version": _medoffice_version(),
            "plugins": sorted(app.extensions["medoffice"].host.enabled()),
            "audit_anchor": anchor.to_dict(),
            "files": files.summary(),
        }
        archive_hash = write_archive(snapshot, target, app.config["BACKUP_KEY"], manifest, files=files.write_to)
    finally:
        snapshot.unlink(missing_ok=True)
    with transaction():
        row = Backup.create(at=created, path=str(target), size_bytes=target.stat().st_size,
                            sha256=archive_hash, kind=kind)
        audit.record("backup.create", "backup", row.id, detail={"kind": kind, "file": target.name})
    log.info("backup written to %s", target)
    return row


# --- retention ----------------------------------------------------------------------------

def select_retained(backups: list[tuple[int, dt.datetime]], keep_daily: int, keep_weekly: int,
                    tz: dt.tzinfo) -> set[int]:
    """Ids to keep: the newest backup of each of the last ``keep_daily`` days that have one,
    and the newest of each of the last ``keep_weekly`` ISO weeks (days and weeks in ``tz``).
    """
    days: dict[dt.date, int] = {}
    weeks: dict[tuple[int, int], int] = {}
    for backup_id, at in sorted(backups, key=lambda b: b[1], reverse=True):
        local = at.astimezone(tz).date()
        if local not in days and len(days) < keep_daily:
            days[local] = backup_id
        week = local.isocalendar()[:2]
        if week not in weeks and len(weeks) < keep_weekly:
            weeks[week] = backup_id
    return set(days.values()) | set(weeks.values())


def prune_backups(keep_daily: int, keep_weekly: int, tz: dt.tzinfo) -> list[Path]:
    """Delete nightly archives (file and row) beyond the retention; manual ones are never pruned."""
    nightly = list(Backup.select(Backup.id, Backup.at, Backup.path).where(Backup.kind == "nightly"))
    keep = select_retained([(b.id, b.at) for b in nightly], keep_daily, keep_weekly, tz)
    removed = []
    for backup in nightly:
        if backup.id in keep:
            continue
        path = Path(backup.path)
        path.unlink(missing_ok=True)
        Backup.delete().where(Backup.id == backup.id).execute()
        removed.append(path)
    return removed


def nightly_backup() -> str:
    """The ``core.nightly_backup`` job: write a backup, then apply the retention settings."""
    row = create_backup("nightly")
    keep_daily = int(settings.get("core.backup_keep_daily", 7))
    keep_weekly = int(settings.get("core.backup_keep_weekly", 4))
    removed = prune_backups(keep_daily, keep_weekly, settings.practice_timezone())
    return (f"wrote {Path(row.path).name} ({row.size_bytes:,} bytes); removed {len(removed)} "
            f"old nightly backup{'s' if len(removed) != 1 else ''} (keeping {keep_daily} daily, {keep_weekly} weekly)")


def last_backup_check(now: dt.datetime | None = None) -> CheckResult:
    """Doctor check: how old the newest backup is, and whether its file is still there."""
    name = "last backup age"
    latest = Backup.select().order_by(Backup.at.desc()).first()
    if latest is None:
        return CheckResult(name, "warn", "no backup has been made yet: run `medoffice backup`")
    hours = ((now or utcnow()) - latest.at).total_seconds() / 3600
    when = f"{hours:.0f} hours ago" if hours < 48 else f"{hours / 24:.0f} days ago"
    if not Path(latest.path).exists():
        return CheckResult(name, "warn", f"the latest backup ({when}) is missing: {latest.path}")
    if hours > 72:
        return CheckResult(name, "fail", f"the latest backup is {when}; the nightly backup is not running")
    if hours > 26:
        return CheckResult(name, "warn", f"the latest backup is {when}")
    return CheckResult(name, "ok", f"{when}: {Path(latest.path).name}")


# --- servers and restore --------------------------------------------------------------------

def _run_dir(instance: Path) -> Path:
    return instance / "run"


@contextmanager
def serving(instance: Path):
    """Mark this process as serving ``instance`` while the block runs (an OS file lock that
    disappears with the process, even after a crash), so ``restore`` can refuse to run under it.
    """
    run = private_dir(_run_dir(instance))
    lock = FileLock(run / f"serve-{os.getpid()}.lock", mode=FILE_MODE, thread_local=False)
    lock.acquire(timeout=0)
    try:
        yield
    finally:
        lock.release()


def _held(path: Path) -> bool:
    """True when another process holds the lock file at ``path``."""
    probe = FileLock(path, mode=FILE_MODE, thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return True
    probe.release()
    return False


def running_servers(instance: Path) -> int:
    """How many live ``serve`` processes, plus a standalone scheduler, use ``instance``
    (the marks of crashed servers are cleared on the way).
    """
    from .scheduler import LOCK_FILE

    count = 0
    run = _run_dir(instance)
    for path in run.glob("serve-*.lock") if run.is_dir() else ():
        if _held(path):
            count += 1
        else:
            path.unlink(missing_ok=True)
    scheduler_lock = instance / LOCK_FILE
    if not count and scheduler_lock.exists() and _held(scheduler_lock):
        count += 1
    return count


def _fsync_directory(directory: Path) -> None:
    if os.name == "posix":  # Windows cannot open a directory; NTFS journals the rename itself
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _restore_sqlite(payload: Path, target: Path) -> Path | None:
    """Swap the restored file in for the database; the old file (and its WAL) is kept aside."""
    # immutable: read without creating -wal/-shm files beside the staged copy
    check = sqlite3.connect(f"{payload.as_uri()}?immutable=1", uri=True)
    try:
        result = check.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError:
        result = "not a database"
    finally:
        check.close()
    if result != "ok":
        raise BackupError(DAMAGED)
    kept = None
    if target.exists():
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = target.with_name(f"{target.name}.pre-restore-{stamp}")
        # Move the WAL and shared-memory files with it: left behind, SQLite would replay the
        # old database's uncheckpointed pages onto the restored one.
        for suffix in ("-wal", "-shm", ""):
            old = Path(f"{target}{suffix}")
            if old.exists():
                os.replace(old, Path(f"{kept}{suffix}"))
    os.replace(payload, target)
    _fsync_directory(target.parent)
    return kept


def _restore_postgres(payload: Path, database_url: str) -> None:
    """Replace the public schema with the dump in one transaction (all or nothing)."""
    conninfo, env = _postgres_command(database_url)
    for tool in ("pg_restore", "psql"):
        if shutil.which(tool) is None:
            raise BackupError(f"{tool} was not found; install the PostgreSQL client tools")
    with tempfile.TemporaryFile() as dump_errors:
        dump = subprocess.Popen(["pg_restore", "--no-owner", "--no-privileges", "--file=-", str(payload)],
                                stdout=subprocess.PIPE, stderr=dump_errors, env=env)
        load = subprocess.run(
            ["psql", "--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
             "--command=DROP SCHEMA IF EXISTS public CASCADE", "--command=CREATE SCHEMA public",
             "--file=-", f"--dbname={conninfo}"],
            stdin=dump.stdout, capture_output=True, text=True, env=env,
        )
        dump.stdout.close()
        dump.wait()
        dump_errors.seek(0)
        dump_error = dump_errors.read().decode(errors="replace").strip()
    if dump.returncode != 0:
        raise BackupError(f"pg_restore failed (nothing was changed): {dump_error}")
    if load.returncode != 0:
        raise BackupError(f"psql failed (nothing was changed): {load.stderr.strip()}")


def restore_archive(archive: Path, instance: Path, backup_key: str, database_url: str | None = None) -> dict:
    """Restore ``archive`` into the instance's database; returns the archive's manifest.

    Refuses while a server serves the instance, on a wrong key, a damaged archive or an
    engine mismatch, in each case without changing anything. SQLite: the database file is
    replaced atomically and the previous one kept beside it as ``*.pre-restore-<time>``.
    PostgreSQL: the public schema is replaced in one transaction. Then the archive's stored files
    are put back (those uploaded since stay: the restored database does not name them).
    """
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive} does not exist")
    servers = running_servers(instance)
    if servers:
        raise BackupError(f"a medoffice server or scheduler is running on this instance ({servers} process"
                          f"{'es' if servers != 1 else ''}); stop it first, then restore")
    manifest = read_manifest(archive, backup_key)
    database = open_database(database_url, instance)
    engine = "sqlite" if is_sqlite(database) else "postgresql"
    if manifest.get("engine") != engine:
        raise BackupError(f"the archive holds a {manifest.get('engine')} database but this instance "
                          f"uses {engine}")
    staging_dir = Path(database.database).parent if engine == "sqlite" else instance
    private_dir(staging_dir)
    for leftover in staging_dir.glob(".restore-*"):  # an earlier restore that was killed: no server runs now
        leftover.unlink(missing_ok=True)
    fd, name = tempfile.mkstemp(prefix=".restore-", dir=staging_dir)
    os.close(fd)
    payload = Path(name)
    fd, name = tempfile.mkstemp(prefix=".restore-files-", dir=staging_dir)  # sealed files only: no plaintext
    files_tar = Path(name)
    try:
        with os.fdopen(fd, "wb") as files_out:
            manifest = read_archive(archive, backup_key, payload, files_out)
        if engine == "sqlite":
            kept = _restore_sqlite(payload, Path(database.database))
            manifest["previous_database"] = str(kept) if kept else None
        else:
            _restore_postgres(payload, database_url)
        if manifest.get("files") is not None:
            try:
                manifest["files_restored"] = restore_files(files_tar, instance, manifest["files"]["count"])
            except SectionDamaged as exc:
                raise BackupError(f"the database was restored, but not every stored file: {exc}; "
                                  "restore from another archive") from None
    finally:
        payload.unlink(missing_ok=True)
        files_tar.unlink(missing_ok=True)
    # The old database's anchors would call the restored (older, shorter) chain cut short.
    anchor = manifest.get("audit_anchor")
    kept_anchors = audit_anchor.replace_for_restore(instance, audit_anchor.Anchor.from_dict(anchor) if anchor else None)
    manifest["previous_anchors"] = str(kept_anchors) if kept_anchors else None
    return manifest


def instance_restore_settings(instance: Path) -> tuple[str | None, str | None]:
    """(backup key, database URL) of an instance, read from its config without building the app."""
    cfg = config.load(instance)
    return cfg.get("backup_key"), os.environ.get("MEDOFFICE_DATABASE_URL") or cfg.get("database_url")

"""Where sealed files live: ``<instance>/files/store/<2 hex>/<keyed digest>`` (a folder 0700, files
0600), uploads being received in ``<instance>/files/incoming``. Paths are built from the digest
core computed, never from anything a user sent.

A stored file is written by the transaction that inserts its ``core_file_blob`` row, before that
transaction commits, and never changed or removed afterwards (removing an attachment is a soft
delete). So every committed row has its file on disk, and a backup that lists the store after
snapshotting the database carries every file its rows name.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from flask import current_app

from ..filemodes import private_dir

FOLDER = "files"
DIGEST = re.compile(r"[0-9a-f]{64}")
INCOMING_MAX_AGE = 6 * 3600  # an upload still "incoming" after this was left by a process that died


def root(instance: Path | None = None) -> Path:
    """The files folder of ``instance`` (default: the current app's)."""
    instance = instance if instance is not None else current_app.extensions["medoffice"].instance
    return Path(instance) / FOLDER


def store_dir(instance: Path | None = None) -> Path:
    """The folder of sealed files."""
    return root(instance) / "store"


def blob_path(digest: str, instance: Path | None = None) -> Path:
    """Where the sealed file named ``digest`` lives."""
    if not DIGEST.fullmatch(digest):
        raise ValueError("not a stored file's name")
    return store_dir(instance) / digest[:2] / digest


def incoming_file(instance: Path | None = None):
    """A new private temporary file for an upload being sealed: ``(open binary file, path)``.

    Leftovers of processes that died mid-upload are removed on the way.
    """
    folder = private_dir(root(instance) / "incoming", enforce=True)
    _sweep(folder)
    fd, name = tempfile.mkstemp(prefix="upload-", dir=folder)  # 0600
    return os.fdopen(fd, "w+b"), Path(name)


def _sweep(folder: Path) -> None:
    cutoff = time.time() - INCOMING_MAX_AGE
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass


def place(temp: Path, digest: str, instance: Path | None = None) -> Path:
    """Move the finished sealed file ``temp`` to its place in the store (fsynced, atomic)."""
    target = blob_path(digest, instance)
    private_dir(store_dir(instance))
    private_dir(target.parent)
    with temp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(temp, target)
    _fsync_directory(target.parent)
    return target


def stored_digests(instance: Path | None = None) -> list[str]:
    """The names of every sealed file in the store, sorted."""
    top = store_dir(instance)
    if not top.is_dir():
        return []
    return sorted(p.name for sub in top.iterdir() if sub.is_dir() for p in sub.iterdir()
                  if DIGEST.fullmatch(p.name) and p.name[:2] == sub.name)


def _fsync_directory(directory: Path) -> None:
    if os.name == "posix":
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

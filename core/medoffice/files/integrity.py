"""``medoffice doctor``'s check of the stored files: every file a row names is in the store, with
the size and SHA-256 recorded when it was stored, and one of them opens with this instance's key.

The check hashes the sealed bytes, which needs no key and no decryption: a missing, truncated,
altered or swapped file is found the same way (each read decrypts and authenticates anyway). It
reads the whole store once, at the disk's speed (SHA-256 runs at over 1 GB/s on an office PC, so
about a second per gigabyte of files); decrypting everything as well would add the AES-GCM work
and prove nothing more about the disk. That the instance key still opens the files (a changed
``backup_key`` would make all of them unreadable) is proven by opening the newest one.
"""
from __future__ import annotations

import hashlib
import time

from flask import current_app

from ..contributions import CheckResult
from . import store
from .models import Attachment, FileBlob
from .sealed import FileDamaged, plaintext_chunks

NAME = "stored files"
BLOCK = 1024 * 1024
SHOWN = 10  # attachment ids named in the message


def _problem(blob: FileBlob) -> str | None:
    path = store.blob_path(blob.digest)
    try:
        if path.stat().st_size != blob.stored_size:
            return "altered"
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while block := fh.read(BLOCK):
                digest.update(block)
    except FileNotFoundError:
        return "missing"
    return None if digest.hexdigest() == blob.stored_sha256 else "altered"


def _opens(blob: FileBlob) -> bool:
    try:
        with store.blob_path(blob.digest).open("rb") as fh:
            next(plaintext_chunks(fh, current_app.config.get("BACKUP_KEY"), bytes.fromhex(blob.salt)), None)
    except FileDamaged:
        return False
    return True


def doctor_check() -> CheckResult:
    """Every stored file present and unaltered, and readable with this instance's key."""
    started = time.monotonic()
    found: dict[str, list[int]] = {"missing": [], "altered": []}
    count = total = 0
    newest = None
    for blob in FileBlob.select().order_by(FileBlob.id).iterator():
        count += 1
        total += blob.stored_size
        problem = _problem(blob)
        if problem:
            found[problem].append(blob.id)
        else:
            newest = blob
    if found["missing"] or found["altered"]:
        parts = []
        for problem, blob_ids in found.items():
            if blob_ids:
                ids = [a for (a,) in Attachment.select(Attachment.id).where(Attachment.blob.in_(blob_ids[:SHOWN]))
                       .order_by(Attachment.id).tuples()]
                parts.append(f"{len(blob_ids)} {problem} (attachments {', '.join(map(str, ids[:SHOWN]))}"
                             f"{', ...' if len(blob_ids) > SHOWN else ''})")
        return CheckResult(NAME, "fail", f"{' and '.join(parts)} of {count} stored files: restore them from the "
                                         "latest backup (`medoffice restore`)")
    if newest is not None and not _opens(newest):
        return CheckResult(NAME, "fail", "the stored files do not open with this instance's backup_key: was "
                                         "medoffice.toml's backup_key changed? Put the previous key back.")
    seconds = time.monotonic() - started
    return CheckResult(NAME, "ok", f"{count} files ({total / 1024 / 1024:.1f} MB), all present and unaltered "
                                   f"(checked in {seconds:.1f} s)")

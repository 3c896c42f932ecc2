"""Stored files in backups: the archive's files section is a tar stream of the sealed files exactly
as stored (still encrypted under the instance key, and the whole archive again under the backup
key), and a restore puts them back in the store.

Writing lists the store after the database snapshot was taken: a file is in the store before its
row commits, so every file the snapshot's rows name is carried (and perhaps a few newer ones).
Reading never turns a member's name into a path: only names that are stored-file digests are
accepted, and each is written to the place the digest gives.
"""
from __future__ import annotations

import os
import tarfile
import tempfile
from pathlib import Path

from ..filemodes import private_dir
from . import store


class FilesSection:
    """The files a backup carries, fixed when it is made: ``summary()`` for the manifest,
    ``write_to(sink)`` to stream them as a tar archive."""

    def __init__(self, instance: Path):
        self.instance = Path(instance)
        self.digests = store.stored_digests(self.instance)
        self.sizes = [store.blob_path(d, self.instance).stat().st_size for d in self.digests]

    def summary(self) -> dict:
        """What the manifest records: how many sealed files, how many bytes."""
        return {"count": len(self.digests), "bytes": sum(self.sizes)}

    def write_to(self, sink) -> None:
        """Write the tar stream of the sealed files into ``sink`` (a binary file-like object)."""
        with tarfile.open(fileobj=sink, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for digest, size in zip(self.digests, self.sizes):
                info = tarfile.TarInfo(digest)
                info.size, info.mode, info.mtime = size, 0o600, 0
                with store.blob_path(digest, self.instance).open("rb") as fh:
                    tar.addfile(info, fh)


class SectionDamaged(Exception):
    """The files section does not hold what its manifest says."""


def restore(tar_path: Path, instance: Path, expected_count: int) -> int:
    """Put every sealed file of the section at ``tar_path`` in ``instance``'s store (a file of the
    same name is replaced: the restored rows name that copy); returns how many.

    Files the restored database does not name (uploads made after the backup) stay where they are.
    :raises SectionDamaged: a member that is not a stored file, or not as many as the manifest says.
    """
    count = 0
    with tarfile.open(tar_path, mode="r:") as tar:
        for member in tar:
            if not member.isfile() or not store.DIGEST.fullmatch(member.name):
                raise SectionDamaged(f"unexpected member {member.name!r}")
            target = store.blob_path(member.name, instance)
            private_dir(store.store_dir(instance))
            private_dir(target.parent)
            fd, name = tempfile.mkstemp(prefix=".restore-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as out, tar.extractfile(member) as source:
                    while block := source.read(1024 * 1024):
                        out.write(block)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(name, target)
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
            count += 1
    if count != expected_count:
        raise SectionDamaged(f"{count} files where the manifest lists {expected_count}")
    return count

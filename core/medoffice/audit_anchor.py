"""Anchors of the audit chain outside the database: the head's sequence number and digest.

An anchor is one JSON line appended (and flushed to disk) to ``audit-anchors.jsonl`` in the
instance folder, by the ``core.audit_anchor`` job, by every backup (which also carries it in
its manifest), when ``serve`` stops, when an instance folder first opens the database, and by
``medoffice audit anchor``. ``medoffice audit verify`` then fails when the database's chain is
shorter than an anchor or its entry at an anchored number has another digest: deleting the
newest entries and moving the head back is caught, as far back as the newest anchor.

The file is only ever appended to. An anchor is never written behind the newest one (a chain
that became shorter is refused, not re-anchored).
"""
from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .db import transaction
from .filemodes import open_private_append
from .models import AuditHead
from .tasks import Failed

ANCHOR_FILE = "audit-anchors.jsonl"
_TAIL = 8192


class AnchorConflict(Exception):
    """The database's chain no longer reaches or matches the newest anchor (it was cut or rewritten)."""


@dataclass(frozen=True)
class Anchor:
    """The chain's head at one moment: entry ``seq`` had digest ``hash``; entries from
    ``keyed_from`` on are keyed (HMAC), older ones plain SHA-256 (written before keying)."""

    seq: int
    hash: str
    keyed_from: int
    at: str
    reason: str = ""

    @classmethod
    def from_dict(cls, data: dict) -> Anchor:
        """Parse an anchor (from the file or a backup manifest); ``ValueError`` when malformed."""
        try:
            anchor = cls(int(data["seq"]), str(data["hash"]), int(data["keyed_from"]), str(data["at"]),
                         str(data.get("reason", "")))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not an audit anchor: {exc}") from None
        if anchor.seq < 0 or anchor.keyed_from < 1 or len(anchor.hash) != 64:
            raise ValueError("not an audit anchor")
        return anchor

    def to_dict(self) -> dict:
        """The anchor as stored in the file and in backup manifests."""
        return asdict(self)


def anchor_path(instance: Path) -> Path:
    """The anchor file of an instance."""
    return Path(instance) / ANCHOR_FILE


def durable_head(reason: str = "") -> Anchor:
    """The chain's head as an anchor, after making every entry up to it durable.

    Entries of reads commit without waiting for the disk; a power cut could lose them after
    their number was anchored, and the chain would look cut. Touching the head row in a normal
    (flushed) transaction makes every earlier commit durable on both engines first.
    """
    with transaction():
        row = next(iter(_TOUCH_HEAD.execute()), None)
    if row is None:
        raise AnchorConflict("the audit chain has no head record")
    seq, last_hash, keyed_from = row
    return Anchor(seq, last_hash, keyed_from, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), reason)


_TOUCH_HEAD = (AuditHead.update(seq=AuditHead.seq).where(AuditHead.id == 1)
               .returning(AuditHead.seq, AuditHead.last_hash, AuditHead.keyed_from).tuples())


def read_all(instance: Path) -> list[Anchor]:
    """Every anchor in the instance's file, oldest first (none when there is no file).

    A line that does not parse (a write cut short by a power failure) is skipped.
    """
    path = anchor_path(instance)
    if not path.exists():
        return []
    return _parse(path.read_text(encoding="utf-8", errors="replace"))


def newest(instance: Path) -> Anchor | None:
    """The last anchor written (read from the end of the file)."""
    path = anchor_path(instance)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - _TAIL))
        tail = _parse(fh.read().decode("utf-8", errors="replace"))
    if tail:
        return tail[-1]
    found = read_all(instance)
    return found[-1] if found else None


def _parse(text: str) -> list[Anchor]:
    anchors = []
    for line in text.splitlines():
        try:
            anchors.append(Anchor.from_dict(json.loads(line)))
        except (ValueError, AttributeError):
            continue
    return anchors


def append(instance: Path, anchor: Anchor) -> None:
    """Append ``anchor`` to the file (created 0600) and wait until it is on disk."""
    path = anchor_path(instance)
    created = not path.exists()
    fd = open_private_append(path)
    try:
        line = json.dumps(anchor.to_dict(), sort_keys=True, separators=(",", ":")) + "\n"
        if os.fstat(fd).st_size and not _ends_with_newline(path):
            line = "\n" + line  # keep a line cut short by a crash apart from this one
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    if created and os.name == "posix":
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def write_anchor(instance: Path, reason: str) -> tuple[Anchor, bool]:
    """Anchor the chain's current head in the instance's file.

    :return: the anchor and whether it was written (False when the newest anchor already
        holds this head).
    :raises AnchorConflict: the chain is shorter than the newest anchor, differs from it, or
        its keyed switch-over point moved: nothing is written, the evidence stays.
    """
    head = durable_head(reason)
    last = newest(instance)
    if last is not None:
        if head.keyed_from != last.keyed_from:
            raise AnchorConflict(f"the audit chain's switch-over to keyed digests is at entry {head.keyed_from}, "
                                 f"but the anchors say entry {last.keyed_from}")
        if head.seq < last.seq:
            raise AnchorConflict(f"the audit chain ends at entry {head.seq}, but entry {last.seq} was anchored "
                                 f"at {last.at}: entries were removed")
        if head.seq == last.seq:
            if head.hash != last.hash:
                raise AnchorConflict(f"entry {head.seq} differs from its anchor of {last.at}: the chain was rewritten")
            return last, False
    append(instance, head)
    return head, True


def ensure_anchored(instance: Path) -> None:
    """Start the instance's anchor file with the current head when it has none yet
    (a new instance, an upgrade from before anchoring, another host's instance folder)."""
    if not anchor_path(instance).exists():
        append(instance, durable_head("first"))


def replace_for_restore(instance: Path, anchor: Anchor | None) -> Path | None:
    """After a restore: set the anchors of the replaced database aside and start the file
    with the restored database's own anchor (from the backup's manifest).

    :return: where the old file was moved, or None when there was none.
    """
    path = anchor_path(instance)
    kept = None
    if path.exists():
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        kept = path.with_name(f"{path.name}.pre-restore-{stamp}")
        os.replace(path, kept)
    if anchor is not None:
        append(instance, anchor)
    return kept


def anchor_job() -> str:
    """The ``core.audit_anchor`` job: anchor the chain's head in the instance's file."""
    from flask import current_app

    try:
        anchor, written = write_anchor(current_app.extensions["medoffice"].instance, "scheduled")
    except AnchorConflict as exc:
        raise Failed(f"The audit trail no longer matches its anchor: {exc}. Ask IT to run `medoffice doctor`.") from None
    return f"Anchored entry {anchor.seq}." if written else f"No new entries since entry {anchor.seq} was anchored."

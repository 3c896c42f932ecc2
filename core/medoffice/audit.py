"""The audit trail: append-only, hash-chained entries of who did what, when, from where.

Each entry's digest covers its own fields and the previous entry's digest, so editing, deleting
or reordering any entry breaks the chain, and ``medoffice audit verify`` finds the first
broken link. Entries are written in the same transaction as the change they describe.

The digest is an HMAC-SHA256 under a key derived from the instance's ``backup_key`` (kept in
``medoffice.toml``, not in the database), so someone who can only write the database cannot
recompute the chain after changing it. Entries written before keying existed keep their plain
SHA-256 digests up to the switch-over point recorded in the head (``keyed_from``), which the
anchors outside the database (``medoffice.audit_anchor``) also record.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import weakref
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from . import audit_anchor, prepared
from .bulk import insert_rows
from .db import (db, is_sqlite, pipelined, transaction, unflushed_driver_transaction, unflushed_statements,
                 unflushed_transaction, utcnow)
from .group_commit import GroupCommit
from .models import AuditEvent, AuditHead
from .prepared import slot

GENESIS = "0" * 64


def _canonical(seq, at, user_id, username, address, action, object_type, object_id,
               patient_id, detail) -> bytes:
    at_text = at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        [seq, at_text, user_id, username, address, action, object_type, str(object_id),
         patient_id, detail],
        separators=(",", ":"), ensure_ascii=True,
    ).encode()


KEY_EXTENSION = "medoffice_audit_key"
KEY_INFO = b"medoffice audit chain v1"


def derive_key(backup_key: str) -> bytes:
    """The chain's HMAC key: HKDF-SHA256 of the instance's backup key (its own, independent key)."""
    if not backup_key:
        raise RuntimeError("this instance has no backup_key in medoffice.toml; the audit trail's key "
                           "is derived from it")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_INFO).derive(backup_key.encode("utf-8"))


def install_key(app, backup_key: str) -> None:
    """Give ``app`` the audit key derived from ``backup_key`` (called once by ``create_app``)."""
    app.extensions[KEY_EXTENSION] = hmac.new(derive_key(backup_key), digestmod=hashlib.sha256)


def _current_mac():
    from flask import current_app

    return current_app.extensions[KEY_EXTENSION]


def _digest(prev_hash: str, payload: bytes) -> str:
    """The plain digest of entries written before the chain was keyed."""
    return hashlib.sha256(prev_hash.encode() + payload).hexdigest()


def _keyed_digest(mac, prev_hash: str, payload: bytes) -> str:
    keyed = mac.copy()
    keyed.update(prev_hash.encode())
    keyed.update(payload)
    return keyed.hexdigest()


def _actor():
    """(user_id, username, address) of the current request, or the system outside one."""
    from flask import has_request_context, request
    from flask_login import current_user

    if has_request_context():
        address = request.remote_addr or ""
        user = current_user._get_current_object()  # the proxy resolves the user on every attribute read
        if getattr(user, "is_authenticated", False):
            return user.id, user.username, address
        return None, "", address
    return None, "system", ""


def _during_emergency_access() -> bool:
    """True inside a request made under an active break-glass grant (set by the access guard)."""
    from flask import g, has_request_context

    return has_request_context() and g.get("emergency_grant") is not None


def _optional_int(value) -> int | None:
    return None if value is None or value == "" else int(value)


def _prepare(actor, action, object_type, object_id, patient_id, detail, user_id, username, address):
    actor_id, actor_name, actor_address = actor
    # Stored exactly as the columns will give them back, so the hash verifies after a reload.
    detail = dict(detail or {})
    if _during_emergency_access():
        detail["emergency"] = True
    return {
        "user_id": _optional_int(actor_id if user_id is None else user_id),
        "username": (actor_name if username is None else username)[:60],
        "address": (actor_address if address is None else address)[:64],
        "action": action[:60], "object_type": object_type[:60], "object_id": str(object_id)[:60],
        "patient_id": _optional_int(patient_id),
        "detail": json.dumps(detail, sort_keys=True, default=str, separators=(",", ":")),
    }


def _append(rows: list[dict], in_transaction=transaction) -> list[dict]:
    """Chain and insert prepared rows under one head update; returns them with seq and hashes.

    :param in_transaction: the transaction to write in (a savepoint inside an open one).
    """
    with pipelined(), in_transaction():
        # Update the head first: it takes the write lock (SQLite) or the row lock (PostgreSQL),
        # so concurrent appends line up instead of forking the chain.
        found = prepared.rows(_ADVANCE_HEAD, "audit.advance_head", count=len(rows))
        head = found[0] if found else None
        if head is None:
            AuditHead.insert(id=1, seq=len(rows), last_hash=GENESIS).execute()
            head = (len(rows), GENESIS)
        prev_hash = _chain(rows, head[0], head[1])
        if len(rows) == 1 and not is_sqlite():
            _insert_one(rows[0], set_head_hash=True)  # one round trip to the server instead of two
            return rows
        if len(rows) == 1:
            _insert_one(rows[0])
        else:
            insert_rows(AuditEvent, rows)
        if not (is_sqlite() and head_follows_inserts()):
            prepared.execute(_SET_HEAD_HASH, "audit.set_head_hash", last_hash=prev_hash)
    return rows


def _chain(rows: list[dict], head_seq: int, prev_hash: str) -> str:
    """Number and digest ``rows`` as the last entries up to ``head_seq`` (the head just advanced past them), after
    the entry whose digest is ``prev_hash``; returns the last one's digest."""
    seq, at, mac = head_seq - len(rows), utcnow(), _current_mac()
    for row in rows:
        seq += 1
        payload = _canonical(seq, at, row["user_id"], row["username"], row["address"], row["action"],
                             row["object_type"], row["object_id"], row["patient_id"], row["detail"])
        digest = _keyed_digest(mac, prev_hash, payload)
        row.update(seq=seq, at=at, prev_hash=prev_hash, hash=digest)
        prev_hash = digest
    return prev_hash


_single_inserts: dict[tuple, tuple[str, list]] = {}  # (parameter mark, with the head) -> (statement, fields)


def _entry_fields() -> list:
    """The fields an entry's INSERT gives values for, in order (all but the id)."""
    return [f for f in AuditEvent._meta.sorted_fields if f is not AuditEvent._meta.primary_key]


def _insert_into(fields: list) -> str:
    """``INSERT INTO`` the entries' table with the columns of ``fields``, for the values to follow."""
    columns = ", ".join(f'"{field.column_name}"' for field in fields)
    return f'INSERT INTO "{AuditEvent._meta.table_name}" ({columns})'


def _insert_statement(set_head_hash: bool = False) -> tuple[str, list]:
    """A plain single-row INSERT of an entry and the fields its values are for, built once per database.
    ``set_head_hash`` (PostgreSQL): the same statement moves the head's hash to the entry's (one more value)."""
    shape = (db.param, set_head_hash)
    found = _single_inserts.get(shape)
    if found is None:
        fields = _entry_fields()
        marks = ", ".join([db.param] * len(fields))
        sql = f'{_insert_into(fields)} VALUES ({marks})'
        if set_head_hash:
            sql = (f'WITH written AS ({sql}) UPDATE "{AuditHead._meta.table_name}" SET "last_hash" = {db.param} '
                   f'WHERE "id" = 1')
        found = _single_inserts[shape] = (sql, fields)
    return found


def _insert_one(row: dict, set_head_hash: bool = False) -> None:
    """One entry in a plain single-row INSERT: a page view's entry, without ``insert_rows``' multi-row machinery
    (every value still goes through its field's ``db_value``)."""
    sql, fields = _insert_statement(set_head_hash)
    values = [field.db_value(row[field.name]) for field in fields]
    db.execute_sql(sql, [*values, row["hash"]] if set_head_hash else values)


def _append_reads(rows: list[dict]) -> list[dict]:
    """The read group's writer: :func:`_append` in an unflushed transaction. On SQLite, outside a transaction, first
    :func:`_append_to_head_as_read` (one statement, no transaction held open), then, should other writers keep
    moving the head meanwhile, :func:`_append` in one opened and committed on the driver's connection
    (``unflushed_driver_transaction``)."""
    if is_sqlite() and not db.in_transaction():
        if head_follows_inserts() and _append_to_head_as_read(rows):
            return rows
        return _append(rows, unflushed_driver_transaction)
    return _append(rows, unflushed_transaction)


# SQLite: the head follows the newest entry inserted, in the inserting statement itself. An entry appended by
# :func:`_append` (the head advanced first, under the write lock) moves only the head's hash, as its last entry is
# inserted; one appended by :func:`_append_to_head_as_read` moves both.
HEAD_TRIGGER = "core_audit_event_moves_head"
_HEAD_TRIGGER_SQL = (
    f'CREATE TRIGGER IF NOT EXISTS {HEAD_TRIGGER} AFTER INSERT ON "core_audit_event" '
    'WHEN NEW."seq" >= (SELECT "seq" FROM "core_audit_head" WHERE "id" = 1) '
    'BEGIN UPDATE "core_audit_head" SET "seq" = NEW."seq", "last_hash" = NEW."hash" WHERE "id" = 1; END')

_heads_followed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # SQLite database -> has the trigger


def ensure_head_trigger() -> None:
    """SQLite: create the trigger that moves the chain's head with each entry inserted (at every start, as the
    version triggers are: a rebuilt table loses its triggers). Nothing to do on PostgreSQL."""
    if is_sqlite():
        db.execute_sql(_HEAD_TRIGGER_SQL)
        _heads_followed[db.obj] = True


def drop_head_trigger() -> None:
    """SQLite: drop the head trigger, before core's migrations run (a migration that rebuilds the head's table
    would otherwise fail: SQLite checks every trigger when the rebuilt table is renamed into place, and this one
    names the head while it is gone). Appends take the locked path until :func:`ensure_head_trigger`."""
    if is_sqlite():
        db.execute_sql(f"DROP TRIGGER IF EXISTS {HEAD_TRIGGER}")
        _heads_followed[db.obj] = False


def head_follows_inserts() -> bool:
    """SQLite: whether this database has the head trigger (looked up once per process and database)."""
    database = db.obj
    found = _heads_followed.get(database)
    if found is None:
        found = _heads_followed[database] = db.execute_sql(
            "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (HEAD_TRIGGER,)).fetchone() is not None
    return found


_CHAIN_TRIES = 3
_READ_HEAD = 'SELECT "seq", "last_hash" FROM "core_audit_head" WHERE "id" = 1'
_chained_inserts: dict[int, tuple[str, list]] = {}  # rows -> (statement, fields)


def _chained_insert(count: int) -> tuple[str, list]:
    """SQLite: an INSERT of ``count`` entries that writes them only while the head is still the one given last (its seq
    and hash): the compare and the append are one statement, so one transaction of SQLite's own. Returns it with
    the fields each entry gives values for, in order."""
    found = _chained_inserts.get(count)
    if found is None:
        fields = _entry_fields()
        marks = "(" + ", ".join(["?"] * len(fields)) + ")"
        found = _chained_inserts[count] = (
            f'{_insert_into(fields)} SELECT * FROM (VALUES {", ".join([marks] * count)}) '
            'WHERE EXISTS (SELECT 1 FROM "core_audit_head" WHERE "id" = 1 AND "seq" = ? AND "last_hash" = ?)', fields)
    return found


def _append_to_head_as_read(rows: list[dict]) -> bool:
    """SQLite, outside a transaction: chain ``rows`` after the head as read, and insert them in one statement that
    checks the head has not moved (the trigger moves it). True once written; False when other writers moved the
    head first each of a few tries.

    The write lock is then held only while SQLite runs that one statement: a transaction of several statements
    holds it across the thread's returns to Python, each of which may wait for the interpreter lock behind the
    process's other request threads, while the other workers' entries wait for the database lock.
    """
    sql, fields = _chained_insert(len(rows))
    with unflushed_statements():
        for _try in range(_CHAIN_TRIES):
            head = db.execute_sql(_READ_HEAD).fetchone()
            if head is None:
                return False
            seq, last_hash = head
            _chain(rows, seq + len(rows), last_hash)
            values = [field.db_value(row[field.name]) for row in rows for field in fields]
            if db.execute_sql(sql, [*values, seq, last_hash]).rowcount:
                return True
    return False


# Every audited request runs these two: compiled once (see medoffice.prepared).
_ADVANCE_HEAD = (AuditHead.update(seq=AuditHead.seq + slot("count")).where(AuditHead.id == 1)
                 .returning(AuditHead.seq, AuditHead.last_hash).tuples())
_SET_HEAD_HASH = AuditHead.update(last_hash=slot("last_hash")).where(AuditHead.id == 1)


def record(action: str, object_type: str = "", object_id="", *, patient_id: int | None = None,
           detail: dict | None = None, user_id=None, username: str | None = None,
           address: str | None = None) -> AuditEvent:
    """Append one audit entry (inside the caller's transaction when there is one).

    :param action: a dotted verb such as ``patient.view``, ``billing.claim.update``.
    :param detail: JSON-serializable facts (for updates, ``{"before": ..., "after": ...}``).
        Never put patient data here that is not needed to explain the change. Entries made
        under break-glass access get ``"emergency": true`` added.
    """
    row = _prepare(_actor(), action, object_type, object_id, patient_id, detail, user_id, username, address)
    return AuditEvent(**_append([row])[0])


def record_read(action: str, object_type: str = "", object_id="", *, patient_id: int | None = None,
                detail: dict | None = None) -> AuditEvent:
    """Append an entry for a read of patient data (a page or list viewed), as :func:`record`.

    Its commit does not wait for the disk (see ``medoffice.db.unflushed_transaction``): a page view
    pays no flush, and a power cut may lose only the read entries of its last moments. Record
    changes with :func:`record`, in the change's own transaction.
    """
    row = _prepare(_actor(), action, object_type, object_id, patient_id, detail, None, None, None)
    if db.in_transaction():
        return AuditEvent(**_append([row], unflushed_transaction)[0])
    return AuditEvent(**_read_group().write(row))


_read_groups: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # database -> its group of read entries


def _read_group() -> GroupCommit:
    """The group commit of read entries for the current database: page views of several threads at the same
    moment share one transaction (``medoffice.group_commit``), chained in the order they are taken."""
    database = db.obj
    group = _read_groups.get(database)
    if group is None:
        group = _read_groups.setdefault(database, GroupCommit(_append_reads))
    return group


def record_list(action: str, patient_ids, **detail) -> AuditEvent:
    """Record that a list page showed these patients (their ids in the detail), as a read."""
    shown = sorted({int(pid) for pid in patient_ids if pid is not None})
    return record_read(action, "patient", "", detail={**detail, "patients": shown})


def record_many(entries: list[dict]) -> int:
    """Append many entries at once (bulk postings and imports), chained under one head update.

    :param entries: dicts with the keyword arguments of :func:`record` (``action`` required).
    :return: the number of entries written.
    """
    if not entries:
        return 0
    actor = _actor()
    rows = [_prepare(actor, e["action"], e.get("object_type", ""), e.get("object_id", ""),
                     e.get("patient_id"), e.get("detail"), e.get("user_id"), e.get("username"),
                     e.get("address")) for e in entries]
    return len(_append(rows))


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a chain check: ``ok``, entries checked, the first problem found, and the
    highest anchored entry the chain was checked against (0: no anchor)."""

    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None
    anchored: int = 0


def verify(batch: int = 5000, *, mac=None, anchors: list[audit_anchor.Anchor] | None = None) -> VerifyResult:
    """Walk the whole chain in order and report the first broken link.

    :param mac: the keyed HMAC to check with (default: the current app's).
    :param anchors: the anchors to hold the chain to (default: the instance's anchor file). The
        chain must reach each one and have its digest there.
    """
    mac = mac or _current_mac()
    if anchors is None:
        from flask import current_app

        anchors = audit_anchor.read_all(current_app.extensions["medoffice"].instance)
    keyed_from = (AuditHead.select(AuditHead.keyed_from).where(AuditHead.id == 1).scalar()) or 1
    anchored: dict[int, audit_anchor.Anchor] = {}
    for anchor in anchors:
        if anchor.keyed_from != keyed_from:
            return VerifyResult(False, 0, f"the chain says its entries are keyed from entry {keyed_from}, but the "
                                f"anchor of {anchor.at} says from entry {anchor.keyed_from} (the switch-over was moved)",
                                min(keyed_from, anchor.keyed_from))
        known = anchored.setdefault(anchor.seq, anchor)
        if known.hash != anchor.hash:
            return VerifyResult(False, 0, f"two anchors of entry {anchor.seq} differ ({known.at} and {anchor.at}): "
                                "the chain was rewritten between them", anchor.seq)
    highest = max(anchored, default=0)
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    after = None
    while True:
        # Keyset over every row (no lower bound at first), so a row slipped in with seq 0 or
        # below is seen, not skipped.
        query = AuditEvent.select().order_by(AuditEvent.seq).limit(batch)
        if after is not None:
            query = query.where(AuditEvent.seq > after)
        rows = list(query)
        if not rows:
            break
        after = rows[-1].seq
        for event in rows:
            if event.seq < expected_seq:
                return VerifyResult(False, checked, f"entry {event.seq} is out of sequence (expected {expected_seq})", event.seq)
            if event.seq != expected_seq:
                return VerifyResult(False, checked, f"entry {expected_seq} is missing (next is {event.seq})", expected_seq)
            if event.prev_hash != prev_hash:
                return VerifyResult(False, checked, f"entry {event.seq} does not follow entry {event.seq - 1}", event.seq)
            payload = _canonical(event.seq, event.at, event.user_id, event.username, event.address,
                                 event.action, event.object_type, event.object_id, event.patient_id,
                                 event.detail)
            expected = (_keyed_digest(mac, prev_hash, payload) if event.seq >= keyed_from
                        else _digest(prev_hash, payload))
            if not hmac.compare_digest(expected, event.hash):
                return VerifyResult(False, checked, f"entry {event.seq} was altered", event.seq)
            anchor = anchored.get(event.seq)
            if anchor is not None and anchor.hash != event.hash:
                return VerifyResult(False, checked, f"entry {event.seq} differs from its anchor of {anchor.at} "
                                    "(the chain was rewritten)", event.seq)
            prev_hash = event.hash
            expected_seq += 1
            checked += 1
            last_seq = event.seq
    if last_seq < highest:
        return VerifyResult(False, checked, f"the chain ends at entry {last_seq} but entry {highest} was anchored at "
                            f"{anchored[highest].at} (entries were deleted from the end)", last_seq + 1)
    head = AuditHead.get_or_none(AuditHead.id == 1)
    if head is None:
        if checked:
            return VerifyResult(False, checked, "the chain's head record is missing", last_seq)
    elif head.seq > last_seq:
        return VerifyResult(False, checked, f"the chain ends at entry {last_seq} but {head.seq} were written "
                            "(entries were deleted from the end)", last_seq + 1)
    elif head.seq != last_seq or head.last_hash != prev_hash:
        return VerifyResult(False, checked, f"entry {last_seq} is not the last entry written (the chain's head "
                            f"is entry {head.seq})", min(head.seq + 1, last_seq))
    return VerifyResult(True, checked, anchored=highest)

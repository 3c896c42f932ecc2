"""The clearinghouse over SFTP: settings with the credential sealed and the host key pinned, and the sync.

``sync`` sends the ready claims (as a new 837P batch) and every queued file (270s), then fetches the
new response files of the inbound folder and imports each by its type: 835 remittances, 999 and
277CA acknowledgments, 271 eligibility answers. A fetched file is imported once (its name and its
SHA-256 are remembered); the remote copy is left, moved or deleted as set. A failure (network,
login, host key change, a refused file) is stored with the server's words and shown on Today until
a sync succeeds; nothing is skipped silently.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
import string
from dataclasses import dataclass, field

from flask import url_for
from medoffice import WorkItem, audit, prepared, settings
from medoffice.data_versions import kept
from medoffice.db import transaction, utcnow

from . import acknowledgments, eligibility, export837, posting
from .actor import acting_user
from .models import QUEUES, ClaimBatch, Clearinghouse, ClearinghouseFile, EligibilityBatch
from .sealing import SealError, seal, unseal
from .sftp import Credentials, SftpError, SftpSession, fingerprint, key_problem, server_host_key
from .x12.ack import detect_kind
from .x12.segments import X12SyntaxError, tokenize

AFTER_FETCH = {"leave": "Leave it on the server", "move": "Move it to the archive folder", "delete": "Delete it"}
AUTH_KINDS = {"password": "Password", "key": "Private key"}
PLACEHOLDERS = {"kind", "control", "date"}
IMPORTED = ("imported", "duplicate")
_FOLDER = re.compile(r"^[A-Za-z0-9_./ -]{1,255}$")


class ClearinghouseError(ValueError):
    """A settings change or action was refused; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass
class SyncResult:
    """What one sync did (the CLI's JSON keys); ``error`` is the failure, in the server's words."""

    sent: list[str] = field(default_factory=list)
    fetched: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return not self.error and not self.problems

    def as_dict(self) -> dict:
        """The result as ``medoffice billing clearinghouse sync --json`` prints it."""
        count = lambda status: sum(1 for f in self.fetched if f["status"] == status)  # noqa: E731
        return {"ok": self.ok, "sent": len(self.sent), "sent_files": self.sent, "fetched": len(self.fetched),
                "imported": count("imported"), "duplicates": count("duplicate"), "refused": count("refused"),
                "files": self.fetched, "problems": self.problems, "error": self.error}


# --- Settings ----------------------------------------------------------------------------------------

_CONNECTION = Clearinghouse.select().order_by(Clearinghouse.id).limit(1)  # compiled once: the page reads it each view


def connection() -> Clearinghouse:
    """The practice's clearinghouse row (created empty the first time)."""
    row = next(iter(prepared.run(_CONNECTION, "billing.clearinghouse.connection")), None)
    return row or Clearinghouse.create()


def configured(row: Clearinghouse) -> bool:
    """Host, user and credential are all entered."""
    return bool(row.host and row.username and row.secret_sealed)


def _folder(name: str, value: str) -> str:
    value = (value or "").strip()
    if not _FOLDER.match(value) or ".." in value.split("/"):
        raise ClearinghouseError(name, "Use a folder path of letters, digits, dots, dashes, underscores and slashes "
                                       "(no '..').")
    return value


def _pattern(value: str) -> str:
    value = (value or "").strip()
    try:
        names = {name for _t, name, _f, _c in string.Formatter().parse(value) if name is not None}
    except ValueError:
        names = {"?"}
    if not value or not names <= PLACEHOLDERS or "{control}" not in value or "/" in value or len(value) > 120:
        raise ClearinghouseError("name_pattern", "Use a file name with {control}, and optionally {kind} and {date}, "
                                                 "such as {kind}-{control}-{date}.x12.")
    return value


def save_connection(values: dict, secret: str = "") -> Clearinghouse:
    """Save the connection settings; a new ``secret`` (password or private key) is sealed before it is stored.

    Changing the host or port forgets the pinned host key (the new server's must be confirmed). Audited,
    without the credential.
    :raises ClearinghouseError: a value is unusable (nothing is saved then).
    """
    row = connection()
    host = (values.get("host") or "").strip()
    if not host or len(host) > 255 or any(ch.isspace() for ch in host):
        raise ClearinghouseError("host", "Enter the server's host name or address.")
    port = values.get("port")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise ClearinghouseError("port", "The port is a number from 1 to 65535 (SFTP is usually 22).")
    username = (values.get("username") or "").strip()
    if not username or len(username) > 100:
        raise ClearinghouseError("username", "Enter the user name the clearinghouse gave you.")
    auth_kind = values.get("auth_kind")
    if auth_kind not in AUTH_KINDS:
        raise ClearinghouseError("auth_kind", "Choose a password or a private key.")
    secret = (secret or "").strip()
    if auth_kind == "key" and secret and key_problem(secret):
        raise ClearinghouseError("secret", key_problem(secret))
    if not secret and (not row.secret_sealed or auth_kind != row.auth_kind):
        raise ClearinghouseError("secret", "Enter the password or paste the private key.")
    after = values.get("after_fetch")
    if after not in AFTER_FETCH:
        raise ClearinghouseError("after_fetch", "Choose what happens to a fetched file on the server.")
    changes = {
        "host": host, "port": port, "username": username, "auth_kind": auth_kind, "after_fetch": after,
        "outbound_dir": _folder("outbound_dir", values.get("outbound_dir")),
        "inbound_dir": _folder("inbound_dir", values.get("inbound_dir")),
        "archive_dir": _folder("archive_dir", values.get("archive_dir")),
        "inbound_pattern": (values.get("inbound_pattern") or "*").strip()[:60] or "*",
        "name_pattern": _pattern(values.get("name_pattern")),
        "enabled": bool(values.get("enabled")), "updated_at": utcnow(), "updated_by": acting_user()[1],
    }
    moved = (host, port) != (row.host, row.port)
    if moved:
        changes.update(host_key="", host_key_seen="")
    if secret:
        changes["secret_sealed"] = seal(row.id, secret)
    with transaction():
        Clearinghouse.update(**changes).where(Clearinghouse.id == row.id).execute()
        audit.record("billing.clearinghouse.settings", "billing_clearinghouse", row.id,
                     detail={"host": host, "port": port, "username": username, "auth_kind": auth_kind,
                             "credential_changed": bool(secret), "host_key_forgotten": moved and bool(row.host_key)})
    return Clearinghouse.get_by_id(row.id)


def fetch_host_key() -> str:
    """Ask the server for its host key and keep it for the manager to confirm; returns its fingerprint.

    :raises ClearinghouseError: not set up, or the server cannot be reached (its words).
    """
    row = connection()
    if not row.host:
        raise ClearinghouseError("host", "Enter the server first.")
    try:
        key = server_host_key(row.host, row.port)
    except SftpError as exc:
        raise ClearinghouseError("host", str(exc)) from None
    Clearinghouse.update(host_key_seen=key).where(Clearinghouse.id == row.id).execute()
    return fingerprint(key)


def confirm_host_key(shown_fingerprint: str) -> Clearinghouse:
    """Pin the key the server offered, when ``shown_fingerprint`` is the one the manager was shown; audited."""
    row = connection()
    if not row.host_key_seen or fingerprint(row.host_key_seen) != (shown_fingerprint or "").strip():
        raise ClearinghouseError("fingerprint", "The server's key changed since it was shown: fetch it again and "
                                                "compare the fingerprint with the clearinghouse's.")
    with transaction():
        Clearinghouse.update(host_key=row.host_key_seen, host_key_seen="", last_error="", last_error_at=None).where(
            Clearinghouse.id == row.id).execute()
        audit.record("billing.clearinghouse.host_key", "billing_clearinghouse", row.id,
                     detail={"fingerprint": shown_fingerprint, "replaced": bool(row.host_key)})
    return Clearinghouse.get_by_id(row.id)


def _credentials(row: Clearinghouse) -> Credentials:
    return Credentials(row.host, row.port, row.username, row.auth_kind, unseal(row.id, row.secret_sealed), row.host_key)


# --- Outbound files ----------------------------------------------------------------------------------

def file_name(row: Clearinghouse, kind: str, control: int, day: dt.date) -> str:
    """The remote name of an outbound file by the practice's naming rule."""
    return row.name_pattern.format(kind=kind, control=f"{control:09d}", date=day.strftime("%Y%m%d"))


def queue_batch(kind: str, batch_id: int, control: int) -> ClearinghouseFile:
    """Queue a claim batch (837P) or eligibility batch (270) for the next sync (once per batch)."""
    found = ClearinghouseFile.get_or_none((ClearinghouseFile.direction == "out") & (ClearinghouseFile.kind == kind)
                                          & (ClearinghouseFile.batch_id == batch_id))
    if found is not None:
        return found
    name = file_name(connection(), kind, control, settings.today())
    return ClearinghouseFile.create(direction="out", name=name[:200], kind=kind, status="queued", batch_id=batch_id)


def _content(item: ClearinghouseFile) -> bytes:
    model = ClaimBatch if item.kind == "837P" else EligibilityBatch
    return bytes(model.get_by_id(item.batch_id).content)


# --- Inbound files -----------------------------------------------------------------------------------

def import_file(name: str, data: bytes) -> tuple[str, str, str]:
    """Import one fetched file by its type; returns (kind, status imported/duplicate/refused, message)."""
    try:
        text = data.decode("ascii")
        kind = detect_kind(tokenize(text)[0])
    except (UnicodeDecodeError, X12SyntaxError) as exc:
        reason = "it is not plain ASCII text" if isinstance(exc, UnicodeDecodeError) else str(exc)
        return "", "refused", f"Not an X12 file: {reason}"
    try:
        if kind == "835":
            result = posting.import_835(text, name)
            return kind, "duplicate" if result.duplicate else "imported", ""
        if kind in ("999", "277CA"):
            result = acknowledgments.import_ack(text, name)
            return kind, "duplicate" if result.duplicate else "imported", ""
        if kind == "271":
            result = eligibility.import_271(text, name)
            return kind, "duplicate" if result.duplicate else "imported", ""
    except (posting.RemitRefused, acknowledgments.AckRefused, eligibility.EligibilityRefused) as exc:
        return kind, "refused", " ".join(exc.problems)
    return kind, "refused", f"A {kind or 'unknown'} file is not something medoffice imports (835, 999, 277CA, 271)."


def _seen_names(names: list[str]) -> set[str]:
    return {n for (n,) in ClearinghouseFile.select(ClearinghouseFile.name).where(
        (ClearinghouseFile.direction == "in") & ClearinghouseFile.name.in_(names)
        & ClearinghouseFile.status.in_(IMPORTED)).tuples()} if names else set()


def _earlier(name: str, digest: str) -> str | None:
    """What became of this content before: "refused" (under this name), "imported" (under any name), or None."""
    statuses = {status for (status,) in ClearinghouseFile.select(ClearinghouseFile.status).where(
        (ClearinghouseFile.direction == "in") & (ClearinghouseFile.sha256 == digest)
        & ((ClearinghouseFile.name == name) | ClearinghouseFile.status.in_(IMPORTED))).tuples()}
    if statuses & set(IMPORTED):
        return "imported"
    return "refused" if statuses else None


# --- The sync ----------------------------------------------------------------------------------------

def sync() -> SyncResult:
    """Send ready claims and queued files, fetch and import new responses; record the outcome (see module doc)."""
    row = connection()
    result = SyncResult()
    if not configured(row):
        result.error = "The clearinghouse connection is not set up (Billing > Clearinghouse)."
        return _finish(row, result)
    if not row.host_key:
        try:
            shown = fetch_host_key()
            result.error = (f"Confirm the clearinghouse server's host key ({shown}) on the Clearinghouse page "
                            "before files are exchanged.")
        except ClearinghouseError as exc:
            result.error = str(exc)
        return _finish(row, result)
    _queue_ready_claims(result)
    try:
        credentials = _credentials(row)
        with SftpSession(credentials) as session:
            _send(row, session, result)
            _fetch(row, session, result)
    except SealError as exc:
        result.error = str(exc)
    except SftpError as exc:
        result.error = str(exc)
        if exc.host_key_changed:
            _remember_offered_key(row)
    return _finish(row, result)


def _queue_ready_claims(result: SyncResult) -> None:
    try:
        exported = export837.export()
    except export837.ExportError as exc:
        result.problems.append("Claims were not sent: " + " ".join(exc.problems))
        return
    for skipped in exported.skipped:
        result.problems.append(f"Claim {skipped.claim_number} stays ready: {' '.join(skipped.problems)}")
    if exported.batch is not None:
        queue_batch("837P", exported.batch.id, exported.batch.control_number)


def _send(row: Clearinghouse, session: SftpSession, result: SyncResult) -> None:
    for item in ClearinghouseFile.select().where((ClearinghouseFile.direction == "out")
                                                 & (ClearinghouseFile.status == "queued")).order_by(ClearinghouseFile.id):
        data = _content(item)
        session.write(posixpath.join(row.outbound_dir, item.name), data)
        ClearinghouseFile.update(status="sent", at=utcnow(), sha256=hashlib.sha256(data).hexdigest()).where(
            ClearinghouseFile.id == item.id).execute()
        result.sent.append(item.name)


def _fetch(row: Clearinghouse, session: SftpSession, result: SyncResult) -> None:
    remote = session.list(row.inbound_dir, row.inbound_pattern)
    done = _seen_names([f.name for f in remote])
    for entry in remote:
        path = posixpath.join(row.inbound_dir, entry.name)
        if entry.name not in done:
            data = session.read(path)
            digest = hashlib.sha256(data).hexdigest()
            earlier = _earlier(entry.name, digest)
            if earlier == "refused":
                continue  # refused before with this very content: it stays listed as refused
            if earlier == "imported":
                kind, status, message = "", "duplicate", "The same content was fetched before under another name."
            else:
                kind, status, message = import_file(entry.name, data)
            ClearinghouseFile.create(direction="in", name=entry.name[:200], sha256=digest, kind=kind, status=status,
                                     message=message)
            result.fetched.append({"name": entry.name, "type": kind, "status": status, "message": message})
            if status == "refused":
                result.problems.append(f"{entry.name} was refused: {message}")
                continue
        if row.after_fetch == "move":
            session.move(path, row.archive_dir)
        elif row.after_fetch == "delete":
            session.remove(path)


def _remember_offered_key(row: Clearinghouse) -> None:
    try:
        key = server_host_key(row.host, row.port)
    except SftpError:
        return
    Clearinghouse.update(host_key_seen=key).where(Clearinghouse.id == row.id).execute()


def _finish(row: Clearinghouse, result: SyncResult) -> SyncResult:
    now = utcnow()
    failure = result.error or "\n".join(result.problems)
    Clearinghouse.update(last_sync_at=now, last_error=failure, last_error_at=now if failure else None).where(
        Clearinghouse.id == row.id).execute()
    audit.record("billing.clearinghouse.sync", "billing_clearinghouse", row.id,
                 detail={k: v for k, v in result.as_dict().items() if k in ("ok", "sent", "fetched", "imported",
                                                                            "duplicates", "refused")})
    return result


def sync_job() -> str:
    """The scheduled sync: runs when the connection is turned on; says what it did or why it failed."""
    row = connection()
    if not row.enabled:
        return "The clearinghouse sync is off (Billing > Clearinghouse)."
    result = sync()
    summary = result.as_dict()
    if result.error:
        return f"Clearinghouse sync failed: {result.error}"
    return (f"Sent {summary['sent']} file(s); fetched {summary['fetched']}: {summary['imported']} imported, "
            f"{summary['duplicates']} seen before, {summary['refused']} refused.")


_SYNC_STATE = Clearinghouse.select(Clearinghouse.last_error, Clearinghouse.host_key_seen).limit(1)


def work_items() -> list[WorkItem]:
    """Today: a failed sync (with the server's words), and a server host key waiting for confirmation."""
    row = kept(QUEUES.key, "clearinghouse sync state",
               lambda: next(iter(prepared.run(_SYNC_STATE, "billing.clearinghouse.sync_state")), None))
    if row is None:
        return []
    items = []
    if row.last_error:
        items.append(WorkItem("The clearinghouse sync failed", url_for("billing.clearinghouse_page"),
                              "billing.claims.submit", urgency=15, source="Billing", detail=row.last_error[:300]))
    if row.host_key_seen:
        items.append(WorkItem("Confirm the clearinghouse server's host key", url_for("billing.clearinghouse_page"),
                              "billing.clearinghouse.manage", urgency=20, source="Billing",
                              detail="Compare its fingerprint with the one the clearinghouse gives you."))
    return items

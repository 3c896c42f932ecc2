"""What plugins and core's pages call: ``attach`` a file to an object, ``list_for`` an object, ``open``
one to read it (audited), ``delete`` one with a reason (a soft delete, audited).

A file's type is sniffed from its first bytes (``filetype``), never taken from its name or the
Content-Type sent with it, and must be one its kind accepts; its size is limited while it is read
(the practice setting ``core.files_max_mb``, or the kind's lower ``max_mb``). The content is
sealed (``sealed``) into a private temporary file as it arrives, so plaintext never reaches the
disk, and moved into the store under its keyed digest in the transaction that records it.
"""
from __future__ import annotations

import io
import re
from contextlib import contextmanager
from functools import lru_cache

import filetype
import peewee as pw
from flask import current_app, has_request_context
from flask_login import current_user

from .. import audit, prepared, settings
from ..db import transaction, utcnow
from ..models import User
from . import store
from .kinds import AttachmentKind, kinds, type_label
from .models import Attachment, FileBlob
from .names import display_name
from .sealed import CHUNK_SIZE, FileDamaged, OpenedFile, SealingWriter

MAX_MB_SETTING = "core.files_max_mb"
MB = 1024 * 1024
MAX_REASON = 500
_NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")
_OBJECT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,60}")


class FileError(ValueError):
    """A file cannot be attached or changed as asked; the message says why, for staff (it never
    quotes the file's content). ``status`` is the HTTP answer a page gives: 413 for too large."""

    def __init__(self, message: str, status: int = 422):
        super().__init__(message)
        self.status = status


def kind_named(name: str) -> AttachmentKind:
    """The attachment kind ``name`` (declared by a loaded plugin)."""
    found = kinds().get(name)
    if found is None:
        raise FileError(f"no installed module declares the attachment kind {name!r}")
    return found


def max_bytes(kind: AttachmentKind) -> int:
    """The largest file ``kind`` accepts: its own ``max_mb`` within the practice's setting."""
    practice = int(settings.get(MAX_MB_SETTING, 25))
    return min(practice, kind.max_mb or practice) * MB


def size_label(size: int) -> str:
    """A size in words: "840 bytes", "12 KB", "3.4 MB"."""
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < MB:
        return f"{size / 1024:.0f} KB"
    return f"{size / MB:.1f} MB".replace(".0 MB", " MB")


def check_object(plugin: str, object_kind: str, object_id) -> str:
    """The object id as stored (text); a FileError when a part of the reference is malformed."""
    object_id = str(object_id)
    if not _NAME.fullmatch(plugin or "") or not _NAME.fullmatch(object_kind or ""):
        raise FileError("plugin and object kind are lower-case names such as 'hr' and 'employee'")
    if not _OBJECT_ID.fullmatch(object_id):
        raise FileError("an object id is 1 to 60 letters, digits or _ . : -")
    return object_id


class Upload:
    """One file being received: sealed into a private temporary file as its bytes arrive.

    Writing more than ``limit`` bytes raises FileError (413) at once, and the temporary file goes.
    ``seek(0)`` ends the file (the multipart parser calls it when a file part is complete).
    """

    def __init__(self, name: str | None, limit: int):
        self.name = display_name(name)
        self.limit = limit
        self._out, self.temp = store.incoming_file()
        self.writer = SealingWriter(self._out, current_app.config.get("BACKUP_KEY"))

    def write(self, data: bytes) -> int:
        """Seal ``data``; refuse at once when the file grows past the limit."""
        if self.writer.size + len(data) > self.limit:
            self.discard()
            raise FileError(f"“{self.name}” is larger than {size_label(self.limit)}, the "
                            "limit for these files. Nothing was uploaded.", status=413)
        return self.writer.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """End of the file part: write the final record."""
        self.finish()
        return 0

    def finish(self) -> None:
        """Write the final record and close the temporary file (idempotent)."""
        if not self.writer.finished:
            self.writer.finish()
            self._out.close()

    def discard(self) -> None:
        """Remove the temporary file (after a refusal, or once the content is in the store)."""
        if not self._out.closed:
            self._out.close()
        self.temp.unlink(missing_ok=True)

    close = discard  # Werkzeug closes a request's files when it ends: no temporary file outlives it

    @property
    def mime(self) -> str | None:
        """The type sniffed from the first bytes, or None when ``filetype`` does not recognise it."""
        return filetype.guess_mime(self.writer.head) if self.writer.head else None

    def problem(self, kind: AttachmentKind) -> str | None:
        """Why ``kind`` refuses this file (empty, a type it does not accept), or None."""
        if self.writer.size == 0:
            return f"“{self.name}” is empty."
        mime = self.mime
        if mime not in kind.types:
            found = f"a {type_label(mime)} file" if mime else "of a type that cannot be recognised"
            return f"“{self.name}” is {found}; {kind.title.lower()} must be {kind.type_labels}."
        return None


def receive(kind: AttachmentKind, source, name: str) -> Upload:
    """Seal ``source`` (bytes or a binary file) as an upload of ``kind``, read in chunks within its limit."""
    upload = Upload(name, max_bytes(kind))
    try:
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(bytes(source))
        while chunk := source.read(CHUNK_SIZE):
            upload.write(chunk)
        upload.finish()
    except BaseException:
        upload.discard()
        raise
    return upload


def _patient_of(kind: AttachmentKind, object_id: str) -> int | None:
    if not kind.patient_bearing:
        return None
    patient = kind.patient_of(object_id) if kind.patient_of else None
    if patient is None:
        raise FileError(f"{kind.title} concern a patient, and object {object_id} names none")
    return int(patient)


def _uploader() -> int | None:
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.id
    return None


def _blob_for(upload: Upload) -> FileBlob:
    """The stored content of ``upload``: an existing blob of the same content, or a new one placed now."""
    writer = upload.writer
    existing = FileBlob.get_or_none(FileBlob.digest == writer.digest)
    if existing is not None:
        upload.discard()
        return existing
    try:
        with transaction():  # a savepoint: another upload of the same content may commit first
            blob = FileBlob.create(digest=writer.digest, mime=upload.mime, size=writer.size,
                                   stored_size=writer.stored_size, stored_sha256=writer.stored_sha256,
                                   salt=writer.salt.hex())
    except pw.IntegrityError:
        upload.discard()
        return FileBlob.get(FileBlob.digest == writer.digest)
    store.place(upload.temp, writer.digest)
    return blob


def store_uploads(uploads: list[Upload], plugin: str, object_kind: str, object_id,
                  kind: AttachmentKind) -> list[Attachment]:
    """Attach received uploads to the object, all or none: FileError naming every refused file.

    The temporary files are gone afterwards, whatever happened.
    """
    try:
        object_id = check_object(plugin, object_kind, object_id)
        problems = [p for p in (u.problem(kind) for u in uploads) if p]
        if problems:
            raise FileError(" ".join(problems) + (" Nothing was uploaded." if len(uploads) > 1 else ""))
        patient_id = _patient_of(kind, object_id)
        created = []
        with transaction():
            for upload in uploads:
                blob = _blob_for(upload)
                row = Attachment.create(blob=blob, kind=kind.name, plugin=plugin, object_kind=object_kind,
                                        object_id=object_id, name=upload.name, patient=patient_id,
                                        uploaded_by=_uploader(), uploaded_at=utcnow())
                audit.record("file.attach", "core_file", row.id, patient_id=patient_id,
                             detail={**_about(row), "type": blob.mime, "size": blob.size})
                created.append(row)
        return created
    finally:
        for upload in uploads:
            upload.discard()


def attach(plugin: str, object_kind: str, object_id, kind: str, source, name: str) -> Attachment:
    """Attach a file to the object (``plugin``, ``object_kind``, ``object_id``) as ``kind``; audited.

    :param source: the content: bytes or a binary file (read in chunks).
    :param name: the name to show (cleaned; never used as a path).
    :raises FileError: unknown kind, malformed object reference, too large (status 413), empty, a
        type the kind does not accept, or a patient-bearing kind whose object names no patient.
    """
    found = kind_named(kind)
    check_object(plugin, object_kind, object_id)
    return store_uploads([receive(found, source, name)], plugin, object_kind, object_id, found)[0]


def _person_columns(user):
    """What a file list shows of a person: their name (never the whole account row, with its password hash
    and second-factor secret, for each file)."""
    return user.id, user.full_name


def _with_people(query):
    uploader = User.alias("uploader")
    return (query.select_extend(FileBlob, *_person_columns(uploader)).join(FileBlob).switch(Attachment)
            .join(uploader, pw.JOIN.LEFT_OUTER, on=(Attachment.uploaded_by == uploader.id), attr="uploaded_by"))


def list_for(plugin: str, object_kind: str, object_id, *, kind: str | None = None,
             deleted: bool = False) -> list[Attachment]:
    """The object's attachments, newest first (of one kind when given; removed ones when ``deleted``).

    Only metadata: listing is not audited here; a page that shows the list records the read (the
    widget does). Reading content goes through :func:`open`.
    """
    object_id = check_object(plugin, object_kind, object_id)
    query = _with_people(Attachment.select()).where(
        Attachment.plugin == plugin, Attachment.object_kind == object_kind, Attachment.object_id == object_id,
        Attachment.deleted_at.is_null(not deleted))
    if kind is not None:
        query = query.where(Attachment.kind == kind)
    return list(query.order_by(Attachment.uploaded_at.desc(), Attachment.id.desc()))


def _list_size(count: int) -> int:
    """The number of object id slots for ``count`` ids: 8, 16, 32... (a statement compiled per size)."""
    size = 8
    while size < count:
        size *= 2
    return size


@lru_cache(maxsize=32)
def _lists_query(size: int, removed: bool):
    """``lists_for``'s one query for ``size`` object ids (slots): the files, the removed ones too when
    ``removed``, with their uploader and remover."""
    uploader, remover = User.alias("uploader"), User.alias("remover")
    query = (Attachment.select(Attachment, FileBlob, *_person_columns(uploader), *_person_columns(remover))
             .join(FileBlob).switch(Attachment)
             .join(uploader, pw.JOIN.LEFT_OUTER, on=(Attachment.uploaded_by == uploader.id), attr="uploaded_by")
             .switch(Attachment)
             .join(remover, pw.JOIN.LEFT_OUTER, on=(Attachment.deleted_by == remover.id), attr="deleted_by")
             .where(Attachment.plugin == prepared.slot("plugin"),
                    Attachment.object_kind == prepared.slot("object_kind"), Attachment.kind == prepared.slot("kind"),
                    Attachment.object_id.in_([prepared.slot(f"object{i}") for i in range(size)])))
    if not removed:
        query = query.where(Attachment.deleted_at.is_null())
    return query.order_by(Attachment.uploaded_at.desc(), Attachment.id.desc())


def lists_for(plugin: str, object_kind: str, object_ids, kind: str, *,
              removed: bool = False) -> dict[str, tuple[list[Attachment], list[Attachment]]]:
    """Many objects' attachments of one kind in one query, by object id (as stored, text): each object's
    (files, removed files), newest first, as :func:`list_for` lists them; removed ones only when
    ``removed`` (otherwise that list is empty). Only metadata, not audited here (as :func:`list_for`)."""
    ids = list(dict.fromkeys(check_object(plugin, object_kind, object_id) for object_id in object_ids))
    found: dict[str, tuple[list, list]] = {object_id: ([], []) for object_id in ids}
    if not ids:
        return found
    size = _list_size(len(ids))
    padded = ids + ids[-1:] * (size - len(ids))  # the same IN list with the last id repeated
    values = {f"object{i}": object_id for i, object_id in enumerate(padded)}
    rows = prepared.run(_lists_query(size, removed), ("files.lists_for", size, removed), plugin=plugin,
                        object_kind=object_kind, kind=kind, **values)
    for row in rows:
        found[row.object_id][row.deleted_at is not None].append(row)
    return found


def get(file_id: int) -> Attachment | None:
    """The attachment ``file_id`` with its content's metadata, removed or not (None when there is none)."""
    return _with_people(Attachment.select()).where(Attachment.id == file_id).first()


def _about(row: Attachment) -> dict:
    return {"kind": row.kind, "plugin": row.plugin, "object_kind": row.object_kind, "object_id": row.object_id}


def reader(row: Attachment, *, action: str = "file.open", export: bool = False):
    """An open binary file over the attachment's content, with the audit entry of the read (the caller
    closes it). ``export``: the content leaves the application (a download): the entry waits for the disk.

    :raises FileDamaged: the stored file is missing, altered or sealed under another key.
    """
    write = audit.record if export else audit.record_read
    write(action, "core_file", row.id, patient_id=row.patient_id, detail=_about(row))
    try:
        source = store.blob_path(row.blob.digest).open("rb")
    except FileNotFoundError:
        raise FileDamaged("the stored file is missing") from None
    raw = OpenedFile(source, current_app.config.get("BACKUP_KEY"), bytes.fromhex(row.blob.salt))
    return io.BufferedReader(raw, buffer_size=CHUNK_SIZE)


@contextmanager
def open(file: Attachment | int, *, purpose: str = "file.open"):  # noqa: A001 (files.open reads like open)
    """Read an attachment's content: ``with files.open(file_id) as fh: data = fh.read()``.

    Audited as a read naming the patient of a patient-bearing kind (``purpose`` is the entry's action).
    Removed attachments open too (their content is kept). Checking who may read it is the caller's job.

    :raises FileError: there is no such attachment.
    :raises FileDamaged: the stored file is missing, altered or sealed under another key.
    """
    row = file if isinstance(file, Attachment) else get(int(file))
    if row is None:
        raise FileError(f"there is no file {file}")
    fh = reader(row, action=purpose)
    try:
        yield fh
    finally:
        fh.close()


def delete(file: Attachment | int, reason: str) -> Attachment:
    """Remove an attachment from its object's list, recording who, when and why (audited). Its
    content stays in the store and in backups.

    :raises FileError: no such attachment, already removed, or no reason given.
    """
    reason = (reason or "").strip()
    if not reason:
        raise FileError("Give the reason this file is removed.")
    if len(reason) > MAX_REASON:
        raise FileError(f"Keep the reason to {MAX_REASON} characters.")
    row = file if isinstance(file, Attachment) else get(int(file))
    if row is None:
        raise FileError(f"there is no file {file}")
    with transaction():
        changed = (Attachment.update(deleted_at=utcnow(), deleted_by=_uploader(), delete_reason=reason)
                   .where(Attachment.id == row.id, Attachment.deleted_at.is_null()).execute())
        if not changed:
            raise FileError("This file was already removed.")
        audit.record("file.delete", "core_file", row.id, patient_id=row.patient_id,
                     detail={**_about(row), "reason": reason})
    return get(row.id)

"""The files service's tables: the stored contents (core_file_blob, one per distinct content) and the
attachments that name them (core_file, one per upload, soft-deleted with a reason)."""
from __future__ import annotations

import peewee as pw

from ..db import BaseModel, UTCDateTimeField, utcnow
from ..models import Patient, User
from .kinds import INLINE_SAFE, type_extension, type_label


class FileBlob(BaseModel):
    """One sealed file in the store, named by its keyed content digest.

    ``salt`` (hex) is the one in the sealed file's header: a file swapped on disk for another sealed
    file is refused before a byte is served. ``stored_sha256`` is the SHA-256 of the sealed bytes,
    which ``doctor`` checks without decrypting.
    """

    digest = pw.CharField(max_length=64, unique=True)
    mime = pw.CharField(max_length=100)  # sniffed from the content
    size = pw.BigIntegerField()  # plaintext bytes
    stored_size = pw.BigIntegerField()
    stored_sha256 = pw.CharField(max_length=64)
    salt = pw.CharField(max_length=32)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_file_blob"


class Attachment(BaseModel):
    """A file attached to an object of a plugin (``plugin``, ``object_kind``, ``object_id``) as one of
    the plugin's attachment kinds. Removing one records who, when and why; the row and its content stay.
    """

    blob = pw.ForeignKeyField(FileBlob, backref="attachments")
    kind = pw.CharField(max_length=120)
    plugin = pw.CharField(max_length=60)
    object_kind = pw.CharField(max_length=60)
    object_id = pw.CharField(max_length=60)
    name = pw.CharField(max_length=255)  # as the uploader called it (control characters removed)
    patient = pw.ForeignKeyField(Patient, null=True, backref="files")
    uploaded_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="uploaded_files")
    uploaded_at = UTCDateTimeField(default=utcnow)
    deleted_at = UTCDateTimeField(null=True)
    deleted_by = pw.ForeignKeyField(User, null=True, on_delete="SET NULL", backref="deleted_files")
    delete_reason = pw.TextField(default="")

    class Meta:
        table_name = "core_file"
        indexes = ((("plugin", "object_kind", "object_id", "kind"), False),)

    @property
    def mime(self) -> str:
        """The type sniffed from the content."""
        return self.blob.mime

    @property
    def size(self) -> int:
        """The size in bytes."""
        return self.blob.size

    @property
    def type_label(self) -> str:
        """The type in words ("PDF", "PNG image")."""
        return type_label(self.blob.mime)

    @property
    def previewable(self) -> bool:
        """True when the browser may show it (PDF and common images)."""
        return self.blob.mime in INLINE_SAFE

    @property
    def download_name(self) -> str:
        """A safe file name for the download, with the extension of the type the content really has."""
        from .names import download_name

        return download_name(self.name, type_extension(self.blob.mime))


FILE_MODELS = [FileBlob, Attachment]

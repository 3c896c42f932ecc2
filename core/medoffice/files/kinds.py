"""Attachment kinds: what a plugin declares about a family of files (``medoffice_attachment_kinds``).

A kind names the types it accepts (as sniffed from the bytes, never as the upload claims), an
optional lower size limit than the practice's, whether its files name a patient, and the two
permissions core checks: ``view`` to list, preview and download them, ``manage`` to upload and
remove them. Types are MIME types core's sniffer (``filetype``) recognises; text formats that
browsers render as pages (HTML, SVG, XML) cannot be recognised from bytes reliably and are never
accepted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import current_app

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
WEBP = "image/webp"
TIFF = "image/tiff"
HEIC = "image/heic"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
DOC = "application/msword"
XLS = "application/vnd.ms-excel"
ZIP = "application/zip"

# What a type is called on the page, and the extension a download gets.
TYPES = {
    PDF: ("PDF", "pdf"),
    PNG: ("PNG image", "png"),
    JPEG: ("JPEG image", "jpg"),
    GIF: ("GIF image", "gif"),
    WEBP: ("WebP image", "webp"),
    TIFF: ("TIFF image", "tif"),
    HEIC: ("HEIC photo", "heic"),
    DOCX: ("Word document", "docx"),
    XLSX: ("Excel workbook", "xlsx"),
    PPTX: ("PowerPoint deck", "pptx"),
    ODT: ("OpenDocument text", "odt"),
    ODS: ("OpenDocument spreadsheet", "ods"),
    DOC: ("Word 97 document", "doc"),
    XLS: ("Excel 97 workbook", "xls"),
    ZIP: ("ZIP archive", "zip"),
}

IMAGES = (PNG, JPEG, GIF, WEBP)
SCANS = (PDF, *IMAGES, TIFF, HEIC)
OFFICE = (DOCX, XLSX, PPTX, ODT, ODS, DOC, XLS)
DOCUMENTS = (*SCANS, *OFFICE)

# Shown in the browser (Content-Disposition: inline): formats whose viewers run no page script.
# Everything else, whatever the kind allows, is only ever downloaded.
INLINE_SAFE = frozenset({PDF, PNG, JPEG, GIF, WEBP})


def type_label(mime: str) -> str:
    """What a sniffed type is called on the page ("PDF", "PNG image")."""
    return TYPES.get(mime, (mime, ""))[0]


def type_extension(mime: str) -> str:
    """The file extension that goes with a sniffed type, without the dot."""
    return TYPES.get(mime, ("", "bin"))[1]


@dataclass(frozen=True)
class AttachmentKind:
    """A family of files a plugin attaches to its objects, named ``<plugin>.<what>`` (``hr.i9``).

    :param view: the permission that lists, previews and downloads them (with ``core.files.use``).
    :param manage: the permission that uploads and removes them.
    :param types: the accepted MIME types, as sniffed from the content (``files.DOCUMENTS`` by default).
    :param max_mb: a lower size limit for this kind, in megabytes; the practice setting
        ``core.files_max_mb`` is the ceiling for every kind.
    :param patient_bearing: its files concern one patient: every upload, read and removal is
        audited naming the patient, found by ``patient_of``.
    :param patient_of: for a patient-bearing kind, ``patient_of(object_id)`` returns the id of the
        patient the object concerns (``object_id`` is text), or None when it names none.
    """

    name: str
    title: str
    view: str
    manage: str
    types: tuple[str, ...] = DOCUMENTS
    max_mb: int | None = None
    patient_bearing: bool = False
    patient_of: Callable[[str], int | None] | None = None
    description: str = ""

    def __post_init__(self):
        object.__setattr__(self, "types", tuple(self.types))
        problem = self.problem()
        if problem:
            raise ValueError(f"attachment kind {self.name!r}: {problem}")

    def problem(self) -> str | None:
        """Why this kind cannot be used, or None."""
        if not self.types or isinstance(self.types, str):
            return "list the accepted types, such as files.SCANS"
        unknown = [t for t in self.types if t not in TYPES]
        if unknown:
            return f"core cannot recognise {', '.join(unknown)} from a file's content (known: {', '.join(TYPES)})"
        if self.max_mb is not None and (not isinstance(self.max_mb, int) or isinstance(self.max_mb, bool)
                                        or self.max_mb < 1):
            return "max_mb is a whole number of megabytes, at least 1"
        if not self.view or not self.manage:
            return "name the view and manage permissions"
        if self.patient_bearing and not callable(self.patient_of):
            return "a patient-bearing kind says how to find an object's patient: patient_of=..."
        return None

    @property
    def type_labels(self) -> str:
        """The accepted types in words ("PDF, PNG image")."""
        return ", ".join(type_label(t) for t in self.types)


def kinds() -> dict[str, AttachmentKind]:
    """Every kind declared by a loaded plugin, enabled or not, by name (a disabled owner's files keep
    their kind; its permissions answer no while it is off)."""
    runtime = current_app.extensions["medoffice"]

    def build() -> dict[str, AttachmentKind]:
        return {kind.name: kind for plugin in runtime.host.ordered()
                for kind in runtime.host.call_for(plugin.name, "medoffice_attachment_kinds")}

    return runtime.derived("files.kinds", build)


def kind_problems(host, plugin_name: str, permissions: set[str]) -> list[str]:
    """Contract problems of one plugin's kinds: permissions outside ``permissions`` (those declared)."""
    return [f"attachment kind {kind.name}: permission {permission!r} is not declared"
            for kind in host.call_for(plugin_name, "medoffice_attachment_kinds")
            for permission in (kind.view, kind.manage) if permission not in permissions]

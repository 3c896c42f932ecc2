"""Files: documents attached to the objects of core and plugins (an employee's I-9, a credential
scan, a signed BAA, incident evidence, campaign artwork), uploaded through one widget.

A plugin declares its kinds (``AttachmentKind``, hook ``medoffice_attachment_kinds``): accepted types,
size limit, whether its files concern a patient, and the view and manage permissions. Its pages show
the widget with ``{% from "files/widget.html" import attachments %}``; its code calls::

    from medoffice import files

    row = files.attach("hr", "employee", employee.id, "hr.i9", pdf_bytes, "i9-signed.pdf")
    for f in files.list_for("hr", "employee", employee.id, kind="hr.i9"): ...
    with files.open(row.id) as fh: data = fh.read()

Content is typed by its bytes, limited in size while it streams in, sealed with AES-256-GCM under a
key derived from the instance key, stored by keyed content digest, served as a download (inline only
for PDF and common images), audited on every read, carried in backups and checked by ``doctor``.
Parts: ``kinds``, ``sealed`` (the encrypted format), ``store`` (the folder), ``names``, ``models``,
``api``, ``upload`` (the streaming parser), ``views``, ``archive`` (backups), ``integrity`` (doctor),
``hooks``, ``demo``. The design is in docs/architecture.md.
"""
import importlib

# Core's tables first: medoffice.models imports this package's models at its end (after User).
from .. import models as _core_models  # noqa: F401

_EXPORTS = {
    "AttachmentKind": "kinds", "DOCUMENTS": "kinds", "IMAGES": "kinds", "INLINE_SAFE": "kinds",
    "OFFICE": "kinds", "SCANS": "kinds", "PDF": "kinds",
    "FileError": "api", "attach": "api", "delete": "api", "get": "api", "list_for": "api", "open": "api",
    "FileDamaged": "sealed",
    "Attachment": "models",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_EXPORTS})

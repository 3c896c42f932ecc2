"""Versioned documents with acknowledgments: the employee manual (HR), privacy and security policies
(compliance), patient-education pieces (marketing) and the office's own policies are one thing, a
markdown document with versions that the people it is addressed to read and sign.

A plugin declares its kinds (``DocumentKind``, hook ``medoffice_document_kinds``); documents are
written on the *Documents* pages or through the API::

    from medoffice import documents

    manual = documents.create("hr.employee_manual", "Employee manual", owner=user,
                              audience=documents.Audience.of(roles=[staff_role.id]), body=text)
    documents.publish(manual, effective_on=date, summary="First version.", requires_acknowledgment=True)

Publishing fixes a version for good (text hash, effective date, summary of changes); each person in
the audience signs it with their password re-entered, or a manager records a paper signature.
Reminders go through core's deadlines, Today lists what a person has to acknowledge, and the
auditor's report lists every signature. Parts: ``kinds``, ``models``, ``audience``, ``api``,
``signing``, ``status``, ``reminders``, ``diff``, ``printing``, ``report``, ``hooks``, ``demo``,
``forms``, ``views``. The design is in docs/architecture.md.
"""
import importlib

# Core's tables first: medoffice.models imports this package's models at its end (after User).
from .. import models as _core_models  # noqa: F401

_EXPORTS = {
    "DocumentKind": "kinds",
    "Audience": "audience", "members": "audience",
    "DocumentError": "api", "create": "api", "current_of": "api", "delete": "api", "discard_draft": "api",
    "draft_of": "api", "publish": "api", "published": "api", "retire": "api", "save_draft": "api", "set_details": "api",
    "start_draft": "api", "version_of": "api",
    "SignatureRefused": "signing", "acknowledge": "signing", "record_paper": "signing",
    "pending_documents": "status", "people": "status",
    "text_hash": "models",
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

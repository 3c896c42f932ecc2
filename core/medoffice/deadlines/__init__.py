"""Deadlines: the obligations plugins track (credentials expiring, reviews due, notices owed),
with reminders before the due date, escalation after it, and evidence when one is done.

A plugin declares its kinds (``DeadlineKind``, hook ``medoffice_deadline_kinds``) and upserts each
obligation under a key of its own, as often as it likes: the same values change nothing::

    from medoffice import deadlines

    deadlines.upsert("compliance", f"baa-review:{baa.id}", title="Review the BAA with Acme Labs",
                     due=baa.review_on, kind="compliance.baa_review",
                     concerns=("compliance_baa", baa.id, "compliance.baa", {"baa_id": baa.id}),
                     assignee_role="office_manager")

A daily job moves open deadlines through their stages (``stages``) and sends each stage's reminder
once through ``medoffice.messages``; Today, the calendar (with its iCalendar download) and
``medoffice deadlines list`` show them. Parts: ``kinds``, ``stages`` (pure date logic), ``models``,
``api`` (upsert, done, waive, supersede), ``notices`` (the daily job), ``queries`` (who sees what,
filters, Today), ``ical``, ``views``, ``hooks``, ``cli``. The design is in docs/architecture.md.
"""
import importlib

# Core's tables first: medoffice.models imports this package's models at its end (after User).
from .. import models as _core_models  # noqa: F401

_EXPORTS = {
    "DeadlineKind": "kinds", "EVIDENCE": "kinds",
    "Concerns": "api", "DeadlineError": "api", "complete": "api", "find": "api", "supersede": "api",
    "upsert": "api", "waive": "api",
    "stage_on": "stages",
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

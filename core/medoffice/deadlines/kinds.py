"""Deadline kinds: what a plugin declares about a family of obligations (``medoffice_deadline_kinds``).

A kind gives the defaults every deadline of that kind starts from (lead times, escalation role and
delay, the evidence that closes one) and the permission that lets staff see them besides their
assignee. ``upsert`` may override the defaults per deadline.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

EVIDENCE = {
    "none": "Nothing",
    "note": "A note",
    "file": "A file",
    "note_or_file": "A note or a file",
}
DEFAULT_LEAD_DAYS = (90, 60, 30, 7)
MAX_LEAD_DAYS = 3650  # ten years: the longest any reminder reaches ahead
MAX_ESCALATE_AFTER = 365
GENERAL = "core.general"


def lead_days_problem(lead_days) -> str | None:
    """Why ``lead_days`` is not a list of reminder distances (whole days, 1 to 3650, no repeats), or None."""
    if isinstance(lead_days, (str, bytes)) or not isinstance(lead_days, (tuple, list)):
        return "lead_days must be a tuple of whole numbers of days, such as (90, 60, 30, 7)"
    if not all(isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= MAX_LEAD_DAYS for d in lead_days):
        return f"each lead time is a whole number of days from 1 to {MAX_LEAD_DAYS}"
    if len(set(lead_days)) != len(lead_days):
        return "a lead time is repeated"
    return None


def escalate_after_problem(days) -> str | None:
    """Why ``days`` is not a delay before escalation (1 to 365 days after the due date), or None."""
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_ESCALATE_AFTER:
        return f"escalate_after_days is a whole number from 1 to {MAX_ESCALATE_AFTER}"
    return None


@dataclass(frozen=True)
class DeadlineKind:
    """A family of obligations a plugin tracks, named ``<plugin>.<what>`` (``compliance.baa_review``).

    :param lead_days: how many days before the due date the assignee is reminded (each once).
    :param escalation_role: the role told when a deadline is still open ``escalate_after_days``
        after its due date ("" for none).
    :param evidence: what marking one done asks for: ``none``, ``note``, ``file`` or ``note_or_file``.
    :param permission: who may see deadlines of this kind besides their assignee (and escalation role).
    """

    name: str
    title: str
    lead_days: tuple[int, ...] = DEFAULT_LEAD_DAYS
    escalation_role: str = "office_manager"
    escalate_after_days: int = 3
    evidence: str = "none"
    permission: str = "core.deadlines.view"
    description: str = ""

    def __post_init__(self):
        problem = (lead_days_problem(self.lead_days) or escalate_after_problem(self.escalate_after_days)
                   or (None if self.evidence in EVIDENCE else f"evidence is one of {', '.join(EVIDENCE)}"))
        if problem:
            raise ValueError(f"deadline kind {self.name!r}: {problem}")
        object.__setattr__(self, "lead_days", tuple(self.lead_days))


GENERAL_KIND = DeadlineKind(GENERAL, "Deadline", description="An obligation with no kind of its own.")


def kinds() -> dict[str, DeadlineKind]:
    """Every kind declared by a loaded plugin, enabled or not (a disabled owner's deadlines still
    show their kind's title), by name."""
    runtime = current_app.extensions["medoffice"]

    def build() -> dict[str, DeadlineKind]:
        return {kind.name: kind for plugin in runtime.host.ordered()
                for kind in runtime.host.call_for(plugin.name, "medoffice_deadline_kinds")}

    return runtime.derived("deadlines.kinds", build)


def kind_title(name: str) -> str:
    """The kind's title, or its name when no installed plugin declares it any more."""
    kind = kinds().get(name)
    return kind.title if kind else name

"""What the deadlines service contributes through core's hooks (``core_plugin`` returns these)."""
from __future__ import annotations

from flask import url_for

from ..contributions import JobSpec, NavItem, Permission, WorkItem
from ..files.kinds import DOCUMENTS, SCANS, AttachmentKind
from .kinds import GENERAL_KIND, DeadlineKind
from .notices import daily_job
from .queries import today_groups

EVERYONE = ("admin", "office_manager", "billing", "front_desk", "hr", "auditor")
MANAGERS = ("admin", "office_manager")

DAILY_JOB = JobSpec("core.deadlines_daily", "Deadline reminders", daily_job, trigger="cron",
                    schedule={"hour": 6, "minute": 15},
                    description="Moves open deadlines to today's stage (coming, reminders, due this week, overdue, "
                                "escalated) and sends each stage's reminder once.")


def permissions() -> list[Permission]:
    """The service's permissions."""
    return [
        Permission("core.deadlines.view", "See deadlines on Today and the calendar; mark one's own done",
                   default_roles=EVERYONE),
        Permission("core.deadlines.manage", "See every deadline, mark any done and waive them",
                   default_roles=MANAGERS),
    ]


def nav_items() -> list[NavItem]:
    """The calendar, next to Today."""
    return [NavItem("Deadlines", "core.deadlines", "core.deadlines.view", order=5)]


# Evidence can be an HR licence scan or a signed BAA, so only those who see every deadline may open
# or add it (files check permissions per kind, not per deadline).
EVIDENCE_FILES = AttachmentKind(
    "core.deadline_evidence", "Evidence files", view="core.deadlines.manage", manage="core.deadlines.manage",
    types=tuple(dict.fromkeys((*DOCUMENTS, *SCANS))),
    description="What shows a deadline was met: the renewed licence, the signed agreement, the filed report.")


def attachment_kinds() -> list[AttachmentKind]:
    """The evidence files kept with a deadline."""
    return [EVIDENCE_FILES]


def kinds() -> list[DeadlineKind]:
    """Core's own kind, for obligations with no kind of their own."""
    return [GENERAL_KIND]


GROUPS = (
    ("escalated", "Overdue deadlines escalated to you", 0),
    ("overdue", "Overdue deadlines", 5),
    ("week", "Deadlines due this week", 25),
    ("coming", "Deadlines coming", 70),
)


def work_items(user, today) -> list[WorkItem]:
    """Today's deadline groups for ``user``: overdue, due this week, coming (theirs or their role's),
    and escalated to a role they hold."""
    if not user.has_permission("core.deadlines.view"):
        return []
    groups = today_groups(user, today)
    items = []
    for group, title, urgency in GROUPS:
        if group not in groups:
            continue
        count, earliest = groups[group]
        args = {"when": group} if group == "escalated" else {"when": group, "assignee": "me"}
        items.append(WorkItem(title, url_for("core.deadlines_list", **args), "core.deadlines.view",
                              urgency=urgency, count=count, due=earliest, source="Deadlines",
                              detail="Escalated to a role you hold" if group == "escalated"
                              else "Assigned to you or a role you hold"))
    return items

"""What the documents service contributes through core's hooks (``core_plugin`` returns these)."""
from __future__ import annotations

import datetime as dt

from flask import url_for

from ..contributions import CheckResult, JobSpec, NavItem, Permission, SettingSpec, WorkItem
from ..deadlines.kinds import DeadlineKind
from ..files.kinds import SCANS, AttachmentKind
from .demo import demo_data  # noqa: F401  (core_plugin calls it with the other demo data)
from .kinds import POLICY_KIND, DocumentKind
from .models import DocumentVersion, text_hash
from .reminders import ACK_KIND, GRACE_SETTING, sync_all
from .report import ACKNOWLEDGMENTS
from .status import today_summary

EVERYONE = ("admin", "office_manager", "billing", "front_desk", "hr", "auditor")
MANAGERS = ("admin", "office_manager")

SYNC_JOB = JobSpec("core.documents_reminders", "Document acknowledgment reminders", sync_all, trigger="cron",
                   schedule={"hour": 6, "minute": 5},
                   description="Gives everyone who joined a document's audience (a new role, location or login) "
                               "their acknowledgment deadline, and supersedes those of people who left it.")

SIGNED_PAGE = AttachmentKind("core.signed_page", "Signed pages", view="core.documents.audit",
                             manage="core.documents.manage", types=SCANS,
                             description="The scanned page of a document someone signed on paper.")

ACK_DEADLINE = DeadlineKind(ACK_KIND, "Document acknowledgment", lead_days=(3,), escalation_role="office_manager",
                            escalate_after_days=3, evidence="none", permission="core.documents.manage",
                            description="A person has to read and acknowledge a published document version.")


def permissions() -> list[Permission]:
    """The service's permissions."""
    return [
        Permission("core.documents.read", "Read the documents addressed to you and acknowledge them; "
                   "read office policies", default_roles=EVERYONE),
        Permission("core.documents.manage", "Write, publish and retire office policies, see who acknowledged "
                   "them and record paper signatures", default_roles=MANAGERS),
        Permission("core.documents.audit", "Run the report of who acknowledged which document version",
                   default_roles=(*MANAGERS, "hr", "auditor")),
    ]


def nav_items() -> list[NavItem]:
    """Documents, next to Today and Deadlines."""
    return [NavItem("Documents", "core.documents", "core.documents.read", order=6)]


def settings() -> list[SettingSpec]:
    """The grace period before a pending acknowledgment is overdue."""
    return [SettingSpec(GRACE_SETTING, "Days to acknowledge a document after it takes effect", kind="int",
                        default=14, minimum=1, maximum=365,
                        help="After this many days a person who has not acknowledged is overdue: reminded, "
                             "then escalated to the office manager.")]


def document_kinds() -> list[DocumentKind]:
    """Core's own kind: the general office policy."""
    return [POLICY_KIND]


def deadline_kinds() -> list[DeadlineKind]:
    """The deadline kind of a pending acknowledgment."""
    return [ACK_DEADLINE]


def attachment_kinds() -> list[AttachmentKind]:
    """The scans of paper signatures."""
    return [SIGNED_PAGE]


def reports():
    """The auditor's report."""
    return [ACKNOWLEDGMENTS]


def work_items(user, today: dt.date) -> list[WorkItem]:
    """"Documents to read and acknowledge" for the user, when any is pending."""
    if not user.has_permission("core.documents.read"):
        return []
    count, overdue, earliest = today_summary(user.id, today)
    if not count:
        return []
    return [WorkItem("Documents to read and acknowledge", url_for("core.documents_mine"), "core.documents.read",
                     urgency=5 if overdue else 20, count=count, due=earliest, source="Documents",
                     detail=f"{overdue} overdue" if overdue else "Addressed to you")]


def doctor_checks() -> list[CheckResult]:
    """Every published version's text still has the hash it was published (and signed) with."""
    altered = [f"document {document_id} version {number}" for document_id, number, body, digest in
               DocumentVersion.select(DocumentVersion.document, DocumentVersion.number, DocumentVersion.body,
                                      DocumentVersion.text_sha256)
               .where(DocumentVersion.state != "draft").tuples()
               if text_hash(body) != digest]
    if altered:
        return [CheckResult("core.documents", "fail",
                            f"{len(altered)} published document version(s) no longer match the hash they were "
                            f"published and signed with (changed in the database): {', '.join(altered[:10])}")]
    return [CheckResult("core.documents", "ok", "every published document version matches its hash")]

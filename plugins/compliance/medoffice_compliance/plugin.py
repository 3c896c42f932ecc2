"""The compliance plugin's metadata and its thin hook implementations."""
from __future__ import annotations

from flask import url_for
from medoffice import NavItem, Permission, PluginInfo, WorkItem, hookimpl, prepared
from medoffice.data_versions import kept
from medoffice.deadlines import DeadlineKind
from medoffice.documents import DocumentKind
from medoffice.files import DOCUMENTS, SCANS, AttachmentKind
from medoffice.prepared import slot
from peewee import SQL, Select, fn

from . import credentials, hookspecs, incidents, privacy, program, records, screening
from .cli import compliance as compliance_cli
from .demo import create_demo_data
from .jobs import compliance_jobs
from .models import (ASSESSMENTS_VERSION, ASSOCIATES_VERSION, COMPLIANCE_MODELS, CREDENTIALS_VERSION,
                     DISCLOSURES_VERSION, INCIDENT_PEOPLE_VERSION, INCIDENTS_VERSION, PRIVACY_VERSION, RECORDS_VERSION,
                     RETENTION_VERSION, SCREENING_MATCHES_VERSION, TRAINING_VERSION, VERIFICATIONS_VERSION,
                     Credential)
from .reports import REPORTS
from .views import bp

PLUGIN = PluginInfo(
    name="compliance",
    title="Compliance",
    version="0.1.0",
    description="Regulatory compliance: provider credentialing, the HIPAA program, patients' privacy-rights "
                "clocks, incidents and breaches, and exclusion screening.",
)

MANAGERS = ("admin", "office_manager")
READERS = ("admin", "office_manager", "auditor")


@hookimpl
def medoffice_add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def medoffice_models():
    return list(COMPLIANCE_MODELS)


@hookimpl
def medoffice_data_versions():
    return [ASSESSMENTS_VERSION, ASSOCIATES_VERSION, CREDENTIALS_VERSION, DISCLOSURES_VERSION, INCIDENT_PEOPLE_VERSION,
            INCIDENTS_VERSION, PRIVACY_VERSION, RECORDS_VERSION, RETENTION_VERSION, SCREENING_MATCHES_VERSION,
            TRAINING_VERSION, VERIFICATIONS_VERSION]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [
        Permission("compliance.credentials.view", "See the credentialing board, credentials and their documents",
                   default_roles=READERS + ("billing",)),
        Permission("compliance.credentials.edit", "Add and change credentials, verifications and their documents",
                   default_roles=MANAGERS),
        Permission("compliance.program.view", "See the HIPAA program: policies, training, risk assessments, BAAs",
                   default_roles=READERS),
        Permission("compliance.program.manage", "Run risk assessments, log training, keep the BAA register",
                   default_roles=MANAGERS),
        Permission("compliance.privacy.view", "See patients' privacy requests and disclosures (each read audited)",
                   default_roles=READERS),
        Permission("compliance.privacy.edit", "Log and answer privacy requests, log disclosures",
                   default_roles=MANAGERS),
        Permission("compliance.incidents.view", "See incidents, breach decisions and notices",
                   default_roles=READERS),
        Permission("compliance.incidents.edit", "Log incidents, assess them and send breach notices",
                   default_roles=MANAGERS),
        Permission("compliance.records.view", "See the retention schedule, records due for destruction, holds and "
                   "the destruction log (patients named)", default_roles=READERS),
        Permission("compliance.records.manage", "Edit the retention schedule, place legal holds, log destructions",
                   default_roles=MANAGERS),
        Permission("compliance.binder.export", "Download the audit binder (the whole program's evidence)",
                   default_roles=READERS),
        Permission("compliance.screening.view", "See exclusion screening runs and matches", default_roles=READERS),
        Permission("compliance.screening.run", "Import exclusion lists, screen, and clear or confirm matches",
                   default_roles=MANAGERS),
    ]


@hookimpl
def medoffice_nav_items():
    return [
        NavItem("Credentialing", "compliance.board", "compliance.credentials.view", group="Compliance", order=10),
        NavItem("Privacy requests", "compliance.privacy_requests", "compliance.privacy.view", group="Compliance",
                order=20),
        NavItem("Incidents", "compliance.incidents", "compliance.incidents.view", group="Compliance", order=30),
        NavItem("HIPAA program", "compliance.program", "compliance.program.view", group="Compliance", order=40),
        NavItem("Records retention", "compliance.records", "compliance.records.view", group="Compliance", order=45),
        NavItem("Audit binder", "compliance.binder", "compliance.binder.export", group="Compliance", order=60),
        NavItem("Exclusion screening", "compliance.screening", "compliance.screening.view", group="Compliance",
                order=50),
    ]


_LAPSED = Credential.select(fn.COUNT(Credential.id)).where(Credential.removed_at.is_null()
                                                           & (Credential.due_on < slot("today")))
_OPEN_MATCHES = screening.open_matches().select(fn.COUNT(SQL("1")))
_TODAY_COUNTS = Select(columns=[_LAPSED, _OPEN_MATCHES])  # both counts in one statement


@hookimpl
def medoffice_work_items(user, today):
    """Lapsed credentials and possible exclusion matches, each for who may act on it: both counted in one
    statement (compiled once), none run for a user who may see neither."""
    may_see_lapsed = user.has_permission("compliance.credentials.view")
    may_review = user.has_permission("compliance.screening.run")
    if not (may_see_lapsed or may_review):
        return []
    lapsed, waiting = kept((CREDENTIALS_VERSION.key, SCREENING_MATCHES_VERSION.key), ("today counts", today),
                           lambda: prepared.rows(_TODAY_COUNTS, "compliance.today.counts", today=today)[0])
    items = []
    if may_see_lapsed and lapsed:
        items.append(WorkItem("Credentials lapsed", url_for("compliance.board", colour="red"),
                              "compliance.credentials.view", urgency=0, count=lapsed, source="Compliance"))
    if may_review and waiting:
        items.append(WorkItem("Exclusion screening: possible matches to review", url_for("compliance.screening"),
                              "compliance.screening.run", urgency=5, count=waiting, source="Compliance"))
    return items


@hookimpl
def medoffice_attachment_kinds():
    return [
        AttachmentKind(credentials.ATTACHMENT_KIND, "Credential documents", view="compliance.credentials.view",
                       manage="compliance.credentials.edit", types=DOCUMENTS,
                       description="Licence, DEA, certificate and policy scans for credentials."),
        AttachmentKind(credentials.EVIDENCE_KIND, "Verification evidence", view="compliance.credentials.view",
                       manage="compliance.credentials.edit", types=DOCUMENTS,
                       description="Primary-source verification printouts."),
        AttachmentKind(program.BAA_FILE_KIND, "Business associate agreements", view="compliance.program.view",
                       manage="compliance.program.manage", types=SCANS,
                       description="Signed BAAs and return-or-destroy certificates."),
        AttachmentKind(records.CERTIFICATE_KIND, "Destruction certificates", view="compliance.records.view",
                       manage="compliance.records.manage", types=SCANS, patient_bearing=True,
                       patient_of=records.patient_of_destruction,
                       description="Certificates of destruction of medical records."),
    ]


@hookimpl
def medoffice_deadline_kinds():
    return [
        DeadlineKind(credentials.DEADLINE_KIND, "Credential renewal", lead_days=(90, 60, 30),
                     escalation_role="office_manager", escalate_after_days=1, evidence="none",
                     permission="compliance.credentials.view",
                     description="A licence, registration, cover, attestation or enrollment comes due."),
        DeadlineKind(privacy.DEADLINE_KIND, "Privacy request answer", lead_days=(14, 7, 3),
                     escalation_role="office_manager", escalate_after_days=1, evidence="none",
                     permission="compliance.privacy.view",
                     description="A patient's privacy-rights request must be answered (45 CFR 164)."),
        DeadlineKind(incidents.DEADLINE_KIND, "Breach notification", lead_days=(30, 14, 7),
                     escalation_role="office_manager", escalate_after_days=1, evidence="none",
                     permission="compliance.incidents.view",
                     description="Notices a breach owes the individuals, HHS and the media."),
        DeadlineKind(program.POLICY_REVIEW_KIND, "Policy yearly review", lead_days=(30, 7),
                     escalation_role="office_manager", escalate_after_days=7, evidence="note",
                     permission="compliance.program.view", description="A HIPAA policy is due its yearly review."),
        DeadlineKind(program.REMEDIATION_KIND, "Risk remediation task", lead_days=(30, 7),
                     escalation_role="office_manager", escalate_after_days=3, evidence="note",
                     permission="compliance.program.view",
                     description="A gap found by the security risk assessment must be fixed."),
        DeadlineKind(program.BAA_REVIEW_KIND, "Business associate review", lead_days=(60, 30),
                     escalation_role="office_manager", escalate_after_days=7, evidence="note",
                     permission="compliance.program.view", description="A business associate agreement is due review."),
    ]


@hookimpl
def medoffice_document_kinds():
    return [DocumentKind(program.POLICY_KIND, "HIPAA policy", view_permission="compliance.program.view",
                         manage_permission="compliance.program.manage", requires_acknowledgment=True,
                         description="The practice's HIPAA policies (privacy, security, breach notification, "
                                     "sanctions...); the staff they apply to acknowledge each version.")]


@hookimpl
def medoffice_event_subscriptions():
    return [records.SUBSCRIPTION]


@hookimpl
def medoffice_message_templates():
    return [*privacy.TEMPLATES, incidents.BREACH_NOTICE]


@hookimpl
def medoffice_jobs():
    return compliance_jobs()


@hookimpl
def medoffice_reports():
    return list(REPORTS)


@hookimpl
def medoffice_cli_commands():
    return [compliance_cli]


@hookimpl
def medoffice_demo_data(ctx):
    create_demo_data(ctx)


@hookimpl(optionalhook=True)
def billing_claim_holds(claims):
    """Billing's scrubber asks, with plain values, why claims must be held: compliance answers for
    a rendering provider whose licence (in the state of service), DEA, malpractice cover or
    enrollment with the payer is not current on the date of service."""
    return credentials.claim_holds(claims)

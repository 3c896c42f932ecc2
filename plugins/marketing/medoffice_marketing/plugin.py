"""The marketing plugin's metadata and its thin hook implementations."""
from __future__ import annotations

from flask import url_for
from medoffice import CheckResult, JobSpec, NavItem, Permission, PluginInfo, SettingSpec, Widget, WorkItem, hookimpl
from medoffice.data_versions import kept
from medoffice.deadlines import DeadlineKind
from medoffice.documents import DocumentKind
from medoffice.events import EventType
from medoffice.files import DOCUMENTS, IMAGES, SCANS, AttachmentKind
from medoffice.prepared import scalar, slot
from peewee import fn

from . import authorizations, experience, materials, recall
from .demo import create_demo_data
from .jobs import recount_kept_figures, withdraw_expired_authorizations
from .merges import MERGE_SUBSCRIPTION
from .models import (ATTEMPTS, LAST_VISITS, MARKETING_FIGURES, MARKETING_MODELS, MATERIALS, RECALL, REFERRERS, REVIEWS,
                     RecoveryItem)
from .reports import marketing_reports
from .revenue import BILLING_SUBSCRIPTION
from .views import bp

PLUGIN = PluginInfo(
    name="marketing",
    title="Marketing",
    version="0.1.0",
    description="Where patients come from and what it cost, recall and reactivation, surveys and service recovery, "
                "complaints, online reviews, patient education and testimonial authorizations.",
    uses=("billing", "finance"),
)

MANAGERS = ("admin", "office_manager")
DESK = ("admin", "office_manager", "front_desk")

SPEND_RECORDED = EventType("marketing.spend_recorded", 1, {
    "spend_id": "int", "campaign_id": "int", "campaign_code": "str", "channel": "str", "amount_cents": "cents",
    "spent_on": "date", "vendor": "str", "description": "str"},
    "Money was spent on a marketing campaign (a bill to book): amount_cents is positive; vendor is who was paid.")


@hookimpl
def medoffice_models():
    return list(MARKETING_MODELS)


@hookimpl
def medoffice_data_versions():
    return [MARKETING_FIGURES, REFERRERS, REVIEWS, ATTEMPTS, MATERIALS, RECALL, LAST_VISITS]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [
        Permission("marketing.view", "See campaigns, referral sources, recall lists and marketing reports",
                   default_roles=DESK),
        Permission("marketing.edit", "Change campaigns, spend, referral sources, recall rules and lists",
                   default_roles=DESK),
        Permission("marketing.experience.view", "See surveys, service recovery, complaints and reviews",
                   default_roles=DESK),
        Permission("marketing.experience.edit", "Enter surveys, work recovery items and complaints, draft review replies",
                   default_roles=DESK),
        Permission("marketing.reviews.approve", "Approve replies to online reviews", default_roles=MANAGERS),
        Permission("marketing.materials.view", "Open the materials library", default_roles=DESK),
        Permission("marketing.materials.manage", "Write, approve and schedule reviews of marketing materials",
                   default_roles=MANAGERS),
        Permission("marketing.authorizations.edit", "Record testimonial and photo authorizations and their uses",
                   default_roles=MANAGERS),
        Permission("marketing.kiosk.manage", "Enroll and retire survey kiosks", default_roles=("admin",)),
    ]


@hookimpl
def medoffice_nav_items():
    group = "Marketing"
    return [
        NavItem("Patient experience", "marketing.dashboard", "marketing.experience.view", group=group, order=10),
        NavItem("Campaigns", "marketing.campaigns", "marketing.view", group=group, order=20),
        NavItem("Referring providers", "marketing.referrers", "marketing.view", group=group, order=25),
        NavItem("Recall lists", "marketing.recall_rules", "marketing.view", group=group, order=30),
        NavItem("Surveys", "marketing.surveys", "marketing.experience.view", group=group, order=40),
        NavItem("Service recovery", "marketing.recovery", "marketing.experience.view", group=group, order=45),
        NavItem("Complaints", "marketing.complaints", "marketing.experience.view", group=group, order=50),
        NavItem("Online reviews", "marketing.reviews_list", "marketing.experience.view", group=group, order=55),
        NavItem("Materials", "marketing.materials_list", "marketing.materials.view", group=group, order=60),
        NavItem("Testimonials", "marketing.testimonials", "marketing.authorizations.edit", group=group, order=70),
        NavItem("Survey kiosks", "marketing.kiosks", "marketing.kiosk.manage", group=group, order=80),
    ]


@hookimpl
def medoffice_widgets():
    return [Widget("marketing.experience", "Patient experience", "marketing.widget", "marketing.experience.view",
                   order=60)]


@hookimpl
def medoffice_patient_panels():
    return [Widget("marketing.patient", "Source, recalls and experience", "marketing.patient_panel", "marketing.view")]


# Open recovery items due by a day: built and compiled once (Today calls the hook on every request).
_DUE_ITEMS = RecoveryItem.select(fn.COUNT(RecoveryItem.id)).where(
    (RecoveryItem.state == "open") & (RecoveryItem.due_on <= slot("day")))


@hookimpl
def medoffice_work_items(user, today):
    if not user.has_permission("marketing.experience.edit"):
        return []
    due = kept(MARKETING_FIGURES.key, ("recovery due", today), lambda: scalar(_DUE_ITEMS, "marketing.work_items.due",
                                                                             day=today))
    if not due:
        return []
    return [WorkItem("Unhappy patients to call back (service recovery due)", url_for("marketing.recovery"),
                     "marketing.experience.edit", urgency=10, count=due, source="Marketing")]


@hookimpl
def medoffice_settings():
    section = "Marketing and patient experience"
    return [
        SettingSpec(experience.RECOVERY_DAYS, "Days to call back an unhappy patient (business days)", kind="int",
                    default=2, minimum=1, maximum=15, section=section),
        SettingSpec(experience.ACK_DAYS, "Days to acknowledge a complaint (business days)", kind="int", default=5,
                    minimum=1, maximum=30, section=section),
        SettingSpec(experience.RESOLVE_DAYS, "Days to resolve a complaint (calendar days)", kind="int", default=30,
                    minimum=1, maximum=180, section=section),
        SettingSpec(materials.GRADE_LOW, "Patient material: easiest target reading grade", kind="int", default=6,
                    minimum=1, maximum=16, section=section),
        SettingSpec(materials.GRADE_HIGH, "Patient material: hardest target reading grade", kind="int", default=8,
                    minimum=1, maximum=16, section=section),
    ]


@hookimpl
def medoffice_event_types():
    return [SPEND_RECORDED]


@hookimpl
def medoffice_event_subscriptions():
    return [BILLING_SUBSCRIPTION, MERGE_SUBSCRIPTION]


@hookimpl
def medoffice_deadline_kinds():
    return [
        DeadlineKind(experience.RECOVERY_KIND, "Service recovery call-back", lead_days=(1,), escalation_role="office_manager",
                     escalate_after_days=1, evidence="note", permission="marketing.experience.view",
                     description="An unhappy patient (survey detractor or complaint) to contact."),
        DeadlineKind(experience.ACK_KIND, "Complaint acknowledgment", lead_days=(2,), escalation_role="office_manager",
                     escalate_after_days=1, evidence="note", permission="marketing.experience.view"),
        DeadlineKind(experience.RESOLVE_KIND, "Complaint resolution", lead_days=(14, 7), escalation_role="office_manager",
                     escalate_after_days=3, evidence="note", permission="marketing.experience.view"),
        DeadlineKind(materials.REVIEW_KIND, "Marketing material review", lead_days=(30, 7), evidence="none",
                     permission="marketing.materials.view"),
    ]


@hookimpl
def medoffice_attachment_kinds():
    return [
        AttachmentKind("marketing.invoice", "Campaign invoices", view="marketing.view", manage="marketing.edit",
                       types=DOCUMENTS, description="The invoice behind a campaign spend entry."),
        AttachmentKind(authorizations.FILE_KIND, "Signed HIPAA authorizations", view="marketing.authorizations.edit",
                       manage="marketing.authorizations.edit", types=SCANS, patient_bearing=True,
                       patient_of=authorizations.patient_of,
                       description="The patient's signed 164.508 authorization for a testimonial or photo."),
        AttachmentKind(materials.IMAGE_KIND, "Material images", view="marketing.materials.view",
                       manage="marketing.materials.manage", types=IMAGES,
                       description="Pictures used in handouts, ads and web copy."),
    ]


@hookimpl
def medoffice_document_kinds():
    return [DocumentKind(materials.DOCUMENT_KIND, "Marketing and patient-education material",
                         view_permission="marketing.materials.view", manage_permission="marketing.materials.manage",
                         requires_acknowledgment=False,
                         description="Handouts, ads, web copy and letters, versioned, printed and made PDF.")]


@hookimpl
def medoffice_message_templates():
    return [recall.RECALL_TEMPLATE, recall.REACTIVATION_TEMPLATE]


@hookimpl
def medoffice_jobs():
    return [JobSpec(id="marketing.authorizations", title="Withdraw testimonials whose authorization expired",
                    func=withdraw_expired_authorizations, trigger="cron", schedule={"hour": 5, "minute": 40},
                    description="A testimonial or photo is usable only while its HIPAA authorization holds."),
            JobSpec(id="marketing.kept_figures", title="Recount new patients' revenue and recall lists' figures",
                    func=recount_kept_figures, trigger="cron", schedule={"hour": 5, "minute": 45},
                    description="Return figures and recall lists read counts kept as work is done; a patient "
                                "merge moves revenue, visits and list entries between patients, so each "
                                "morning they are counted afresh.")]


@hookimpl
def medoffice_reports():
    return marketing_reports()


@hookimpl
def medoffice_demo_data(ctx):
    create_demo_data(ctx)


@hookimpl
def medoffice_doctor_checks():
    stale = RecoveryItem.select().where((RecoveryItem.state == "open") & RecoveryItem.owner_user_id.is_null() & (RecoveryItem.owner_role == "")).count()
    if stale:
        return [CheckResult("marketing.recovery_owners", "fail", f"{stale} open service-recovery item(s) have no owner")]
    return [CheckResult("marketing.recovery_owners", "ok", "every open service-recovery item has an owner")]

"""Core registers its own contributions through the same hooks as every plugin."""
from __future__ import annotations

from dataclasses import replace

from flask import current_app

from . import dates, hookimpl, settings
from .audit_anchor import anchor_job
from .auth import two_factor
from .auth.emergency import close_expired_job as close_expired_emergency_access
from .backup import last_backup_check, nightly_backup
from .contributions import JobSpec, NavItem, Permission, PluginInfo, SettingSpec
from .demo import core_demo_data
from .doctor import core_checks
from .documents import hooks as document_hooks
from .documents import status as document_status
from .deadlines import hooks as deadline_hooks
from .events import monitor as event_monitor
from .files import hooks as file_hooks
from .files.integrity import doctor_check as files_check
from .jobs import failed_job_items, verify_audit_chain
from .messages import hooks as message_hooks
from .data_versions import DEADLINES_KEY, EVENTS_KEY, OPERATIONS_KEY, PATIENTS_KEY, STAFF_KEY, DataVersion
from .deadlines.models import Deadline
from .events.models import EventRecord, EventSubscriber
from .messages.models import OutboxMessage
from .models import CORE_MODELS, JobRun, Location, Patient, StaffMember
from .patient_merge import PATIENT_MERGED
from .reports.core_reports import core_reports
from .tls import certificate_check

PLUGIN = PluginInfo(
    name="core",
    title="Core",
    version="0.1.0",
    description="Patients, staff, locations, users and roles, audit, jobs, reports and settings.",
)

EVERYONE = ("admin", "office_manager", "billing", "front_desk", "hr", "auditor")
MANAGERS = ("admin", "office_manager")


@hookimpl
def medoffice_models():
    return list(CORE_MODELS)


@hookimpl
def medoffice_data_versions():
    return [document_status.DOCUMENTS_VERSION, DataVersion(STAFF_KEY, [StaffMember, Location]),
            DataVersion(PATIENTS_KEY, [Patient]), DataVersion(DEADLINES_KEY, [Deadline]),
            DataVersion(OPERATIONS_KEY, [JobRun, EventSubscriber, OutboxMessage]), DataVersion(EVENTS_KEY, [EventRecord])]


@hookimpl
def medoffice_permissions():
    return [
        Permission("core.dashboard.view", "See the dashboard and Today queue", default_roles=EVERYONE),
        Permission("core.account.use", "Change one's own password", default_roles=EVERYONE),
        Permission("core.patients.view", "Look up patients and open their records",
                   default_roles=(*MANAGERS, "billing", "front_desk"), break_glass=True),
        Permission("core.patients.edit", "Register patients and edit demographics",
                   default_roles=(*MANAGERS, "billing", "front_desk")),
        Permission("core.patients.merge", "Merge a duplicate patient record into another (moves all its records)",
                   default_roles=MANAGERS),
        Permission("core.staff.view", "See the staff and provider directory", default_roles=EVERYONE),
        Permission("core.staff.edit", "Add and edit staff and providers", default_roles=(*MANAGERS, "hr")),
        Permission("core.locations.edit", "Add and edit locations", default_roles=MANAGERS),
        Permission("core.settings.edit", "Change practice settings and the theme", default_roles=MANAGERS),
        Permission("core.plugins.manage", "Turn modules on and off", default_roles=("admin",)),
        Permission("core.users.manage", "Create users, reset passwords, unlock accounts", default_roles=("admin",)),
        Permission("core.roles.manage", "Edit roles and their permissions", default_roles=("admin",)),
        Permission("core.jobs.view", "See scheduled jobs and their runs", default_roles=MANAGERS),
        Permission("core.jobs.run", "Run a scheduled job now", default_roles=MANAGERS),
        Permission("core.reports.view", "Open the reports list", default_roles=(*MANAGERS, "billing", "hr", "auditor")),
        Permission("core.audit.view", "Read and export the audit trail", default_roles=("admin", "auditor")),
        Permission("core.events.view", "See event subscribers and whether they are up to date", default_roles=MANAGERS),
        Permission("core.events.manage", "Retry a stuck event subscriber", default_roles=("admin",)),
        Permission("core.emergency_access", "Take emergency (break-glass) access: read any patient's record "
                   "for a limited time, with a stated reason; loudly audited", default_roles=("admin",)),
        *message_hooks.permissions(),
        *file_hooks.permissions(),
        *deadline_hooks.permissions(),
        *document_hooks.permissions(),
    ]


@hookimpl
def medoffice_nav_items():
    return [
        NavItem("Today", "core.dashboard", "core.dashboard.view", order=0),
        NavItem("Patients", "core.patients", "core.patients.view", group="Patients", order=10),
        NavItem("Modules", "core.plugins", "core.plugins.manage", group="Admin", order=50),
        NavItem("Scheduled jobs", "core.jobs", "core.jobs.view", group="Admin", order=70),
        NavItem("Events", "core.events", "core.events.view", group="Admin", order=75),
        NavItem("Health check", "core.doctor", "core.settings.edit", group="Admin", order=80),
        NavItem("Users", "core.users", "core.users.manage", group="Admin", order=30),
        NavItem("Roles", "core.roles", "core.roles.manage", group="Admin", order=40),
        NavItem("Audit trail", "core.audit_trail", "core.audit.view", group="Admin", order=60),
        NavItem("Emergency access", "core.emergency_access", "core.emergency_access", group="Admin", order=90),
        NavItem("Staff", "core.staff_list", "core.staff.view", group="People", order=10),
        NavItem("Locations", "core.locations", "core.locations.edit", group="Admin", order=20),
        NavItem("Settings", "core.settings_page", "core.settings.edit", group="Admin", order=10),
        NavItem("Reports", "core.reports", "core.reports.view", group="Reports", order=10),
        *message_hooks.nav_items(),
        *deadline_hooks.nav_items(),
        *document_hooks.nav_items(),
    ]


def _section(title: str, specs: list[SettingSpec]) -> list[SettingSpec]:
    """``specs`` shown (and saved) together under ``title`` on the settings page."""
    return [replace(spec, section=title) for spec in specs]


@hookimpl
def medoffice_settings():
    return [*_section("Practice", [
        SettingSpec("core.practice_name", "Practice name", default="My Practice"),
        SettingSpec("core.practice_npi", "Practice (group) NPI", help="10 digits"),
        SettingSpec("core.tax_id", "Federal tax id (EIN)", help="9 digits"),
        SettingSpec("core.address1", "Street address"),
        SettingSpec("core.address2", "Address line 2"),
        SettingSpec("core.city", "City"),
        SettingSpec("core.state", "State", help="Two letters"),
        SettingSpec("core.zip", "ZIP code"),
        SettingSpec("core.phone", "Phone"),
    ]), *_section("Time, dates and theme", [
        SettingSpec("core.timezone", "Time zone", default=settings.DEFAULT_TIMEZONE),
        *dates.settings(),
        SettingSpec("core.theme", "Theme", kind="choice", default="default"),
    ]), *_section("Sign-in and security", [
        SettingSpec("core.idle_timeout_minutes", "Log out after this many idle minutes", kind="int", default=15,
                    minimum=1, maximum=480),
        SettingSpec("core.lockout_threshold", "Lock a user name after this many failed logins", kind="int", default=5,
                    minimum=1, maximum=100),
        SettingSpec("core.lockout_minutes", "Keep a locked user name locked for this many minutes", kind="int",
                    default=15, minimum=1, maximum=7 * 24 * 60),
        SettingSpec("core.login_window_minutes", "Count failed logins over this many minutes", kind="int", default=15,
                    minimum=1, maximum=24 * 60),
        SettingSpec("core.login_address_threshold", "Refuse logins from a computer after this many failures",
                    kind="int", default=20, minimum=1, maximum=1000),
        SettingSpec("core.emergency_access_minutes", "Emergency (break-glass) access lasts this many minutes",
                    kind="int", default=60, minimum=5, maximum=12 * 60),
        SettingSpec(two_factor.ADMINS_SETTING, "Administrators must use two-factor sign-in", kind="bool",
                    default=False, help="An administrator without it is sent to set it up right after the password."),
        SettingSpec(two_factor.NETWORKS_SETTING, "Office networks", default="", check=two_factor.networks_problem,
                    help="Addresses of the office (such as 192.168.1.0/24, separated by commas). Every login from "
                         "anywhere else needs two-factor sign-in. Empty: no such rule."),
    ]), *_section("Backups", [
        SettingSpec("core.backup_keep_daily", "Nightly backups: keep one for each of this many days",
                    kind="int", default=7, minimum=1, maximum=366),
        SettingSpec("core.backup_keep_weekly", "Nightly backups: also keep one for each of this many weeks",
                    kind="int", default=4, minimum=0, maximum=520),
    ]), *_section("Messages", message_hooks.settings()), *_section("Files", file_hooks.settings()),
        *_section("Documents", document_hooks.settings())]


@hookimpl
def medoffice_reports():
    return [*core_reports(), *document_hooks.reports()]


@hookimpl
def medoffice_jobs():
    return [
        JobSpec("core.nightly_backup", "Nightly backup", nightly_backup, trigger="cron",
                schedule={"hour": 1, "minute": 30},
                description="Writes an encrypted backup and prunes old nightly ones (settings: keep daily/weekly)."),
        JobSpec("core.audit_verify", "Verify the audit trail", verify_audit_chain, trigger="cron",
                schedule={"hour": 3, "minute": 15},
                description="Walks the audit trail's hash chain and fails if any entry was altered or removed."),
        JobSpec("core.audit_anchor", "Anchor the audit trail", anchor_job, trigger="interval",
                schedule={"minutes": 10},
                description="Writes the audit trail's newest entry to the anchor file outside the database, "
                            "so entries deleted later are caught."),
        JobSpec("core.emergency_access_close", "Close expired emergency access", close_expired_emergency_access,
                trigger="interval", schedule={"minutes": 5},
                description="Ends and audits break-glass grants past their time, even if their user never came back."),
        event_monitor.DELIVER_JOB,
        message_hooks.DELIVER_JOB,
        deadline_hooks.DAILY_JOB,
        document_hooks.SYNC_JOB,
    ]


@hookimpl
def medoffice_doctor_checks():
    instance = current_app.extensions["medoffice"].instance
    return [*core_checks(), last_backup_check(), certificate_check(instance), event_monitor.doctor_check(),
            *message_hooks.doctor_checks(), files_check(), *document_hooks.doctor_checks()]


@hookimpl
def medoffice_work_items(user, today):
    return [*failed_job_items(), *event_monitor.work_items(user), *message_hooks.work_items(user),
            *deadline_hooks.work_items(user, today), *document_hooks.work_items(user, today)]


@hookimpl
def medoffice_event_types():
    return [PATIENT_MERGED]


@hookimpl
def medoffice_plugin_enabled(name):
    event_monitor.catch_up(name)  # a subscriber turned on catches up from its cursor


@hookimpl
def medoffice_demo_data(ctx):
    core_demo_data(ctx)
    file_hooks.demo_data(ctx)
    document_hooks.demo_data(ctx)


@hookimpl
def medoffice_patient_panels():
    return message_hooks.patient_panels()


@hookimpl
def medoffice_message_channels():
    return message_hooks.channels()


@hookimpl
def medoffice_message_templates():
    return message_hooks.templates()


@hookimpl
def medoffice_attachment_kinds():
    return [*file_hooks.kinds(), *document_hooks.attachment_kinds(), *deadline_hooks.attachment_kinds()]


@hookimpl
def medoffice_deadline_kinds():
    return [*deadline_hooks.kinds(), *document_hooks.deadline_kinds()]


@hookimpl
def medoffice_document_kinds():
    return document_hooks.document_kinds()

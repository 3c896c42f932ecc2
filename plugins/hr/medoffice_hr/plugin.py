"""The HR plugin's metadata and its thin hook implementations."""
from __future__ import annotations

from medoffice import CheckResult, NavItem, Permission, PluginInfo, SettingSpec, hookimpl
from medoffice.deadlines import DeadlineKind
from medoffice.documents import DocumentKind
from medoffice.files import DOCUMENTS, AttachmentKind

from .demo import create_demo_data
from .benefits_models import BENEFITS, BENEFITS_MODELS
from .checklists import TASK_KIND
from .cli import hr as hr_cli
from .employees import ATTACHMENT_KIND, EXPIRY_KIND, unreadable_count
from .hiring import DEFAULT_OFFER_TEMPLATE, OFFER_TEMPLATE_SETTING, RESUME_KIND, RETENTION_SETTING
from .hiring_models import CHECKLISTS, HIRING, HIRING_MODELS, LEAVING
from .payroll import JOURNAL_LINE, STATE_SETTING, SUTA_BASE_SETTING, SUTA_RATE_SETTING
from .payroll_models import PAY_FIGURES, PAY_RUNS, PAYROLL_MODELS, WITHHOLDING
from .payroll_reports import PAYROLL_REGISTER
from .reviews import REVIEW_KIND
from .time_models import LEAVE, TIME_ENTRIES, TIME_MODELS
from .training import CERTIFICATE_KIND, CERTIFICATION_HR_KIND, CERTIFICATION_KIND, TRAINING_KIND, hipaa_completions
from .training_models import NOTES, REVIEWS, TRAINING_FIGURES, TRAINING_MODELS
from .time_rules import FREQUENCIES, WEEKDAYS
from .timesheets import (ANCHOR_SETTING, DAILY_OVERTIME_SETTING, DEFAULT_ANCHOR, FREQUENCY_SETTING, WORKWEEK_SETTING,
                         anchor_problem)
from .jobs import hr_jobs
from .manual import KIND as MANUAL_KIND
from .models import FILES, HR_MODELS, PEOPLE
from .views import bp
from .work_items import hr_work_items

PLUGIN = PluginInfo(
    name="hr",
    title="HR",
    version="0.1.0",
    description="Human resources: employee files on the staff records (employment, pay rates, contacts, "
                "documents, sealed sensitive details), self-service, the org chart and the employee manual.",
)

HR_ROLES = ("admin", "office_manager", "hr")
EVERYONE = ("admin", "office_manager", "front_desk", "billing", "hr", "auditor")


@hookimpl
def medoffice_data_versions():
    return [PEOPLE, FILES, HIRING, CHECKLISTS, LEAVING, TRAINING_FIGURES, REVIEWS, TIME_ENTRIES, LEAVE, PAY_RUNS,
            PAY_FIGURES, WITHHOLDING, BENEFITS, NOTES]


@hookimpl
def medoffice_models():
    return [*HR_MODELS, *HIRING_MODELS, *TIME_MODELS, *TRAINING_MODELS, *PAYROLL_MODELS, *BENEFITS_MODELS]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [
        Permission("hr.employees.view", "See every employee file: employment, pay, contacts and documents",
                   default_roles=HR_ROLES),
        Permission("hr.employees.edit", "Change employee files: employment, pay rates, contacts, documents",
                   default_roles=HR_ROLES),
        Permission("hr.sensitive.view", "Reveal SSNs, dates of birth and bank accounts (each reveal is audited)",
                   default_roles=("admin", "hr")),
        Permission("hr.sensitive.edit", "Enter or change SSNs, dates of birth and bank accounts",
                   default_roles=("admin", "hr")),
        Permission("hr.self.view", "See one's own HR file, one's reports' and the org chart",
                   default_roles=EVERYONE),
        Permission("hr.hiring.view", "See openings, candidates, résumés and scorecards", default_roles=HR_ROLES),
        Permission("hr.hiring.manage", "Post openings, move candidates, record scorecards and offers, hire",
                   default_roles=HR_ROLES),
        Permission("hr.time.manage", "See, correct and approve everyone's time (supervisors approve their reports' "
                   "without it)", default_roles=HR_ROLES),
        Permission("hr.leave.manage", "Keep the leave policies and decide anyone's leave (supervisors decide their "
                   "reports' without it)", default_roles=HR_ROLES),
        Permission("hr.kiosk.use", "Open the shared front-desk time clock", default_roles=("admin", "office_manager",
                                                                                             "front_desk", "hr")),
        Permission("hr.training.manage", "Keep the courses and record completions and certifications",
                   default_roles=HR_ROLES),
        Permission("hr.reviews.manage", "Start review cycles and read and write every review and private note "
                   "(supervisors do their reports' without it)", default_roles=("admin", "office_manager", "hr")),
        Permission("hr.payroll.view", "See pay runs, the register, payroll reports and everyone's pay stubs",
                   default_roles=HR_ROLES),
        Permission("hr.payroll.run", "Run and post payroll, keep W-4s and deductions, download the direct-deposit "
                   "file", default_roles=("admin", "hr")),
        Permission("hr.benefits.manage", "Keep benefit plans and open enrollment, and change anyone's enrollments",
                   default_roles=HR_ROLES),
        Permission("hr.manual.view", "Open every published version of the employee manual", default_roles=EVERYONE),
        Permission("hr.manual.manage", "Write and publish the employee manual and see who has not signed it",
                   default_roles=HR_ROLES),
    ]


@hookimpl
def medoffice_nav_items():
    return [
        NavItem("Employees", "hr.employees", "hr.employees.view", group="People", order=10),
        NavItem("My HR file", "hr.me", "hr.self.view", group="People", order=15),
        NavItem("Org chart", "hr.org_chart", "hr.self.view", group="People", order=20),
        NavItem("My time and leave", "hr.my_time", "hr.self.view", group="People", order=16),
        NavItem("Timesheets", "hr.timesheets_page", "hr.self.view", group="People", order=17),
        NavItem("Leave", "hr.leave_requests", "hr.self.view", group="People", order=18),
        NavItem("Time clock (kiosk)", "hr.kiosk", "hr.kiosk.use", group="People", order=19),
        NavItem("My pay", "hr.my_pay", "hr.self.view", group="People", order=16),
        NavItem("My benefits", "hr.my_benefits", "hr.self.view", group="People", order=16),
        NavItem("Payroll", "hr.payroll_runs", "hr.payroll.view", group="People", order=24),
        NavItem("Training", "hr.training_overview", "hr.training.manage", group="People", order=26),
        NavItem("Reviews", "hr.reviews_page", "hr.self.view", group="People", order=27),
        NavItem("Hiring", "hr.openings", "hr.hiring.view", group="People", order=25),
        NavItem("Employee manual", "hr.manual", "hr.manual.manage", group="People", order=30),
    ]


@hookimpl
def medoffice_work_items(user, today):
    # Core reminds each person and escalates to the office manager; these tell HR and supervisors too.
    return hr_work_items(user, today)


@hookimpl
def medoffice_attachment_kinds():
    return [AttachmentKind(ATTACHMENT_KIND, "Employee documents", view="hr.employees.view",
                           manage="hr.employees.edit", types=DOCUMENTS,
                           description="I-9, W-4, licences, offer letters and warnings in employee files."),
            AttachmentKind(CERTIFICATE_KIND, "Training certificates", view="hr.training.manage",
                           manage="hr.training.manage", types=DOCUMENTS,
                           description="Certificates of completed courses."),
            AttachmentKind(RESUME_KIND, "Résumés", view="hr.hiring.view", manage="hr.hiring.manage", types=DOCUMENTS,
                           description="Candidates' résumés, deleted with the candidate after the retention period.")]


@hookimpl
def medoffice_deadline_kinds():
    return [DeadlineKind(EXPIRY_KIND, "Employee document expiry", lead_days=(90, 60, 30, 7), escalation_role="hr",
                         escalate_after_days=1, evidence="none", permission="hr.employees.view",
                         description="A licence or work authorisation in an employee file expires."),
            DeadlineKind(TASK_KIND, "Onboarding or separation task", lead_days=(7,), escalation_role="hr",
                         escalate_after_days=2, evidence="none", permission="hr.employees.view",
                         description="A task of a new hire's or a leaver's checklist (I-9 section 2, HIPAA training, "
                                     "collecting keys)."),
            DeadlineKind(TRAINING_KIND, "Required training", lead_days=(30, 7), escalation_role="hr",
                         escalate_after_days=1, evidence="none", permission="hr.employees.view",
                         description="A course an employee's job requires (HIPAA, OSHA, BLS), first after hire and "
                                     "then at its repeat interval."),
            DeadlineKind(CERTIFICATION_KIND, "Certification or licence expiry", lead_days=(90, 60, 30, 7),
                         escalation_role="hr", escalate_after_days=1, evidence="none", permission="hr.employees.view",
                         description="The employee renews a certification or licence."),
            DeadlineKind(CERTIFICATION_HR_KIND, "Certification or licence expiry (HR)", lead_days=(60, 30, 7),
                         escalation_role="office_manager", escalate_after_days=3, evidence="none",
                         permission="hr.employees.view",
                         description="HR's own reminder of an employee's expiring certification, escalated to the "
                                     "office manager when overdue."),
            DeadlineKind(REVIEW_KIND, "Performance review", lead_days=(14, 7), escalation_role="hr",
                         escalate_after_days=3, evidence="none", permission="hr.employees.view",
                         description="A self-review or a supervisor's review of a review cycle.")]


@hookimpl
def medoffice_settings():
    return [
        SettingSpec(RETENTION_SETTING, "Keep candidates who were not hired (days)", kind="int", default=730,
                    minimum=365, maximum=3650, section="HR",
                    help="Then a nightly job deletes them with their résumés and scorecards. Federal rules ask for "
                         "at least a year."),
        SettingSpec(FREQUENCY_SETTING, "Pay frequency", kind="choice", default="biweekly", choices=FREQUENCIES,
                    section="HR: time and pay"),
        SettingSpec(ANCHOR_SETTING, "First day of any one pay period (YYYY-MM-DD)", default=DEFAULT_ANCHOR,
                    check=anchor_problem, section="HR: time and pay",
                    help="Weekly and biweekly periods are counted from it; ignored for twice-monthly and monthly."),
        SettingSpec(WORKWEEK_SETTING, "First day of the FLSA workweek", kind="choice", default="6", choices=WEEKDAYS,
                    section="HR: time and pay", help="Overtime is counted over 40 hours in this fixed 7-day week."),
        SettingSpec(DAILY_OVERTIME_SETTING, "Daily overtime after (hours; 0: none)", kind="int", default=0, minimum=0,
                    maximum=24, section="HR: time and pay",
                    help="Some states also pay overtime for hours over 8 in a day; leave 0 where only the week counts."),
        SettingSpec(STATE_SETTING, "Payroll state (two letters, as in the tax table)", default="",
                    section="HR: time and pay", help="State income tax is withheld by this state's entry in the tax table; left empty, the practice's state."),
        SettingSpec(SUTA_RATE_SETTING, "State unemployment rate (hundredths of a percent)", kind="int", default=270,
                    minimum=0, maximum=2000, section="HR: time and pay", help="270 is 2.70%."),
        SettingSpec(SUTA_BASE_SETTING, "State unemployment wage base", kind="cents", default=700000, minimum=0,
                    maximum=50_000_000, section="HR: time and pay"),
        SettingSpec("hr.ach_immediate_destination", "Bank routing number (ACH immediate destination)",
                    section="HR: direct deposit"),
        SettingSpec("hr.ach_destination_name", "Bank name", section="HR: direct deposit"),
        SettingSpec("hr.ach_immediate_origin", "Immediate origin (10 characters, often 1 and the EIN)",
                    section="HR: direct deposit"),
        SettingSpec("hr.ach_company_id", "Company identification (10 characters)", section="HR: direct deposit"),
        SettingSpec("hr.ach_originating_dfi", "Originating bank (first 8 digits of its routing number)",
                    section="HR: direct deposit"),
        SettingSpec(OFFER_TEMPLATE_SETTING, "Offer letter", kind="markdown", default=DEFAULT_OFFER_TEMPLATE,
                    section="HR",
                    help="Placeholders: $first_name, $last_name, $job_title, $start_date, $pay, $date, $practice."),
    ]


@hookimpl
def medoffice_document_kinds():
    return [DocumentKind(MANUAL_KIND, "Employee manual", view_permission="hr.manual.view",
                         manage_permission="hr.manual.manage", requires_acknowledgment=True,
                         description="The practice's employee handbook; every employee acknowledges each version.")]


@hookimpl
def medoffice_event_types():
    return [JOURNAL_LINE]


@hookimpl
def medoffice_cli_commands():
    return [hr_cli]


@hookimpl
def medoffice_jobs():
    return hr_jobs()


@hookimpl
def medoffice_demo_data(ctx):
    create_demo_data(ctx)


@hookimpl
def medoffice_doctor_checks():
    unreadable = unreadable_count()
    if unreadable:
        return [CheckResult("hr.sealed_fields", "fail",
                            f"{unreadable} employee record(s) hold sensitive fields this instance's backup_key cannot "
                            "open: restore the key from medoffice.toml's backup copy, or enter the values again")]
    return [CheckResult("hr.sealed_fields", "ok", "every sealed HR field opens with this instance's key")]


@hookimpl(optionalhook=True)
def compliance_training_completions(since):
    """Compliance counts HR's HIPAA course completions with its own training log."""
    return hipaa_completions(since)


@hookimpl(optionalhook=True)
def compliance_training_versions():
    """HR's answer above reads courses, their completions and employments: compliance keeps who is overdue until
    one of them changes."""
    return [TRAINING_FIGURES.key]


@hookimpl
def medoffice_reports():
    return [PAYROLL_REGISTER]

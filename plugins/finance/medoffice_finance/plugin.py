"""The finance plugin's metadata and its thin hook implementations."""
from __future__ import annotations

from flask import url_for
from medoffice.deadlines import DeadlineKind
from medoffice.files import DOCUMENTS, AttachmentKind
from medoffice import CheckResult, NavItem, Permission, PluginInfo, SettingSpec, Widget, WorkItem, hookimpl

from .booking import BILLING_SUBSCRIPTION, PAYROLL_SUBSCRIPTION
from .cli import finance
from .dayclose import DAY_CLOSED, DAY_CLOSED_V1, DAY_REOPENED, DAY_REOPENED_V1
from .payables import DEADLINE_KIND
from .demo import create_demo_data
from .deposits import waiting_before
from .invariants import run_all
from .jobs import finance_jobs
from .models import DATA_VERSIONS, FINANCE_MODELS
from .reports import finance_reports
from .spend import SPEND_SUBSCRIPTION
from .views import bp

PLUGIN = PluginInfo(
    name="finance",
    title="Finance",
    version="0.1.0",
    description="The practice's books: chart of accounts, double-entry journal, month and year close, "
                "billing's money and payroll booked from their events, marketing's spend as bills to pay.",
    uses=("billing", "hr"),
)

MANAGERS = ("admin", "office_manager")


@hookimpl
def medoffice_models():
    return list(FINANCE_MODELS)


@hookimpl
def medoffice_data_versions():
    return list(DATA_VERSIONS)


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [
        Permission("finance.view", "See the books: accounts, journal, periods, posting rules and finance reports",
                   default_roles=(*MANAGERS, "auditor")),
        Permission("finance.journal.post", "Post journal entries and reverse posted ones", default_roles=MANAGERS),
        Permission("finance.accounts.edit", "Edit the chart of accounts, budget lines and the books' basis",
                   default_roles=MANAGERS),
        Permission("finance.rules.edit", "Edit the posting rules that book billing's events", default_roles=MANAGERS),
        Permission("finance.deposits.make", "Make deposit slips from the desk's cash and checks",
                   default_roles=MANAGERS),
        Permission("finance.bank.reconcile", "Import bank statements, match, book and reconcile their lines",
                   default_roles=MANAGERS),
        Permission("finance.bills.edit", "Enter vendors, bills and recurring bills", default_roles=MANAGERS),
        Permission("finance.bills.approve", "Approve bills above the approval threshold", default_roles=("admin",)),
        Permission("finance.bills.pay", "Pay approved bills by check or ACH", default_roles=MANAGERS),
        Permission("finance.budget.edit", "Create and edit budgets and their controls", default_roles=MANAGERS),
        Permission("finance.periods.close", "Close months and years", default_roles=MANAGERS),
        Permission("finance.periods.reopen", "Reopen a closed month, year or day, with a reason",
                   default_roles=("admin",)),
    ]


@hookimpl
def medoffice_nav_items():
    return [
        NavItem("Finance overview", "finance.dashboard", "finance.view", group="Finance", order=10),
        NavItem("Journal", "finance.journal", "finance.view", group="Finance", order=20),
        NavItem("Daily close", "finance.day", "finance.view", group="Finance", order=22),
        NavItem("Deposits", "finance.deposits", "finance.view", group="Finance", order=25),
        NavItem("Bank", "finance.bank", "finance.view", group="Finance", order=27),
        NavItem("Bills", "finance.bills", "finance.view", group="Finance", order=28),
        NavItem("Vendors", "finance.vendors", "finance.view", group="Finance", order=29),
        NavItem("Budgets", "finance.budgets", "finance.view", group="Finance", order=35),
        NavItem("Chart of accounts", "finance.accounts", "finance.view", group="Finance", order=30),
        NavItem("Periods", "finance.periods", "finance.view", group="Finance", order=40),
        NavItem("Posting rules", "finance.rules", "finance.view", group="Finance", order=50),
        NavItem("Budget lines", "finance.budget_line_list", "finance.view", group="Finance", order=60),
    ]


@hookimpl
def medoffice_widgets():
    return [Widget("finance.checks", "Books against billing", "finance.checks_widget", "finance.view", order=60)]


@hookimpl
def medoffice_work_items(user, today):
    if not user.has_permission("finance.deposits.make"):
        return []
    waiting = waiting_before(today)
    if not waiting:
        return []
    return [WorkItem("Deposit the desk's cash and checks from before today", url_for("finance.deposit_new"),
                     "finance.deposits.make", urgency=30, count=waiting, count_is_floor=waiting >= 100,
                     source="Finance")]


@hookimpl
def medoffice_settings():
    return [SettingSpec("finance.bank_match_days", "Days a deposit may take to reach the bank statement", kind="int",
                        default=5, minimum=0, maximum=60, section="Finance",
                        help="A statement line is matched to a deposit or insurance EFT of the same amount dated up "
                             "to this many days before it."),
            SettingSpec("finance.bill_approval_cents", "Bills above this amount wait for approval", kind="cents",
                        default=100_000, minimum=0, maximum=10_000_000_000, section="Finance",
                        help="A bill at or under it is approved as it is entered; one above it waits for a holder "
                             "of the approve-bills permission.")]


@hookimpl
def medoffice_deadline_kinds():
    return [DeadlineKind(DEADLINE_KIND, "Bill due", lead_days=(7,), escalate_after_days=3, evidence="none",
                         permission="finance.view", description="An approved vendor bill to pay by its due date.")]


@hookimpl
def medoffice_attachment_kinds():
    return [AttachmentKind("finance.w9", "W-9 forms", view="finance.view", manage="finance.bills.edit", types=DOCUMENTS,
                           description="A vendor's Form W-9 (its taxpayer id for the 1099)."),
            AttachmentKind("finance.invoice", "Vendor invoices", view="finance.view", manage="finance.bills.edit",
                           types=DOCUMENTS, description="The invoice behind a bill.")]


@hookimpl
def medoffice_event_types():
    return [DAY_CLOSED_V1, DAY_CLOSED, DAY_REOPENED_V1, DAY_REOPENED]


@hookimpl
def medoffice_event_subscriptions():
    return [BILLING_SUBSCRIPTION, PAYROLL_SUBSCRIPTION, SPEND_SUBSCRIPTION]


@hookimpl
def medoffice_doctor_checks():
    return [CheckResult(r.name, r.status, f"{r.title}: {r.message}") for r in run_all()]


@hookimpl
def medoffice_jobs():
    return finance_jobs()


@hookimpl
def medoffice_reports():
    return finance_reports()


@hookimpl
def medoffice_cli_commands():
    return [finance]


@hookimpl
def medoffice_demo_data(ctx):
    create_demo_data(ctx)

"""The billing plugin's metadata and its thin hook implementations."""
from __future__ import annotations

from dataclasses import replace

from medoffice import JobSpec, NavItem, Permission, PluginInfo, SettingSpec, Widget, hookimpl

from . import appeals, clearinghouse, estimates, hookspecs, icd10
from .claims import rescrub_open_claims
from .closed_days import CLOSED_DAYS
from .collections import COLLECTION_SETTINGS
from .cli import billing
from .demo import create_demo_data
from .event_types import EVENT_TYPES
from .expected_collections import expected_collections
from .export837 import X12_SETTINGS
from .jobs import JOB_SETTINGS, billing_jobs
from .models import (ACCOUNT_NOTES, BATCHES, BILLING_MODELS, CLAIMS, CLEARINGHOUSE, COLLECTIONS, DENIALS, ENCOUNTERS,
                     ESTIMATES, FEES, LEDGER, PAYERS, PAYMENTS, PLANS, QUEUES, REMITTANCES, SAVED_FILTERS,
                     STATEMENT_RUNS, STATEMENTS, UNDERPAYMENTS)
from .plans import PLAN_SETTINGS
from .posting import POSTING_SETTINGS
from .posting import work_items as remittance_work_items
from .reports import billing_reports
from .statements import STATEMENT_SETTINGS
from .today import dashboard_items
from .views import bp

PLUGIN = PluginInfo(
    name="billing",
    title="Billing and collections",
    version="0.1.0",
    description="Payers, patients' insurance, fee schedule, charge entry, claims with a scrubber and their history.",
    uses=("compliance",),  # its billing_claim_holds answers the scrubber (its demo credentials come first)
)

BILLERS = ("admin", "office_manager", "billing")
DESK = (*BILLERS, "front_desk")


@hookimpl
def medoffice_add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def billing_expected_collections(as_of, horizon_days):
    return expected_collections(as_of, horizon_days)


@hookimpl
def medoffice_preload():
    icd10.preload()


@hookimpl
def medoffice_event_subscriptions():
    return [CLOSED_DAYS]


@hookimpl
def medoffice_event_types():
    return list(EVENT_TYPES)


@hookimpl
def medoffice_models():
    return list(BILLING_MODELS)


@hookimpl
def medoffice_data_versions():
    return [PLANS, CLAIMS, PAYMENTS, DENIALS, UNDERPAYMENTS, QUEUES, COLLECTIONS, ENCOUNTERS, SAVED_FILTERS, PAYERS,
            BATCHES, REMITTANCES, STATEMENT_RUNS, FEES, ESTIMATES, LEDGER, STATEMENTS, ACCOUNT_NOTES, CLEARINGHOUSE]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [
        Permission("billing.view", "See claims, encounters, payers, fees and patients' insurance",
                   default_roles=(*DESK, "auditor"), break_glass=True),
        Permission("billing.charges.edit", "Enter encounters, diagnoses and service lines", default_roles=DESK),
        Permission("billing.lists.save", "Save named filters of the billing lists (one's own)",
                   default_roles=(*DESK, "auditor")),
        Permission("billing.coverage.edit", "Enter patients' insurance policies and guarantors", default_roles=DESK),
        Permission("billing.claims.edit", "Create, correct, hold and void claims; record their outcome",
                   default_roles=BILLERS),
        Permission("billing.claims.submit", "Mark claims submitted to payers", default_roles=BILLERS),
        Permission("billing.payers.edit", "Add and edit payers", default_roles=BILLERS),
        Permission("billing.fees.edit", "Edit the fee schedule and expected amounts", default_roles=BILLERS),
        Permission("billing.remits.post", "Import 835 remittances and post them; work the 835 exceptions",
                   default_roles=BILLERS),
        Permission("billing.payments.post", "Take patient payments at the desk and print receipts", default_roles=DESK),
        Permission("billing.payments.void", "Void desk payments and refund patients' credit", default_roles=BILLERS),
        Permission("billing.statements.run", "Run and send statements; hold a patient's statements",
                   default_roles=BILLERS),
        Permission("billing.plans.edit", "Set up and cancel payment plans", default_roles=DESK),
        Permission("billing.collections.manage", "Place accounts with a collection agency, recall them, write off "
                   "bad debt and edit the dunning stages", default_roles=BILLERS),
        Permission("billing.reports.view", "Run the billing reports (AR, collections, denials, payments)",
                   default_roles=(*BILLERS, "auditor")),
        Permission("billing.clearinghouse.manage", "Set up the clearinghouse connection and confirm its server's key",
                   default_roles=("admin", "office_manager")),
        Permission("billing.eligibility.check", "Ask payers whether patients' policies are active (270/271)",
                   default_roles=DESK),
        Permission("billing.estimates.edit", "Write and deliver Good Faith Estimates", default_roles=DESK),
    ]


@hookimpl
def medoffice_nav_items():
    return [
        NavItem("Claims", "billing.claims", "billing.view", group="Billing", order=10),
        NavItem("Encounters", "billing.encounters", "billing.view", group="Billing", order=20),
        NavItem("Payers", "billing.payers", "billing.view", group="Billing", order=30),
        NavItem("Fee schedule", "billing.fees", "billing.view", group="Billing", order=40),
        NavItem("Send claims", "billing.claims_export", "billing.claims.submit", group="Billing", order=12),
        NavItem("Remittances", "billing.remittances", "billing.view", group="Billing", order=14),
        NavItem("Denials", "billing.denials", "billing.view", group="Billing", order=16),
        NavItem("Worklists", "billing.worklists", "billing.view", group="Billing", order=18),
        NavItem("Underpayments", "billing.underpayments_page", "billing.view", group="Billing", order=19),
        NavItem("Desk payments", "billing.desk_payments", "billing.view", group="Billing", order=50),
        NavItem("Statements", "billing.statements_page", "billing.view", group="Billing", order=52),
        NavItem("Payment plans", "billing.plans_page", "billing.view", group="Billing", order=54),
        NavItem("Collections", "billing.collections_page", "billing.view", group="Billing", order=56),
        NavItem("Clearinghouse", "billing.clearinghouse_page", "billing.claims.submit", group="Billing", order=13),
        NavItem("Eligibility", "billing.eligibility_page", "billing.view", group="Billing", order=22),
        NavItem("Good Faith Estimates", "billing.estimates", "billing.view", group="Billing", order=58),
    ]


@hookimpl
def medoffice_message_templates():
    return list(appeals.TEMPLATES)


@hookimpl
def medoffice_patient_panels():
    return [Widget("billing.insurance_balance", "Insurance and balance", "billing.patient_panel", "billing.view"),
            Widget("billing.account", "Account", "billing.account_panel", "billing.view", order=110)]


@hookimpl
def medoffice_widgets():
    return [Widget("billing.desk_today", "Desk payments today", "billing.desk_widget", "billing.view", order=40),
            Widget("billing.aging", "Accounts receivable", "billing.aging_widget", "billing.view", order=42, width=2)]


@hookimpl
def medoffice_reports():
    return billing_reports()


@hookimpl
def medoffice_work_items(user, today):
    to_send, accounts = dashboard_items(today, user)
    return to_send + remittance_work_items() + accounts + clearinghouse.work_items() + estimates.work_items(today)


@hookimpl
def medoffice_settings():
    sections = {
        "Billing: claims and 837P files": [
            SettingSpec("billing.timely_filing_warn_days", "Warn this many days before a payer's filing limit",
                        kind="int", default=30, minimum=0, maximum=365),
            *X12_SETTINGS],
        "Billing: payments and plans": [*POSTING_SETTINGS, *PLAN_SETTINGS],
        "Billing: statements": STATEMENT_SETTINGS,
        "Billing: collections": COLLECTION_SETTINGS,
        "Billing: follow-up and nightly jobs": JOB_SETTINGS,
    }
    return [replace(spec, section=title) for title, specs in sections.items() for spec in specs]


@hookimpl
def medoffice_jobs():
    return [JobSpec("billing.rescrub", "Check open claims again", rescrub_open_claims, trigger="cron",
                    schedule={"hour": 5, "minute": 10},
                    description="Filing deadlines move with the calendar: re-run the scrubber on open claims daily."),
            *billing_jobs()]


@hookimpl
def medoffice_cli_commands():
    return [billing]


@hookimpl
def medoffice_demo_data(ctx):
    create_demo_data(ctx)

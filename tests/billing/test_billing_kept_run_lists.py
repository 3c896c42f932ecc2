"""The statements page's runs (billing.statement_runs), the remittances list (billing.remittances), the payers
(billing.payers), the fee schedule (billing.fees), the Good Faith Estimates (billing.estimates) and a run's
statements (billing.statements) are kept until what they show changes: an unchanged view reads
none of their tables, and a change by plain SQL, as another process would write it, shows on the next view."""
from __future__ import annotations

import datetime as dt

from billing_setup import database, practice
from medoffice.testing import reads_of, write_sql

from medoffice_billing.models import Fee, GoodFaithEstimate, Remittance, Statement, StatementRun


def test_the_statement_runs_are_kept_until_a_run_changes(app, client_as):
    with database(app):
        run = StatementRun.create(run_date=dt.date(2026, 11, 2), trigger="job", statements=41, total_cents=123456)
    biller = client_as("billing")
    url = "/billing/statements?sort=id&desc=1"
    page = biller.get(url).get_data(as_text=True)
    assert "Nightly job" in page and "$1,234.56" in page
    assert not reads_of(biller, url, ("billing_statement_run",))
    with database(app):
        write_sql("UPDATE billing_statement_run SET total_cents = ?, statements = ? WHERE id = ?", 98700, 40, run.id)
        write_sql("INSERT INTO billing_statement_run (run_date, trigger, user_id, username, started_at, considered, "
                  "statements, total_cents, below_minimum, not_due, held_insurance, held_plan, held_manual, "
                  "held_collections, output) VALUES (?, 'cli', NULL, 'ops', ?, 0, 3, 4500, 0, 0, 0, 0, 0, 0, '')",
                  dt.date(2026, 12, 1), dt.datetime(2026, 12, 1, 9, tzinfo=dt.timezone.utc))
    page = biller.get(url).get_data(as_text=True)
    assert "$987.00" in page and "$1,234.56" not in page and "Command line" in page and "2 runs" in page


def test_the_remittances_are_kept_until_a_remittance_or_a_payer_changes(app, client_as):
    with database(app):
        payer = practice()["payer"]
        remittance = Remittance.create(file_sha256="a" * 64, payer=payer, trace_number="EFT1001",
                                       total_paid_cents=250000, claim_count=12)
    biller = client_as("billing")
    url = "/billing/remittances?sort=imported_at&desc=1"
    page = biller.get(url).get_data(as_text=True)
    assert "EFT1001" in page and "$2,500.00" in page and payer.name in page
    assert not reads_of(biller, url, ("billing_remittance", "billing_payer"))
    with database(app):
        write_sql("UPDATE billing_remittance SET trace_number = ? WHERE id = ?", "EFT2002", remittance.id)
    assert "EFT2002" in biller.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE billing_payer SET name = ? WHERE id = ?", "Renamed Mutual", payer.id)
    page = biller.get(url).get_data(as_text=True)
    assert "Renamed Mutual" in page and payer.name not in page


def test_the_payers_are_kept_until_a_payer_changes_and_link_only_for_who_may_edit(app, client_as):
    with database(app):
        payer = practice()["payer"]
    biller, auditor = client_as("billing"), client_as("auditor")
    url = "/billing/payers"
    edit_link = f'href="/billing/payers/{payer.id}/edit"'
    page = biller.get(url).get_data(as_text=True)
    assert payer.name in page and edit_link in page
    assert not reads_of(biller, url, ("billing_payer",))
    viewed = auditor.get(url).get_data(as_text=True)  # the same rows, drawn without the edit links
    assert payer.name in viewed and edit_link not in viewed
    with database(app):
        write_sql("UPDATE billing_payer SET name = ?, timely_filing_days = ? WHERE id = ?", "Renamed Mutual", 91,
                  payer.id)
    page = biller.get(url).get_data(as_text=True)
    assert "Renamed Mutual" in page and '<td class="num">91</td>' in page and payer.name not in page


def test_the_fee_schedule_is_kept_until_a_fee_changes(app, client_as):
    with database(app):
        fee = Fee.create(code="99213", description="Office visit, established", charge_cents=12500)
    biller = client_as("billing")
    url = "/billing/fees"
    page = biller.get(url).get_data(as_text=True)
    assert "Office visit, established" in page and "$125.00" in page
    assert not reads_of(biller, url, ("billing_fee",))
    with database(app):
        write_sql("UPDATE billing_fee SET charge_cents = ? WHERE id = ?", 13000, fee.id)
    page = biller.get(url).get_data(as_text=True)
    assert "$130.00" in page and "$125.00" not in page


def test_the_estimates_are_kept_until_an_estimate_or_a_patient_changes(app, client_as):
    with database(app):
        patient = practice()["patient"]
        GoodFaithEstimate.create(number="GFE-000041", patient_id=patient.id, scheduled_on=dt.date(2026, 11, 20),
                                 service_date=dt.date(2026, 12, 9), due_by=dt.date(2026, 11, 23), total_cents=31500)
    biller = client_as("billing")
    url = "/billing/estimates"
    page = biller.get(url).get_data(as_text=True)
    assert "GFE-000041" in page and "Diaz, Rosa" in page and "$315.00" in page
    assert not reads_of(biller, url, ("billing_gfe", "core_patient"))
    with database(app):
        write_sql("UPDATE billing_gfe SET total_cents = ?, billed_cents = ? WHERE number = ?", 32500, 29900,
                  "GFE-000041")
    page = biller.get(url).get_data(as_text=True)
    assert "$325.00" in page and "$299.00" in page and "$315.00" not in page
    with database(app):
        write_sql("UPDATE core_patient SET last_name = ? WHERE id = ?", "Diaz-Quill", patient.id)
    assert "Diaz-Quill, Rosa" in biller.get(url).get_data(as_text=True)


def test_a_runs_statements_are_kept_until_the_run_a_statement_or_a_patient_changes(app, client_as):
    with database(app):
        patient = practice()["patient"]
        run = StatementRun.create(run_date=dt.date(2026, 11, 2), trigger="job", statements=1, total_cents=12000)
        Statement.create(run=run, patient_id=patient.id, statement_date=dt.date(2026, 11, 2), amount_cents=12000,
                         bucket="31-60", dunning_stage="First reminder", content="{}")
    biller = client_as("billing")
    url = f"/billing/statements/runs/{run.id}"
    page = biller.get(url).get_data(as_text=True)
    assert "Diaz, Rosa" in page and "$120.00" in page and "First reminder" in page
    assert not reads_of(biller, url, ("billing_statement_run", "billing_statement", "core_patient"))
    with database(app):
        write_sql("UPDATE billing_statement SET dunning_stage = ? WHERE run_id = ?", "Final notice", run.id)
    assert "Final notice" in biller.get(url).get_data(as_text=True)
    with database(app):
        write_sql("UPDATE core_patient SET last_name = ? WHERE id = ?", "Diaz-Quill", patient.id)
    assert "Diaz-Quill, Rosa" in biller.get(url).get_data(as_text=True)
    with database(app):
        write_sql("DELETE FROM billing_statement_run WHERE id = ?", run.id)
    assert biller.get(url).status_code == 404

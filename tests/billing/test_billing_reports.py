"""Billing reports through core's registry: the numbers of each on a small ledger whose answers are known,
their parameters, permissions, and CSV and PDF through core."""
from __future__ import annotations

import csv
import datetime as dt
import io
import random

import pytest
from accounts_setup import adjudicate, days_ago, deny_line, insured_visit, new_patient, self_pay_visit
from billing_setup import GOOD_NPI, PRACTICE, database, practice
from medoffice import DemoContext, settings
from medoffice.models import Patient, StaffMember
from medoffice.testing import login
from peewee import fn

from medoffice_billing import demo, payments, reports, statements
from medoffice_billing.ledger import LT
from medoffice_billing.models import (AgingSnapshot, CollectionPlacement, PatientAging, PatientPayment, PaymentPlan,
                                      Statement, StatementHold, StatementRun)
from medoffice_billing.reports import billing_reports

REPORT_IDS = ["billing.ar_aging_payer", "billing.ar_aging_patient", "billing.days_in_ar", "billing.net_collection_rate",
              "billing.denial_rate", "billing.charges_receipts", "billing.payer_mix", "billing.end_of_day",
              "billing.statement_runs"]


@pytest.fixture
def known(app):
    """A: insured visit (99213 paid $80, CO-45 $20, $20 copay; 36415 denied CO-50) 20 days ago;
    B: self-pay $120 70 days ago, $50 paid in cash today; C: insured $120 200 days ago, unanswered."""
    with database(app):
        records = practice()
        a = records["patient"]
        b, c = new_patient(last="Bravo"), new_patient(last="Charlie")
        claim = insured_visit(records, days_ago(20), codes=("99213", "36415"))
        adjudicate(claim, paid=8000, contractual=2000, patient=2000, day=days_ago(5), status="partially_paid")
        deny_line(claim, 2, "50", days_ago(5))
        self_pay_visit(records, days_ago(70), patient=b)
        payments.post_payment(b.id, 5000, "cash")
        insured_visit(records, days_ago(200), patient=c)
        statements.run_statements(out_dir=app.instance_path + "/statements-test")
        return {"records": records, "a": a, "b": b, "c": c, "payer": records["payer"].name,
                "provider": f"{records['provider'].last_name}, {records['provider'].first_name}"}


def test_ar_aging_by_payer_and_by_patient(app, known):
    with database(app):
        today = settings.today()
        by_payer = reports.ar_aging_payer(today)
        assert [(r["payer"], r["b0"], r["b4"], r["total"]) for r in by_payer.rows] == [(known["payer"], 0, 12000, 12000)]
        by_patient = reports.ar_aging_patient(today)
        rows = {r["account"]: (r["b0"], r["b2"], r["total"]) for r in by_patient.rows}
        assert rows == {known["a"].account_number: (2000, 0, 2000), known["b"].account_number: (0, 7000, 7000)}
        assert by_patient.totals["total"] == 9000
        older = reports.ar_aging_patient(today, bucket="b2")
        assert [r["account"] for r in older.rows] == [known["b"].account_number]
        assert reports.ar_aging_patient(today, min_balance=50).rows[0]["account"] == known["b"].account_number


def test_rates_mix_and_receipts(app, known):
    with database(app):
        today = settings.today()
        start = today.replace(year=today.year - 1)
        ncr = {r["payer"]: r for r in reports.net_collection_rate(start, today).rows}
        mine = ncr[known["payer"]]
        assert (mine["charges"], mine["contractual"], mine["insurance_paid"]) == (25500, 2000, 8000)
        assert mine["rate"] == reports.share_basis_points(8000, 23500) == 3404
        assert (ncr["Self-pay"]["patient_paid"], ncr["Self-pay"]["rate"]) == (5000, 4167)

        denials = reports.denial_rate(start, today)
        assert [(r["payer"], r["carc"], r["code"], r["denied"], r["adjudicated"], r["rate"], r["cents"])
                for r in denials.rows] == [(known["payer"], "50", "36415", 1, 1, 10000, 1500)]
        other_payer = reports.denial_rate(start, today, payer="999")
        assert other_payer.rows == []

        mix = {r["payer"]: (r["encounters"], r["charges"], r["share"]) for r in reports.payer_mix(start, today).rows}
        assert mix == {known["payer"]: (2, 25500, 6800), "Self-pay": (1, 12000, 3200)}

        flows = reports.charges_and_receipts(start, today)
        assert flows.totals == {"charges": 37500, "insurance": 8000, "patient": 5000, "receipts": 13000}
        assert {r["provider"] for r in flows.rows} == {known["provider"]}
        assert reports.charges_and_receipts(start, today, provider=known["records"]["provider"].id + 99).rows == []

        eod = reports.end_of_day(today, today)
        assert [(r["method"], r["payments"], r["payment_cents"], r["net"]) for r in eod.rows] == [("Cash", 1, 5000, 5000)]
        runs = reports.statement_runs(start, today)
        assert (runs.totals["statements"], runs.totals["considered"], runs.totals["total_cents"]) == (2, 2, 9000)


def test_days_in_ar(app, known):
    with database(app):
        today = settings.today()
        result = reports.days_in_ar(today, 12)
        assert len(result.rows) == 12 and result.rows[-1]["month"] == today.strftime("%Y-%m")
        assert result.rows[-1]["ar"] == 12000 + 9000  # everything still owed today
        assert result.totals["charges"] == 37500 and result.totals["receipts"] == 13000
        assert all(r["days"] is None or r["days"] >= 0 for r in result.rows)


def test_reports_are_registered_and_export_through_core(app, known):
    assert [r.id for r in billing_reports()] == REPORT_IDS
    biller = login(app.test_client(), "billing")
    listing = biller.get("/reports").get_data(as_text=True)
    assert "AR aging by payer" in listing and "Denial rate by payer, reason and code" in listing
    with database(app):
        today = settings.today().isoformat()
    for report_id in REPORT_IDS:
        page = biller.get(f"/reports/{report_id}?run=1")
        assert page.status_code == 200, report_id
        data = biller.get(f"/reports/{report_id}.csv")
        assert data.status_code == 200 and data.mimetype == "text/csv", report_id
        header = next(csv.reader(io.StringIO(data.get_data(as_text=True))))
        assert header, report_id
        pdf = biller.get(f"/reports/{report_id}.pdf")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF"), report_id
    text = biller.get(f"/reports/billing.end_of_day.csv?start={today}&end={today}").get_data(as_text=True)
    assert "50.00" in text
    bad = biller.get("/reports/billing.net_collection_rate?start=2025-05-01&end=2025-01-01")
    assert bad.status_code == 422
    assert login(app.test_client(), "front_desk").get("/reports/billing.ar_aging_payer").status_code == 403


# --- Demo data for the patient side ------------------------------------------------------------------------

def demo_people(count: int) -> None:
    """A practice with one provider and ``count`` patients without insurance (the demo adds it)."""
    settings.set_many(PRACTICE)
    StaffMember.create(first_name="Ada", last_name="Quill", is_provider=True, npi=GOOD_NPI, taxonomy="207Q00000X")
    for n in range(count):
        Patient.create(account_number=f"D{n:06d}", first_name=f"Pat{n}", last_name="Demo", sex="FM"[n % 2],
                       date_of_birth=dt.date(1950 + n % 60, 1 + n % 12, 1 + n % 28), address1=f"{n} Oak Street",
                       city="Springfield", state="IL", zip="62701")


def test_small_demo_has_every_patient_side_case(app):
    with database(app):
        demo_people(40)
        app.extensions["medoffice"].host.call_for(
            "billing", "medoffice_demo_data", ctx=DemoContext("small", random.Random(7), settings.today()))
        assert PatientPayment.select().count() == 6
        assert PaymentPlan.select().where(PaymentPlan.status == "active").count() == 1
        assert StatementHold.select().count() == 1
        assert {p.status for p in CollectionPlacement.select()} == {"placed", "recalled"}
        assert Statement.select().count() >= 1 and PatientAging.select().count() >= 10
        by_bucket = reports.ar_aging_patient(settings.today()).totals
        assert all(by_bucket[key] > 0 for key in ("b0", "b1", "b2", "b3", "b4")), by_bucket
        assert reports.end_of_day(settings.today(), settings.today()).totals["payments"] == 4
        assert settings.get("billing.collection_agency") == "Riverside Recovery Services (demo)"


def test_large_demo_fills_the_patient_side_in_bulk(app, monkeypatch):
    monkeypatch.setattr(demo.LargeDemo, "TARGET_LINES", 1500)
    monkeypatch.setattr(demo.LargeDemo, "PATIENTS_PER_SLICE", 50)
    monkeypatch.setattr(demo.LargePatientSide, "SLICE", 60)
    with database(app):
        demo_people(150)
        app.extensions["medoffice"].host.call_for(
            "billing", "medoffice_demo_data", ctx=DemoContext("large", random.Random(3), settings.today()))
        receipts = sum(p.amount_cents for p in PatientPayment.select())
        desk = -sum(e.amount_cents for e in LT.select().where(LT.kind == "patient_payment"))
        assert receipts > 0 and receipts == desk  # every receipt is on the ledger, line by line
        assert LT.select().where((LT.kind == "adjustment") & (LT.reference.startswith("DEN"))).exists()
        numbers = [p.receipt_number for p in PatientPayment.select()]
        assert len(set(numbers)) == len(numbers)
        assert StatementRun.select().count() == 1 and AgingSnapshot.select().exists()
        today = settings.today()
        start = today.replace(year=today.year - 5)
        assert reports.denial_rate(start, today).rows
        assert reports.charges_and_receipts(start, today).totals["patient"] == receipts
        # No patient line is paid beyond what the patient owed on it.
        overpaid = (LT.select(LT.service_line).where((LT.party == "patient") & LT.service_line.is_null(False))
                    .group_by(LT.service_line).having(fn.SUM(LT.amount_cents) < 0))
        assert not overpaid.exists()

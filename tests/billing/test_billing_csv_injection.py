"""A patient named like a spreadsheet formula cannot turn billing's CSV files into formulas: the AR aging
report's CSV and the collection agency's file neutralise text cells and keep amounts numeric (issue 9,
item 5)."""
from __future__ import annotations

import csv
import io

from accounts_setup import days_ago, new_patient, self_pay_visit
from billing_setup import database, practice
from medoffice import settings
from medoffice.testing import login

from medoffice_billing import aging, collections

INJECTION = '=HYPERLINK("http://x","y")'


def formula_patient_owing(app):
    """A patient whose last and first names are formulas, owing $120.00 for 150 days (aging stored)."""
    with database(app):
        records = practice()
        patient = new_patient(last=INJECTION, first="-1+2")
        patient.address1 = "@SUM(A1)"
        patient.save()
        self_pay_visit(records, days_ago(150), patient=patient)
        aging.refresh_patient_aging(settings.today())
        return patient


def test_aging_report_csv_neutralises_a_formula_name(app):
    patient = formula_patient_owing(app)
    response = login(app.test_client(), "billing").get(
        f"/reports/billing.ar_aging_patient.csv?as_of={settings_today(app)}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    mine = next(r for r in rows if r["Account"] == patient.account_number)
    assert mine["Patient"] == f"'{INJECTION}, -1+2"
    assert mine["Balance"] == "120.00" and mine["Credit"] == "0.00"
    assert all(not value.startswith(("=", "+", "-", "@")) for row in rows for value in row.values())


def test_agency_file_neutralises_names_and_keeps_the_balance_a_number(app):
    patient = formula_patient_owing(app)
    with database(app):
        collections.place(patient.id, "=cmd|' /C calc'!A0")
    response = login(app.test_client(), "billing").post("/billing/collections/export", data={})
    assert response.status_code == 200
    [row] = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (row["last_name"], row["first_name"], row["address1"]) == ("'" + INJECTION, "'-1+2", "'@SUM(A1)")
    assert row["agency"] == "'=cmd|' /C calc'!A0"
    assert row["balance"] == "120.00" and row["date_of_birth"] == "1980-01-02"


def settings_today(app):
    with database(app):
        return settings.today().isoformat()

"""Reference data: payers, the fee schedule with expected amounts, code-list imports (and the CLI),
patients' coverage and guarantor, and the patient page's "Insurance and balance" panel."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from billing_setup import database, encounter_with_charges, practice
from click.testing import CliRunner
from medoffice import config
from medoffice.cli import main
from medoffice.models import AuditEvent

from medoffice_billing import claims
from medoffice_billing.coverage import CoverageError, in_force, responsible, save_coverage
from medoffice_billing.models import CodeEntry, Coverage, ExpectedAmount, Fee, PatientAccount, Payer
from medoffice_billing.reference import (CodeFileError, default_charge_cents, expected_allowed, import_codes,
                                         read_code_file)


# --- Payers ---------------------------------------------------------------------------------------

PAYER = {"name": "Lakeside Health", "payer_id": "LKS01", "address1": "PO Box 9", "city": "Dayton", "state": "oh",
         "zip": "45402", "filing_indicator": "CI", "timely_filing_days": "120", "electronic": "y",
         "secondary_electronic": "y", "active": "y"}


def test_payer_form_validates_and_saves(app, client_as):
    biller = client_as("billing")
    bad = biller.post("/billing/payers/new", data={**PAYER, "name": "", "state": "Ohio", "timely_filing_days": "0"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert 'id="name-error"' in page and "Use the two-letter state code." in page and "Enter 1 to 3650 days." in page
    assert biller.post("/billing/payers/new", data=PAYER).status_code == 302
    again = biller.post("/billing/payers/new", data=PAYER)
    assert again.status_code == 422 and "A payer named &#39;Lakeside Health&#39; already exists." in again.get_data(as_text=True)
    with database(app):
        payer = Payer.get(Payer.name == "Lakeside Health")
        assert (payer.state, payer.timely_filing_days, payer.electronic, payer.secondary_electronic) == ("OH", 120, True, True)
    edited = biller.post(f"/billing/payers/{payer.id}/edit", data={**PAYER, "timely_filing_days": "90", "electronic": ""})
    assert edited.status_code == 302
    with database(app):
        payer = Payer.get_by_id(payer.id)
        assert (payer.timely_filing_days, payer.electronic) == (90, False)
        detail = json.loads(AuditEvent.select().where(AuditEvent.action == "billing.payer.update").get().detail)
        assert detail == {"fields": ["electronic", "timely_filing_days"]}
    listing = biller.get("/billing/payers?q=lake").get_data(as_text=True)
    assert "Lakeside Health" in listing and "paper only" in listing
    assert client_as("front_desk").get("/billing/payers").status_code == 200


# --- The fee schedule ---------------------------------------------------------------------------------

def test_fee_schedule_with_expected_amounts(app, client_as):
    with database(app):
        acme = Payer.create(name="Acme", payer_id="AC1")
        other = Payer.create(name="Other", payer_id="OT1")
    biller = client_as("billing")
    bad = biller.post("/billing/fees/new", data={"code": "9921", "modifier": "2", "charge": "12.345", "active": "y"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Use a CPT code" in page and "A modifier is two letters or digits" in page
    assert "Amounts have at most two decimal" in page  # the parser's message, shown beside the field
    good = biller.post("/billing/fees/new", data={"code": "99213", "description": "Visit, moderate",
                                                 "charge": "$1,250.00", "active": "y",
                                                 f"allowed_{acme.id}": "95.50", f"allowed_{other.id}": ""})
    assert good.status_code == 302
    duplicate = biller.post("/billing/fees/new", data={"code": "99213", "charge": "10", "active": "y"})
    assert duplicate.status_code == 422 and "already has 99213" in duplicate.get_data(as_text=True)
    assert biller.post("/billing/fees/new", data={"code": "99213", "modifier": "25", "charge": "130",
                                                 "active": "y"}).status_code == 302
    with database(app):
        fee = Fee.get((Fee.code == "99213") & (Fee.modifier == ""))
        assert fee.charge_cents == 125000
        assert [(e.payer_id, e.allowed_cents) for e in ExpectedAmount.select()] == [(acme.id, 9550)]
        assert default_charge_cents("99213", [], 2) == 250000
        assert default_charge_cents("99213", ["25"], 1) == 13000
        assert default_charge_cents("99213", ["59"], 1) == 125000  # no 59 entry: the plain fee
        assert default_charge_cents("99999") is None
        assert expected_allowed(acme.id, [("99213", ""), ("99213", "25"), ("36415", "")]) == {
            ("99213", ""): 9550, ("99213", "25"): 9550}
    form = biller.get(f"/billing/fees/{fee.id}/edit").get_data(as_text=True)
    assert 'value="95.50"' in form and 'value="1,250.00"' in form
    assert biller.post(f"/billing/fees/{fee.id}/edit", data={"code": "99213", "charge": "1250", "active": "y",
                                                            f"allowed_{acme.id}": "",
                                                            f"allowed_{other.id}": "80"}).status_code == 302
    with database(app):
        assert [(e.payer_id, e.allowed_cents) for e in ExpectedAmount.select()] == [(other.id, 8000)]
    assert client_as("front_desk").post("/billing/fees/new", data={"code": "99214"}).status_code == 403


# --- Code lists -----------------------------------------------------------------------------------------

def test_code_files_are_checked_whole_before_anything_is_imported():
    with pytest.raises(CodeFileError) as error:
        read_code_file("cpt", "code,description\n99213,Visit\nABCDE,Nope\n99213,Again\n99214,x,extra\n")
    assert error.value.problems == ["line 3: 'ABCDE' is not a CPT or HCPCS code", "line 4: 99213 is already on line 2",
                                    "line 5: expected 2 columns (code,description), found 3"]
    with pytest.raises(CodeFileError, match="1 problem"):
        read_code_file("cpt", "99213,Visit\nABCDE,Nope\n")
    assert read_code_file("cpt", "0001U,Lab\n\n1234F,Measure\n0042T,Emerging\ng0438 ,Wellness\n") == [
        ("0001U", "Lab"), ("1234F", "Measure"), ("0042T", "Emerging"), ("G0438", "Wellness")]
    with pytest.raises(CodeFileError) as empty:
        read_code_file("cpt", "code,description\n")
    assert empty.value.problems == ["the file holds no codes"]
    with pytest.raises(CodeFileError) as diagnoses:  # ICD-10-CM is not imported: the whole code set ships
        read_code_file("icd10", "E11.9,Diabetes\n")
    assert diagnoses.value.problems == ["unknown code kind 'icd10'; use cpt"]


def test_import_is_an_idempotent_upsert(db_session):
    first = import_codes("cpt", [("99213", "Visit"), ("99214", "Longer visit")])
    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    again = import_codes("cpt", [("99213", "Visit"), ("99214", "Longer visit")])
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    changed = import_codes("cpt", [("99213", "Office visit"), ("36415", "Venipuncture")])
    assert (changed.inserted, changed.updated, changed.unchanged) == (1, 1, 0)
    assert dict(CodeEntry.select(CodeEntry.code, CodeEntry.description).tuples()) == {
        "99213": "Office visit", "99214": "Longer visit", "36415": "Venipuncture"}


def _cli_instance(tmp_path, database_url):
    instance = tmp_path / "cli-instance"
    config.write_new(instance, database_url=database_url)
    return instance


def test_import_codes_command(tmp_path, medoffice_database_url):
    instance = _cli_instance(tmp_path, medoffice_database_url)
    good = tmp_path / "codes.csv"
    good.write_text("code,description\n99213,Visit\n99214,Longer visit\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["--instance", str(instance), "billing", "import-codes", str(good), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"ok": True, "kind": "cpt", "rows": 2, "inserted": 2, "updated": 0,
                                         "unchanged": 0}
    result = runner.invoke(main, ["--instance", str(instance), "billing", "import-codes", "--kind", "cpt", str(good)])
    assert result.exit_code == 0 and "Imported 2 cpt codes: 0 new, 0 updated, 2 unchanged." in result.output
    result = runner.invoke(main, ["--instance", str(instance), "billing", "import-codes", "--kind", "icd10", str(good)])
    assert result.exit_code == 2 and "'icd10' is not 'cpt'" in result.output
    diagnoses = tmp_path / "icd.csv"
    diagnoses.write_text("code,description\nE11.9,Diabetes\n", encoding="utf-8")
    bad = tmp_path / "cpt.csv"
    bad.write_text("99213,Visit\nXX,Bad\n", encoding="utf-8")
    result = runner.invoke(main, ["--instance", str(instance), "billing", "import-codes", "--kind", "cpt", str(bad),
                                  "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == {"ok": False, "kind": "cpt", "problems": ["line 2: 'XX' is not a CPT or HCPCS code"]}
    result = runner.invoke(main, ["--instance", str(instance), "billing", "import-codes", "--kind", "cpt",
                                  str(diagnoses), "--json"])
    assert result.exit_code == 1 and "is not a CPT or HCPCS code" in result.output
    result = runner.invoke(main, ["--instance", str(instance), "billing", "import-codes", "--kind", "cpt", str(diagnoses)])
    assert result.exit_code == 1 and "nothing was imported" in result.output


# --- Coverage and guarantor -----------------------------------------------------------------------------

def test_coverage_rules(app):
    with database(app):
        records = practice()
        patient_id, payer = records["patient"].id, records["payer"]
        base = {"payer": payer, "rank": 1, "member_id": "N1", "relationship": "18",
                "effective_date": dt.date(2024, 1, 1), "end_date": None}
        with pytest.raises(CoverageError, match="already has primary coverage with") as error:
            save_coverage(patient_id, base)
        assert error.value.field == "rank"
        Coverage.update(end_date=dt.date(2023, 12, 31)).execute()
        newer = save_coverage(patient_id, base)
        with pytest.raises(CoverageError, match="end date must be on or after"):
            save_coverage(patient_id, {**base, "rank": 2, "end_date": dt.date(2023, 1, 1)})
        with pytest.raises(CoverageError, match="subscriber's first name"):
            save_coverage(patient_id, {**base, "rank": 2, "relationship": "01"})
        spouse = save_coverage(patient_id, {**base, "rank": 2, "relationship": "01", "subscriber_first_name": "Jo",
                                            "subscriber_last_name": "Diaz",
                                            "subscriber_date_of_birth": dt.date(1968, 1, 1)})
        assert [c.id for c in in_force(patient_id, dt.date(2024, 6, 1))] == [newer.id, spouse.id]
        assert responsible(patient_id, dt.date(2023, 6, 1)).id == records["coverage"].id
        assert responsible(patient_id, dt.date(2023, 6, 1), rank=2) is None
        actions = [e.action for e in AuditEvent.select().where(AuditEvent.patient_id == patient_id)]
        assert actions == ["billing.coverage.create", "billing.coverage.create"]


def test_insurance_pages_and_the_patient_panel(app, client_as):
    with database(app):
        records = practice()
        patient_id = records["patient"].id
        Coverage.delete().execute()
    desk = client_as("front_desk")
    payer_id = str(records["payer"].id)
    bad = desk.post(f"/billing/patients/{patient_id}/insurance/new", data={
        "payer": "0", "rank": "1", "member_id": "", "effective_date": "soon", "relationship": "18"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Choose the payer." in page and 'id="member_id-error"' in page and "Enter the date (YYYY-MM-DD)." in page
    ok = desk.post(f"/billing/patients/{patient_id}/insurance/new", data={
        "payer": payer_id, "rank": "1", "member_id": "ZX99", "effective_date": "2020-01-01", "copay": "25",
        "relationship": "18", "subscriber_sex": "U"})
    assert ok.status_code == 302
    with database(app):
        coverage = Coverage.get(Coverage.patient_id == patient_id)
        assert (coverage.member_id, coverage.copay_cents, coverage.payer_id) == ("ZX99", 2500, records["payer"].id)
    overlap = desk.post(f"/billing/patients/{patient_id}/insurance/new", data={
        "payer": payer_id, "rank": "1", "member_id": "ZX100", "effective_date": "2021-01-01", "relationship": "18"})
    assert overlap.status_code == 422 and "already has primary coverage" in overlap.get_data(as_text=True)
    form = desk.get(f"/billing/insurance/{coverage.id}/edit").get_data(as_text=True)
    assert 'value="ZX99"' in form and 'value="25.00"' in form
    ended = desk.post(f"/billing/insurance/{coverage.id}/edit", data={
        "payer": payer_id, "rank": "1", "member_id": "ZX99", "effective_date": "2020-01-01",
        "end_date": "2099-12-31", "copay": "25", "relationship": "18"})
    assert ended.status_code == 302
    guarantor = desk.post(f"/billing/patients/{patient_id}/guarantor", data={"guarantor_relationship": "19"})
    assert guarantor.status_code == 422 and "Enter the guarantor" in guarantor.get_data(as_text=True)
    assert desk.post(f"/billing/patients/{patient_id}/guarantor", data={
        "guarantor_relationship": "19", "guarantor_first_name": "Mia", "guarantor_last_name": "Diaz",
        "guarantor_city": "Springfield", "guarantor_state": "il"}).status_code == 302
    with database(app):
        account = PatientAccount.get(PatientAccount.patient_id == patient_id)
        assert (account.guarantor_first_name, account.guarantor_state) == ("Mia", "IL")
        claim = claims.create_claim(encounter_with_charges({**records, "coverage": coverage}))
    insurance = desk.get(f"/billing/patients/{patient_id}/insurance").get_data(as_text=True)
    assert "ZX99" in insurance and "Mia Diaz" in insurance
    panel = desk.get(f"/billing/patients/{patient_id}/panel").get_data(as_text=True)
    assert "ZX99" in panel and "copay $25.00" in panel and claim.claim_number in panel
    assert "Insurance balance</dt><dd class=\"num\">$120.00" in panel
    patient_page = desk.get(f"/patients/{patient_id}").get_data(as_text=True)
    assert "Insurance and balance" in patient_page and f"/billing/patients/{patient_id}/panel" in patient_page
    with database(app):
        reads = {e.action for e in AuditEvent.select().where(AuditEvent.patient_id == patient_id)}
        assert {"billing.insurance.view", "billing.account.view", "billing.guarantor.update",
                "billing.coverage.update"} <= reads
    assert client_as("auditor").post(f"/billing/patients/{patient_id}/guarantor", data={}).status_code == 403
    assert desk.get("/billing/patients/999999/insurance").status_code == 404

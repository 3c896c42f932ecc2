"""Medical-records rules: the schedule edited as data, last dates of service from billing's charge
events, records due for destruction (adults and minors, state rules over the default), legal
holds that stop destruction, and the destruction log with its certificate."""
from __future__ import annotations

import datetime as dt
import io
import re
from types import SimpleNamespace

import pytest
from medoffice import files
from medoffice.models import Patient
from medoffice.testing import connected, count_queries, login, page_queries, practice_today

from medoffice_compliance import records, rules
from medoffice_compliance.models import Destruction, LastService, LegalHold, RetentionRule

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TODAY = practice_today()


@pytest.fixture
def app(make_app):
    return make_app(plugins=["compliance"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _charge(patient_id: int, day: dt.date):
    return SimpleNamespace(data={"patient_id": patient_id, "effective_date": day})


def test_records_due_for_destruction_holds_and_the_log(app):
    manager = login(app.test_client(), "office_manager")
    bad = manager.post("/compliance/records/rules", data={"record_type": "medical_record", "state": "",
                                                          "adult_years": "seven", "majority_age": "18",
                                                          "minor_years": "0"})
    assert bad.status_code == 422
    for state, years in (("", "7"), ("NY", "10")):
        saved = manager.post("/compliance/records/rules", data={"record_type": "medical_record", "state": state,
                                                                "adult_years": years, "majority_age": "18",
                                                                "minor_years": "3", "note": "statute"})
        assert saved.status_code == 302
    with connected(app):
        assert RetentionRule.select().count() == 2

        def patient(account, born, state, last):
            row = Patient.create(first_name="P", last_name=account, date_of_birth=born, account_number=account,
                                 state=state)
            records.note_service(_charge(row.id, last))
            return row.id

        adult = patient("ADULT", dt.date(1960, 1, 1), "NV", rules.add_years(TODAY, -10))
        records.note_services([_charge(adult, rules.add_years(TODAY, -8)), _charge(adult, rules.add_years(TODAY, -9))])
        assert LastService.get(LastService.patient == adult).last_service_on == rules.add_years(TODAY, -8)
        recent = patient("RECENT", dt.date(1960, 1, 1), "NV", rules.add_years(TODAY, -6))
        minor = patient("MINOR", rules.add_years(TODAY, -19), "NV", rules.add_years(TODAY, -8))
        new_york = patient("NYADULT", dt.date(1960, 1, 1), "NY", rules.add_years(TODAY, -8))
        held = patient("HELD", dt.date(1960, 1, 1), "nv", rules.add_years(TODAY, -9))
        records.note_service(_charge(recent, rules.add_years(TODAY, -9)))  # an older charge changes nothing
        assert LastService.get(LastService.patient == recent).last_service_on == rules.add_years(TODAY, -6)
        records.note_services([_charge(recent, rules.add_years(TODAY, -7)), _charge(999_999, TODAY)])  # as one by one
        assert LastService.get(LastService.patient == recent).last_service_on == rules.add_years(TODAY, -6)
        assert not LastService.select().where(LastService.patient == 999_999).exists()  # no such patient
        records.place_hold(held, "Malpractice claim 2026-14", TODAY, by="t")
        due = {row["account_number"] for row in records.due_for_destruction(TODAY)}
    assert due == {"ADULT"}  # not the recent visit, the minor (majority + 3), New York's 10 years or the hold
    page = _text(manager.get("/compliance/records"))
    assert "(ADULT)" in page and "NYADULT" not in page and "Malpractice claim 2026-14" in page
    assert f"<tr><td>HELD, P (HELD)</td><td>Malpractice claim 2026-14</td><td>{TODAY.isoformat()}</td>" in page
    refused = manager.post("/compliance/records/destructions", data={
        "patient_id": "HELD", "record_type": "medical_record", "destroyed_on": TODAY.isoformat(),
        "method": "Cross-cut shredding", "witness": "Mia Moss"})
    assert refused.status_code == 422 and "legal hold" in _text(refused)
    logged = manager.post("/compliance/records/destructions", data={
        "patient_id": "ADULT", "record_type": "medical_record", "destroyed_on": TODAY.isoformat(),
        "method": "Cross-cut shredding", "witness": "Mia Moss", "certificate": (io.BytesIO(PDF), "cert.pdf")},
        content_type="multipart/form-data")
    assert logged.status_code == 302
    assert (f"<tr><td>ADULT, P (ADULT)</td><td>medical_record</td><td>{TODAY.isoformat()}</td>"
            "<td>Cross-cut shredding</td><td>Mia Moss</td>") in _text(manager.get("/compliance/records"))
    with connected(app):
        destruction = Destruction.get()
        assert destruction.patient_id == adult and Destruction.select().count() == 1
        assert files.list_for("compliance", "destruction", destruction.id)[0].name == "cert.pdf"
        assert records.due_for_destruction(TODAY) == []
        hold = LegalHold.get()
    assert manager.post(f"/compliance/records/holds/{hold.id}/release").status_code == 302
    with connected(app):
        assert {r["account_number"] for r in records.due_for_destruction(TODAY)} == {"HELD"}
        assert minor and new_york  # kept past their own periods
    assert login(app.test_client(), "front_desk").get("/compliance/records").status_code == 403


def test_records_page_reads_in_a_fixed_number_of_queries(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        RetentionRule.create(record_type="medical_record", state="", adult_years=7)
        RetentionRule.create(record_type="medical_record", state="NY", adult_years=10)

        def held(account):
            row = Patient.create(first_name="P", last_name=account, date_of_birth=dt.date(1960, 1, 1),
                                 account_number=account, state="NV")
            records.place_hold(row.id, f"Claim {account}", TODAY, by="t")

    manager.get("/compliance/records")  # the session's first request writes its own rows
    with connected(app):
        held("H1")
    with count_queries() as before:  # the first view after a change, as the one after more below
        manager.get("/compliance/records")
    with connected(app):
        for account in ("H2", "H3", "H4"):
            held(account)
    with count_queries() as after:
        page = _text(manager.get("/compliance/records"))
    assert len(after) == len(before) and all(f"Claim {a}" in page for a in ("H1", "H2", "H3", "H4"))
    # after a change the schedule is read once, and what is due counted from it
    assert len([sql for sql in after if "compliance_retention_rule" in sql]) == 1
    unchanged = page_queries(manager, "/compliance/records")  # kept until a rule, hold, destruction or patient changes
    assert not [sql for sql in unchanged if "compliance_" in sql or 'FROM "core_patient"' in sql]
    assert [sql for sql in unchanged if "core_audit_event" in sql]  # the patients shown, recorded on every view


def test_the_page_is_kept_until_any_writer_changes_a_rule_a_hold_a_destruction_or_a_patient(app):
    """The schedule, what is due, the holds and the destruction log are read once and kept; a rule, a hold or a
    patient's record written by any writer (here plain SQL, as another process or a console would) shows, and
    counts for what is due, on the very next view."""
    from medoffice.db import db

    manager = login(app.test_client(), "office_manager")
    with connected(app):
        RetentionRule.create(record_type="medical_record", state="", adult_years=7, note="statute")
        row = Patient.create(first_name="P", last_name="OLD", date_of_birth=dt.date(1960, 1, 1),
                             account_number="OLD", state="NV")
        records.note_service(_charge(row.id, rules.add_years(TODAY, -8)))
    assert "(OLD)" in _text(manager.get("/compliance/records"))  # past the 7 years
    kept = page_queries(manager, "/compliance/records")
    assert not [sql for sql in kept if "compliance_" in sql or 'FROM "core_patient"' in sql]
    with connected(app):
        db.execute_sql(f"UPDATE core_patient SET last_name = 'ELDER' WHERE id = {db.param}", (row.id,))
    assert "<tr><td>ELDER, P (OLD)</td>" in _text(manager.get("/compliance/records"))
    with connected(app):
        db.execute_sql("INSERT INTO compliance_legal_hold (patient_id, reason, placed_on, placed_by, released_by) "
                       f"VALUES ({db.param}, 'Subpoena', {db.param}, 'console', '')", (row.id, TODAY))
    page = _text(manager.get("/compliance/records"))
    assert "<tr><td>ELDER, P (OLD)</td><td>Subpoena</td>" in page and "Nothing is due for destruction." in page
    with connected(app):
        db.execute_sql("DELETE FROM compliance_legal_hold")
        db.execute_sql("UPDATE compliance_retention_rule SET adult_years = 10, note = 'longer' WHERE state = ''")
    page = _text(manager.get("/compliance/records"))
    assert "<td>longer</td>" in page and "(OLD)" not in page  # ten years now, not due yet
    with connected(app):
        db.execute_sql("DELETE FROM compliance_retention_rule")
    assert "No rule yet: add the practice's default." in _text(manager.get("/compliance/records"))


def test_the_kept_blank_records_forms_carry_each_sessions_own_csrf_token(csrf_client_as):
    def token_of(client) -> str:
        page = client.get("/compliance/records").get_data(as_text=True)
        form = page[page.index("Add or change a rule"):]
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)

    first, second = csrf_client_as("office_manager"), csrf_client_as("office_manager")
    tokens = token_of(first), token_of(second)
    assert tokens[0] != tokens[1]  # the forms' HTML is kept, each session's token put in
    rule = {"record_type": "medical_record", "state": "", "adult_years": "7", "majority_age": "18", "minor_years": "3"}
    assert first.post("/compliance/records/rules", data={**rule, "csrf_token": tokens[1]}).status_code == 400
    assert second.post("/compliance/records/rules", data={**rule, "csrf_token": tokens[1]}).status_code == 302
    page = first.get("/compliance/records").get_data(as_text=True)
    forms = page[page.index("Add or change a rule"):]
    assert forms.count(f'value="{tokens[0]}"') == 3  # the rule, hold and destruction forms

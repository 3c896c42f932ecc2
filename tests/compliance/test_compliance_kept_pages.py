"""Compliance's detail and form pages keep what is the same for everyone who sees them until their data changes:
a change made outside the app (plain SQL, as another process or a SQL console would) to any table a kept part reads
shows on the next view, and a view with nothing changed reads none of those tables."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from medoffice import files
from medoffice.models import AuditEvent, Location, Patient, StaffMember, User
from medoffice.testing import connected, login, page_text, practice_today, reads_of, write_sql

from medoffice_compliance import credentials, incidents, privacy, program, rules
from medoffice_compliance.credentials import CredentialValues
from medoffice_compliance.models import BusinessAssociate, RiskItem

TODAY = practice_today()


@pytest.fixture
def app(make_app):
    return make_app(plugins=["compliance"], csrf=True)


def test_an_assessment_page_is_kept_until_an_assessment_an_answer_or_a_user_changes(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        owner = User.select().order_by(User.id.desc()).first()
        last_year = program.start_assessment("SRA 2025", TODAY - dt.timedelta(days=365), by="t")
        assessment = program.start_assessment("SRA 2026", TODAY, by="t")
        item = RiskItem.get((RiskItem.assessment == assessment) & (RiskItem.question_key == "tec_encryption"))
    url = f"/compliance/program/assessments/{assessment.id}"
    page = page_text(manager, url)
    assert "SRA 2026" in page and "Compared with SRA 2025" in page and f'name="q{item.id}-owner"' in page
    assert 'name="csrf_token"' in page
    assert not reads_of(manager, url, ("compliance_risk_assessment", "compliance_risk_item", "core_user"))

    with connected(app):
        write_sql("UPDATE compliance_risk_item SET answer = ?, likelihood = 3, impact = 3 WHERE id = ?", "no", item.id)
    assert "9 high" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE compliance_risk_assessment SET title = ? WHERE id = ?", "SRA of old", last_year.id)
    assert "Compared with SRA of old" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE core_user SET full_name = ? WHERE id = ?", "Owen Owner", owner.id)
    assert f'<option value="{owner.id}">Owen Owner</option>' in page_text(manager, url)
    with connected(app):
        write_sql("DELETE FROM compliance_risk_item WHERE assessment_id = ?", assessment.id)
        write_sql("DELETE FROM compliance_risk_assessment WHERE id = ?", assessment.id)
    assert manager.get(url).status_code == 404


def _form_tokens(page: str) -> set[str]:
    """The CSRF tokens of the page's forms."""
    return set(re.findall(r'name="[^"]*csrf_token"[^>]*value="([^"]+)"', page))


def test_a_kept_assessment_page_gives_each_session_its_own_token_and_each_role_its_own_forms(app):
    manager, auditor = login(app.test_client(), "office_manager"), login(app.test_client(), "auditor")
    with connected(app):
        assessment = program.start_assessment("SRA 2026", TODAY, by="t")
    url = f"/compliance/program/assessments/{assessment.id}"
    first, second = page_text(manager, url), page_text(login(app.test_client(), "office_manager"), url)
    assert len(_form_tokens(first)) == len(_form_tokens(second)) == 1 and _form_tokens(first) != _form_tokens(second)
    assert f'"X-CSRFToken": "{_form_tokens(second).pop()}"' in second
    assert "Save answer" in first and "Save answer" not in page_text(auditor, url)


def _auditedreads_of(app, action: str) -> int:
    with connected(app):
        return AuditEvent.select().where(AuditEvent.action == action).count()


def test_an_incident_page_is_kept_until_the_incident_its_people_a_patient_or_a_user_changes(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        rita = Patient.create(first_name="Rita", last_name="Rowe", date_of_birth=dt.date(1980, 5, 1),
                              account_number="R1").id
        incident = incidents.log(title="Lost chart", description="", occurred_on=None, discovered_on=TODAY,
                                 reported_by="", phi_involved=True, affected_by_state={"NV": 1}, by="t")
        incidents.add_patients(incident, [rita])
        incidents.assess(incident, {name: "Low" for name, _ in rules.FACTORS}, "low_probability", "Found at once.",
                         by=User.select().order_by(User.id.desc()).first().username, today=TODAY)
    url = f"/compliance/incidents/{incident.id}"
    assert "Rowe" in page_text(manager, url) and "NV 1" in page_text(manager, url)
    kept_tables = ("compliance_incident", "compliance_incident_state", "compliance_incident_patient",
                   "core_patient", "core_user", "core_staff")
    reads = _auditedreads_of(app, "compliance.incident.view")
    assert not reads_of(manager, url, kept_tables)
    assert _auditedreads_of(app, "compliance.incident.view") == reads + 3  # every view records the patients shown

    with connected(app):
        write_sql("UPDATE compliance_incident SET title = ? WHERE id = ?", "Chart left on a bus", incident.id)
    assert "Chart left on a bus" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE compliance_incident_state SET affected = 7 WHERE incident_id = ?", incident.id)
    assert "NV 7" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE core_patient SET last_name = ? WHERE id = ?", "Rowland", rita)
    assert "Rowland" in page_text(manager, url)
    with connected(app):
        write_sql("DELETE FROM compliance_incident_patient WHERE incident_id = ?", incident.id)
    assert "No patient named yet." in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE core_user SET full_name = ? WHERE username = ?", "Dee Cider", incident.decided_by)
    assert "Dee Cider" in page_text(manager, url)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_credential_page_is_kept_until_a_credential_a_verification_the_staff_or_a_user_changes(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able", is_provider=True, npi="1234567893").id
        clinic = Location.create(name="Main clinic").id
        licence = credentials.save(CredentialValues("state_licence", ann, location_id=clinic, state="NV",
                                                    number="RN-1", expires_on=TODAY + dt.timedelta(days=400)),
                                   "test")
        checker = User.select().order_by(User.id.desc()).first().username
        checked = credentials.add_verification(licence, TODAY, "State board website", "Active", by=checker)
    url = f"/compliance/credentials/{licence.id}"
    page = page_text(manager, url)
    assert "Able, Ann" in page and "Main clinic" in page and "State board website" in page and "Remove" in page
    kept_reads = reads_of(manager, url, ("compliance_credential", "compliance_verification", "core_staff", "core_user"))
    assert not [sql for sql in kept_reads if '"core_file"' not in sql]  # the files panels name their uploaders

    with connected(app):
        write_sql("UPDATE compliance_credential SET number = ? WHERE id = ?", "RN-2", licence.id)
    assert "RN-2" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE compliance_verification SET result = ? WHERE id = ?", "Lapsed", checked.id)
    assert "Lapsed" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE core_staff SET last_name = ? WHERE id = ?", "Abbott", ann)
    assert "Abbott, Ann" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE core_user SET full_name = ? WHERE username = ?", "Vera Verifier", checker)
        write_sql("UPDATE core_location SET name = ? WHERE id = ?", "North clinic", clinic)  # read on every view
    page = page_text(manager, url)
    assert "Vera Verifier" in page and "North clinic" in page
    with connected(app):
        files.attach("compliance", "credential", licence.id, credentials.ATTACHMENT_KIND, io.BytesIO(PDF),
                     "licence.pdf")
        files.attach("compliance", "verification", checked.id, credentials.EVIDENCE_KIND, io.BytesIO(PDF),
                     "board.pdf")
    page = page_text(manager, url)  # the files panels are the request's, not kept
    assert "licence.pdf" in page and "board.pdf" in page
    assert "Remove" not in page_text(login(app.test_client(), "auditor"), url)


def test_a_privacy_request_page_is_kept_until_a_request_a_disclosure_or_the_patient_changes(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        rita = Patient.create(first_name="Rita", last_name="Rowe", date_of_birth=dt.date(1980, 5, 1),
                              account_number="R1").id
        asked = privacy.receive(rita, "accounting", TODAY, identity_verified=True, details="Who saw my chart?",
                                by="t")
        told = privacy.log_disclosure(rita, TODAY - dt.timedelta(days=30), "County health department",
                                      "Immunisation record", "Public health", by="t")
    url = f"/compliance/privacy/{asked.id}"
    page = page_text(manager, url)
    assert "Rowe" in page and "County health department" in page and "Answer and send the letter" in page
    reads = _auditedreads_of(app, "compliance.privacy_request.view")
    kept_tables = ("compliance_privacy_request", "compliance_disclosure", "core_patient")
    assert not reads_of(manager, url, kept_tables)
    assert _auditedreads_of(app, "compliance.privacy_request.view") == reads + 3  # every view records the read

    with connected(app):
        write_sql("UPDATE compliance_privacy_request SET details = ? WHERE id = ?", "Everyone since 2020", asked.id)
    assert "Everyone since 2020" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE compliance_disclosure SET recipient = ? WHERE id = ?", "State registry", told.id)
    assert "State registry" in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE core_patient SET last_name = ? WHERE id = ?", "Rowland", rita)
    assert "Rowland" in page_text(manager, url)
    assert "Answer and send the letter" not in page_text(login(app.test_client(), "auditor"), url)
    with connected(app):
        write_sql("DELETE FROM compliance_disclosure WHERE patient_id = ?", rita)
        write_sql("DELETE FROM compliance_privacy_request WHERE id = ?", asked.id)
    assert manager.get(url).status_code == 404


def test_the_credential_form_is_kept_until_the_staff_change(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able", is_provider=True).id
    url = f"/compliance/credentials/new?staff_id={ann}"
    assert f'<option selected value="{ann}">Able, Ann</option>' in page_text(manager, url)
    assert '<option selected value="">The practice</option>' in page_text(manager, "/compliance/credentials/new")
    assert not reads_of(manager, url, ("core_staff", "core_user"))
    with connected(app):
        write_sql("UPDATE core_staff SET credentials = ? WHERE id = ?", "MD", ann)
    assert f'<option selected value="{ann}">Able, Ann, MD</option>' in page_text(manager, url)
    with connected(app):
        write_sql("UPDATE core_staff SET active = ? WHERE id = ?", False, ann)
    assert "Able, Ann" not in page_text(manager, url)


def test_a_business_associate_form_is_kept_until_an_associate_changes(app):
    manager = login(app.test_client(), "office_manager")
    with connected(app):
        shredder = BusinessAssociate.create(name="Shred-It", services="Shredding", signed_on=dt.date(2025, 1, 1))
    url = f"/compliance/program/business-associates/{shredder.id}"
    page = page_text(manager, url)
    assert "<h1>Shred-It</h1>" in page and 'value="Shredding"' in page and "Agreement files" in page
    assert not reads_of(manager, url, ("compliance_business_associate",))
    with connected(app):
        write_sql("UPDATE compliance_business_associate SET services = ? WHERE id = ?", "Shredding and pickup",
                  shredder.id)
    assert 'value="Shredding and pickup"' in page_text(manager, url)
    with connected(app):
        files.attach("compliance", "business_associate", shredder.id, program.BAA_FILE_KIND, io.BytesIO(PDF),
                     "baa.pdf")
    assert "baa.pdf" in page_text(manager, url)  # the files panel is the request's, not kept
    refused = manager.post(url, data={"name": "", "services": "x"})
    assert refused.status_code == 422 and "Give the vendor&#39;s name." in refused.get_data(as_text=True)
    with connected(app):
        write_sql("DELETE FROM compliance_business_associate WHERE id = ?", shredder.id)
    assert manager.get(url).status_code == 404

"""Employee files through the pages, with CSRF on: HR's list and forms (422 on bad input), sealed
sensitive fields (no plaintext in the row, reveal gated and audited), documents through core's files
service with expiry deadlines, and self-service that never opens someone else's file."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from medoffice.db import db
from medoffice.models import AuditEvent, StaffMember, User
from medoffice.testing import connected, login

from medoffice_hr.models import EmployeeDocument, Employment

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def hr_app(make_app):
    """HR alone (billing and finance off), CSRF on."""
    return make_app(plugins=["hr"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _staff(app, first, last, title="Front desk") -> int:
    with connected(app):
        return StaffMember.create(first_name=first, last_name=last, job_title=title).id


def _hire(client, staff_id, **extra) -> None:
    form = {"hire_date": "2025-03-01", "end_date": "", "status": "active", "employment_type": "full_time",
            "job_title": "Receptionist", "department": "", "location": "", "supervisor": "", **extra}
    response = client.post(f"/hr/employees/{staff_id}/employment", data=form)
    assert response.status_code == 302, _text(response)


def _link(app, username, staff_id) -> None:
    with connected(app):
        User.update(staff=staff_id).where(User.username == username).execute()


def test_hr_lists_starts_a_file_and_refuses_bad_input(hr_app):
    hr = login(hr_app.test_client(), "hr")
    ann = _staff(hr_app, "Ann", "Able")
    assert "Able, Ann" in _text(hr.get("/hr/"))
    assert hr.get(f"/hr/employees/{ann}/employment").status_code == 200
    bad = hr.post(f"/hr/employees/{ann}/employment", data={"hire_date": "2025-03-01", "end_date": "2025-01-01",
                                                          "status": "active", "employment_type": "full_time",
                                                          "department": "", "location": "", "supervisor": ""})
    assert bad.status_code == 422 and "before the hire date" in _text(bad)
    with connected(hr_app):
        assert Employment.select().count() == 0
    _hire(hr, ann)
    page = _text(hr.get(f"/hr/employees/{ann}"))
    assert "Receptionist" in page and "No pay rate recorded" in page
    assert hr.post(f"/hr/employees/{ann}/pay-rates", data={"effective_on": "2025-03-01", "basis": "hourly",
                                                          "amount": "21.50", "reason": "Start"}).status_code == 302
    refused = hr.post(f"/hr/employees/{ann}/pay-rates", data={"effective_on": "2025-03-01", "basis": "hourly",
                                                             "amount": "-3", "reason": ""})
    assert refused.status_code == 422
    assert "$21.50 an hour" in _text(hr.get(f"/hr/employees/{ann}"))
    assert hr.post(f"/hr/employees/{ann}/contacts", data={"name": "", "phone": ""}).status_code == 422
    assert hr.post(f"/hr/employees/{ann}/contacts", data={"name": "Bo Able", "relationship": "Spouse",
                                                         "phone": "555-0101", "email": ""}).status_code == 302
    assert "Bo Able" in _text(hr.get(f"/hr/employees/{ann}"))
    desk = login(hr_app.test_client(), "front_desk")
    assert desk.get("/hr/").status_code == 403


def test_supervision_loops_are_refused(hr_app):
    hr = login(hr_app.test_client(), "hr")
    ann, bob = _staff(hr_app, "Ann", "Able"), _staff(hr_app, "Bob", "Baker")
    _hire(hr, ann)
    _hire(hr, bob, supervisor=str(ann))
    loop = hr.post(f"/hr/employees/{ann}/employment", data={
        "hire_date": "2025-03-01", "end_date": "", "status": "active", "employment_type": "full_time",
        "department": "", "location": "", "supervisor": str(bob)})
    assert loop.status_code == 422 and "reports, directly or not" in _text(loop)
    chart = _text(hr.get("/hr/org-chart"))
    assert chart.index("Ann Able") < chart.index("Bob Baker")


def test_sensitive_fields_are_sealed_at_rest_and_revealing_is_gated_and_audited(hr_app):
    hr = login(hr_app.test_client(), "hr")
    ann = _staff(hr_app, "Ann", "Able")
    _hire(hr, ann)
    bad = hr.post(f"/hr/employees/{ann}/sensitive", data={"ssn": "666-12-3456", "bank_routing": "011000015"})
    assert bad.status_code == 422
    with connected(hr_app):
        assert Employment.get(Employment.staff == ann).bank_routing_sealed == ""  # nothing half-written
    saved = hr.post(f"/hr/employees/{ann}/sensitive", data={"ssn": "123-45-6789", "date_of_birth": "1980-02-19",
                                                           "bank_routing": "011000015", "bank_account": "000123456789"})
    assert saved.status_code == 302
    with connected(hr_app):
        raw = db.execute_sql("SELECT ssn_sealed, date_of_birth_sealed, bank_routing_sealed, bank_account_sealed "
                             "FROM hr_employment").fetchone()
    assert all(raw) and not any(secret in "".join(raw) for secret in ("6789", "1980", "011000015", "123456789"))
    manager = login(hr_app.test_client(), "office_manager")  # sees the file, not the secrets
    page = _text(manager.get(f"/hr/employees/{ann}"))
    assert "***-**-6789" in page and "123-45-6789" not in page and "1980-02-19" not in page
    assert manager.post(f"/hr/employees/{ann}/reveal").status_code == 403
    with connected(hr_app):
        assert AuditEvent.select().where(AuditEvent.action == "hr.sensitive.reveal").count() == 0
    shown = _text(hr.post(f"/hr/employees/{ann}/reveal"))
    assert "123-45-6789" in shown and "000123456789" in shown and "1980-02-19" in shown
    with connected(hr_app):
        entries = list(AuditEvent.select().where(AuditEvent.action == "hr.sensitive.reveal"))
    assert len(entries) == 1 and "6789" not in str(entries[0].detail)


def test_documents_are_filed_with_their_expiry_as_a_deadline(hr_app):
    from medoffice import deadlines

    hr = login(hr_app.test_client(), "hr")
    ann = _staff(hr_app, "Ann", "Able")
    _hire(hr, ann)
    missing = hr.post(f"/hr/employees/{ann}/documents", data={"kind": "licence", "expires_on": "", "note": "",
                                                             "file": (io.BytesIO(PDF), "licence.pdf")},
                      content_type="multipart/form-data")
    assert missing.status_code == 422 and "needs its expiry date" in _text(missing)
    not_a_pdf = hr.post(f"/hr/employees/{ann}/documents", data={"kind": "w4", "expires_on": "", "note": "",
                                                               "file": (io.BytesIO(b"<html>hi</html>"), "w4.pdf")},
                        content_type="multipart/form-data")
    assert not_a_pdf.status_code == 422
    with connected(hr_app):
        assert EmployeeDocument.select().count() == 0
    filed = hr.post(f"/hr/employees/{ann}/documents", data={"kind": "licence", "expires_on": "2027-06-30",
                                                           "note": "RN", "file": (io.BytesIO(PDF), "licence.pdf")},
                    content_type="multipart/form-data")
    assert filed.status_code == 302
    with connected(hr_app):
        document = EmployeeDocument.get()
        deadline = deadlines.find("hr", f"employee-document:{document.id}")
    assert deadline.due == dt.date(2027, 6, 30) and "Licence or certification of Ann Able" in deadline.title
    download = hr.get(f"/hr/employees/{ann}/documents/{document.id}")
    assert download.status_code == 200 and download.data == PDF


def test_self_service_shows_ones_own_file_and_nothing_of_anyone_elses(hr_app):
    hr = login(hr_app.test_client(), "hr")
    ann, bob, cy = _staff(hr_app, "Ann", "Able"), _staff(hr_app, "Bob", "Baker"), _staff(hr_app, "Cy", "Cole")
    _hire(hr, ann)
    _hire(hr, bob, supervisor=str(ann))
    _hire(hr, cy)
    hr.post(f"/hr/employees/{bob}/pay-rates", data={"effective_on": "2025-03-01", "basis": "hourly",
                                                   "amount": "19.00"})
    hr.post(f"/hr/employees/{cy}/documents", data={"kind": "w4", "expires_on": "", "note": "",
                                                  "file": (io.BytesIO(PDF), "w4.pdf")},
            content_type="multipart/form-data")
    bob_client = login(hr_app.test_client(), "front_desk", username="bob")
    _link(hr_app, "bob", bob)
    assert bob_client.get("/hr/me").headers["Location"].endswith(f"/hr/employees/{bob}")
    own = _text(bob_client.get(f"/hr/employees/{bob}"))
    assert "$19.00 an hour" in own and "Reveal" not in own and "Nothing waits for your signature" in own
    with connected(hr_app):
        cy_document = EmployeeDocument.get().id
    assert bob_client.get(f"/hr/employees/{cy}").status_code == 404
    assert bob_client.get(f"/hr/employees/{ann}").status_code == 404  # his supervisor's file is not his
    assert bob_client.get(f"/hr/employees/{cy}/documents/{cy_document}").status_code == 404
    assert bob_client.post(f"/hr/employees/{cy}/reveal").status_code == 403
    assert bob_client.post("/hr/me/contacts", data={"name": "Bea Baker", "phone": "555-0102"}).status_code == 302
    assert bob_client.post("/hr/me/contacts", data={"name": "", "phone": ""}).status_code == 422
    assert "Bea Baker" in _text(bob_client.get(f"/hr/employees/{bob}"))
    hr.post(f"/hr/employees/{cy}/contacts", data={"name": "Cat Cole", "phone": "555-0103"})
    with connected(hr_app):
        cy_contact = Employment.get(Employment.staff == cy).contacts.get().id
    assert bob_client.post(f"/hr/me/contacts/{cy_contact}/delete").status_code == 404  # not his to remove
    assert bob_client.post(f"/hr/employees/{cy}/contacts", data={"name": "X", "phone": "1"}).status_code == 403
    ann_client = login(hr_app.test_client(), "front_desk", username="ann")
    _link(hr_app, "ann", ann)
    report = _text(ann_client.get(f"/hr/employees/{bob}"))
    assert "Receptionist" in report and "$19.00" not in report  # a supervisor sees the job, not the pay
    assert ann_client.get(f"/hr/employees/{cy}").status_code == 404
    nobody = login(hr_app.test_client(), "billing")
    assert "not linked to a staff record" in _text(nobody.get("/hr/me"))


def test_contacts_and_documents_are_removed_and_the_expiry_job_follows_the_login(hr_app):
    from medoffice import deadlines

    from medoffice_hr.jobs import sync_document_expiries

    hr = login(hr_app.test_client(), "hr")
    ann = _staff(hr_app, "Ann", "Able")
    _hire(hr, ann)
    hr.post(f"/hr/employees/{ann}/contacts", data={"name": "Bo Able", "phone": "555-0101"})
    hr.post(f"/hr/employees/{ann}/documents", data={"kind": "licence", "expires_on": "2027-06-30", "note": "",
                                                   "file": (io.BytesIO(PDF), "licence.pdf")},
            content_type="multipart/form-data")
    with connected(hr_app):
        contact = Employment.get().contacts.get().id
        document = EmployeeDocument.get().id
        assert deadlines.find("hr", f"employee-document:{document}").assignee_role == "hr"
    login(hr_app.test_client(), "front_desk", username="ann")
    _link(hr_app, "ann", ann)
    with connected(hr_app):
        assert sync_document_expiries() == "1 expiring document checked."
        ann_user = User.get(User.username == "ann").id
        assert deadlines.find("hr", f"employee-document:{document}").assignee_user_id == ann_user
    assert hr.post(f"/hr/employees/{ann}/contacts/{contact}/delete").status_code == 302
    assert hr.post(f"/hr/employees/{ann}/documents/{document}/remove", data={"reason": ""}).status_code == 422
    assert hr.post(f"/hr/employees/{ann}/documents/{document}/remove",
                   data={"reason": "Uploaded twice"}).status_code == 302
    page = _text(hr.get(f"/hr/employees/{ann}"))
    assert "Bo Able" not in page and "No documents filed" in page
    assert hr.get(f"/hr/employees/{ann}/documents/{document}").status_code == 404
    with connected(hr_app):
        assert deadlines.find("hr", f"employee-document:{document}").state == "superseded"


def test_the_employee_list_runs_as_many_queries_with_more_people(hr_app):
    from medoffice.testing import page_queries

    hr = login(hr_app.test_client(), "hr")
    for n in range(2):
        _hire(hr, _staff(hr_app, f"A{n}", "Few"))
    few = len(page_queries(hr, "/hr/"))
    for n in range(6):
        _hire(hr, _staff(hr_app, f"B{n}", "More"))
    assert len(page_queries(hr, "/hr/")) == few


def test_values_sealed_under_another_key_show_as_unreadable_and_doctor_fails(hr_app):
    from medoffice_hr.employees import unreadable_count

    hr = login(hr_app.test_client(), "hr")
    ann = _staff(hr_app, "Ann", "Able")
    _hire(hr, ann)
    hr.post(f"/hr/employees/{ann}/sensitive", data={"ssn": "123-45-6789"})
    with connected(hr_app):
        assert unreadable_count() == 0
    hr_app.config["BACKUP_KEY"] = "another-key-0123456789abcdefghijklmnopqrs"
    page = hr.get(f"/hr/employees/{ann}")
    assert page.status_code == 200 and "sealed under another key" in _text(page)
    with connected(hr_app):
        assert unreadable_count() == 1

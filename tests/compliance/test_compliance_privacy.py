"""Privacy-rights requests through the pages and the service: each clock kept as a deadline, the
one extension with its written notice (a letter, whatever the consent register says), answers
as letters, the accounting of disclosures over six years, and every read of a request audited."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from medoffice import deadlines, messages
from medoffice.messages.models import OutboxMessage
from medoffice.models import AuditEvent, Patient
from medoffice.db import db
from medoffice.testing import connected, login, page_queries, practice_today

from medoffice_compliance import privacy
from medoffice_compliance.models import PrivacyRequest

TODAY = practice_today()


@pytest.fixture
def app(make_app):
    return make_app(plugins=["compliance"], csrf=True)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _patient(app, account="P100") -> int:
    with connected(app):
        return Patient.create(first_name="Rita", last_name="Rowe", date_of_birth=dt.date(1980, 5, 1),
                              account_number=account, address1="1 Elm St", city="Reno", state="NV", zip="89501").id


def _request_form(**extra):
    return {"patient_id": "P100", "kind": "access", "received_on": TODAY.isoformat(), "identity_verified": "y",
            "access_format": "electronic", "fee": "6.50", "details": "Visit notes of 2025", **extra}


def test_an_access_request_runs_its_clock_and_takes_one_extension_with_a_letter(app):
    patient_id = _patient(app)
    manager = login(app.test_client(), "office_manager")
    assert manager.post("/compliance/privacy/new", data=_request_form(patient_id="NOPE")).status_code == 422
    assert manager.post("/compliance/privacy/new", data=_request_form(fee="-1")).status_code == 422
    assert manager.post("/compliance/privacy/new", data=_request_form(access_format="")).status_code == 422
    future = (TODAY + dt.timedelta(days=1)).isoformat()
    assert manager.post("/compliance/privacy/new", data=_request_form(received_on=future)).status_code == 422
    with connected(app):
        assert PrivacyRequest.select().count() == 0
    logged = manager.post("/compliance/privacy/new", data=_request_form())
    assert logged.status_code == 302
    with connected(app):
        request = PrivacyRequest.get()
        deadline = deadlines.find("compliance", f"privacy-request:{request.id}")
    assert request.due_on == TODAY + dt.timedelta(days=30) and request.fee_cents == 650
    assert deadline.due == request.due_on and "Rowe" not in deadline.title and "Rita" not in deadline.title
    page = manager.get(f"/compliance/privacy/{request.id}")
    assert "Rowe, Rita" in _text(page) and "Extend once by 30 days" in _text(page)
    assert manager.post(f"/compliance/privacy/{request.id}/extend", data={"reason": ""}).status_code == 422
    extended = manager.post(f"/compliance/privacy/{request.id}/extend",
                            data={"reason": "the records are archived off site"})
    assert extended.status_code == 302
    with connected(app):
        request = PrivacyRequest.get()
        letter = OutboxMessage.get_by_id(request.extension_message_id)
        assert deadlines.find("compliance", f"privacy-request:{request.id}").due == TODAY + dt.timedelta(days=60)
    assert request.due_on == TODAY + dt.timedelta(days=60)
    assert letter.channel == "core.letter" and letter.purpose == "required_notice" and letter.patient_id == patient_id
    assert "archived off site" in letter.body_text and (TODAY + dt.timedelta(days=60)).isoformat() in letter.body_text
    listed = _text(manager.get("/compliance/privacy"))  # the list reads only the columns it shows
    row = listed.split(f'<a href="/compliance/privacy/{request.id}">{request.id}</a>')[1].split("</tr>")[0]
    assert row == (f"</td><td>Right of access</td><td>Rowe, Rita</td><td>{TODAY.isoformat()}</td>"
                   f"<td>{(TODAY + dt.timedelta(days=60)).isoformat()}</td>"
                   '<td><span class="chip chip-open">Open</span></td><td>Yes</td>')
    assert "Rowe, Rita" in _text(manager.get("/compliance/privacy?format=csv"))
    again = manager.post(f"/compliance/privacy/{request.id}/extend", data={"reason": "still archived"})
    assert again.status_code == 422 and "one extension" in _text(again)
    answered = manager.post(f"/compliance/privacy/{request.id}/decide", data={"decision": "completed",
                                                                             "reason": "Sent on a USB key."})
    assert answered.status_code == 302
    with connected(app):
        request = PrivacyRequest.get()
        assert request.status == "completed" and request.decided_on == TODAY
        assert deadlines.find("compliance", f"privacy-request:{request.id}").state == "done"
        assert OutboxMessage.select().where(OutboxMessage.template_key == "compliance.privacy_decision").count() == 1
    assert "on time" in _text(manager.get(f"/compliance/privacy/{request.id}"))


def test_the_extension_notice_must_go_before_the_first_period_ends(app):
    patient_id = _patient(app)
    with connected(app):
        request = privacy.receive(patient_id, "amendment", dt.date(2024, 1, 1), identity_verified=True, by="t",
                                  today=dt.date(2024, 1, 2))
        assert request.due_on == dt.date(2024, 3, 1)  # 60 days across a leap February
        with pytest.raises(privacy.PrivacyError, match="2024-03-01"):
            privacy.extend(request, "busy", by="t", today=dt.date(2024, 3, 2))
        assert OutboxMessage.select().count() == 0
        privacy.extend(request, "the author is on leave", by="t", today=dt.date(2024, 3, 1))
        assert PrivacyRequest.get_by_id(request.id).due_on == dt.date(2024, 3, 31)
        with pytest.raises(privacy.PrivacyError, match="reason"):
            privacy.decide(request, "denied", " ", by="t", today=dt.date(2024, 3, 10))
        privacy.decide(request, "denied", "The record is accurate and complete.", by="t", today=dt.date(2024, 4, 2))
        assert json.loads(AuditEvent.select().where(AuditEvent.action == "compliance.privacy_request.decide")
                          .get().detail)["on_time"] is False


def test_an_accounting_lists_six_years_of_disclosures_in_its_letter(app):
    patient_id = _patient(app)
    manager = login(app.test_client(), "office_manager")
    received = TODAY - dt.timedelta(days=1)
    for when, recipient in ((received - dt.timedelta(days=6 * 365 + 10), "Old insurer"),
                            (received - dt.timedelta(days=100), "County health department")):
        logged = manager.post("/compliance/privacy/disclosures", data={
            "patient_id": "P100", "disclosed_on": when.isoformat(), "recipient": recipient,
            "description": "Immunisation record", "purpose": "Public health reporting"})
        assert logged.status_code == 302
    assert manager.post("/compliance/privacy/disclosures", data={"patient_id": "P100", "disclosed_on": "",
                                                                 "recipient": "x"}).status_code == 422
    with connected(app):
        request = privacy.receive(patient_id, "accounting", received, identity_verified=True, by="t")
        assert request.due_on == received + dt.timedelta(days=60)
    page = _text(manager.get(f"/compliance/privacy/{request.id}"))
    assert "County health department" in page and "Old insurer" not in page
    refused = manager.post(f"/compliance/privacy/{request.id}/decide", data={"decision": "denied", "reason": "no"})
    assert refused.status_code == 422 and "cannot be denied" in _text(refused)
    assert manager.post(f"/compliance/privacy/{request.id}/decide",
                        data={"decision": "completed", "reason": ""}).status_code == 302
    with connected(app):
        letter = OutboxMessage.get(OutboxMessage.template_key == "compliance.accounting_of_disclosures")
    assert "County health department" in letter.body_text and "Old insurer" not in letter.body_text
    assert letter.channel == "core.letter"


def test_reads_are_audited_and_access_is_by_permission(app):
    patient_id = _patient(app)
    with connected(app):
        request = privacy.receive(patient_id, "restriction", TODAY, identity_verified=False, by="t")
        assert request.due_on is None  # no legal clock
    auditor = login(app.test_client(), "auditor")
    assert auditor.get(f"/compliance/privacy/{request.id}").status_code == 200
    assert auditor.get("/compliance/privacy?status=open").status_code == 200
    assert auditor.get("/compliance/privacy?status=bogus").status_code == 400
    assert auditor.post(f"/compliance/privacy/{request.id}/decide", data={"decision": "completed"}).status_code == 403
    with connected(app):
        read = AuditEvent.get(AuditEvent.action == "compliance.privacy_request.view")
        listed = AuditEvent.get(AuditEvent.action == "compliance.privacy_requests.list")
    assert read.patient_id == patient_id and json.loads(listed.detail)["patients"] == [patient_id]
    desk = login(app.test_client(), "front_desk")
    assert desk.get(f"/compliance/privacy/{request.id}").status_code == 403


def test_the_list_is_kept_until_any_writer_changes_a_request_or_a_patient_and_each_view_is_audited(app, monkeypatch):
    """The list's rows, count and HTML are read once and kept (per tab, sort, page and day); a request changed by any
    writer (here plain SQL, as another process or a console would) or a patient renamed shows on the very next view,
    a new day moves the clocks, and every view still records the patients it showed."""
    from medoffice_compliance.views import privacy as views

    patient_id = _patient(app)
    with connected(app):
        request = privacy.receive(patient_id, "access", TODAY, identity_verified=True, access_format="electronic",
                                  by="t")
    manager = login(app.test_client(), "office_manager")
    assert "Rowe, Rita" in _text(manager.get("/compliance/privacy"))
    kept = page_queries(manager, "/compliance/privacy")
    assert not [sql for sql in kept if "compliance_privacy_request" in sql or 'FROM "core_patient"' in sql]
    assert [sql for sql in kept if "core_audit_event" in sql]  # the read audit, on every view
    with connected(app):
        listed = AuditEvent.select().where(AuditEvent.action == "compliance.privacy_requests.list").count()
    manager.get("/compliance/privacy")
    with connected(app):
        assert AuditEvent.select().where(AuditEvent.action == "compliance.privacy_requests.list").count() == listed + 1
        db.execute_sql(f"UPDATE core_patient SET last_name = 'Roe' WHERE id = {db.param}", (patient_id,))
    assert "Roe, Rita" in _text(manager.get("/compliance/privacy"))
    later = request.due_on + dt.timedelta(days=1)
    monkeypatch.setattr(views, "today", lambda: later)
    assert 'chip-overdue' in _text(manager.get("/compliance/privacy"))  # the day is part of what is kept
    monkeypatch.setattr(views, "today", lambda: TODAY)
    assert 'chip-overdue' not in _text(manager.get("/compliance/privacy"))
    with connected(app):  # answered by a console: off the open tab, on the completed one
        db.execute_sql(f"UPDATE compliance_privacy_request SET status = 'completed' WHERE id = {db.param}",
                       (request.id,))
    assert "Roe, Rita" not in _text(manager.get("/compliance/privacy"))
    assert "Roe, Rita" in _text(manager.get("/compliance/privacy?status=completed"))


def test_a_required_notice_goes_by_letter_only_without_consent(app):
    patient_id = _patient(app)
    with connected(app):
        recipient = messages.patient(patient_id)
        assert messages.check(recipient, "core.letter", "required_notice")  # no consent on record, still owed
        with pytest.raises(messages.Refused, match="letter"):
            messages.check(recipient, "core.email", "required_notice")


def test_nothing_is_released_before_the_identity_is_verified(app):
    _patient(app)
    manager = login(app.test_client(), "office_manager")
    assert manager.post("/compliance/privacy/new", data=_request_form(identity_verified="")).status_code == 302
    with connected(app):
        request_id = PrivacyRequest.get().id
    early = manager.post(f"/compliance/privacy/{request_id}/decide", data={"decision": "completed", "reason": ""})
    assert early.status_code == 422 and "identity" in _text(early)
    assert manager.post(f"/compliance/privacy/{request_id}/identity", data={"reason": ""}).status_code == 422
    assert manager.post(f"/compliance/privacy/{request_id}/identity",
                        data={"reason": "Driver's licence at the desk"}).status_code == 302
    assert manager.post(f"/compliance/privacy/{request_id}/decide",
                        data={"decision": "completed", "reason": ""}).status_code == 302
    with connected(app):
        assert PrivacyRequest.get_by_id(request_id).status == "completed"
        assert AuditEvent.get(AuditEvent.action == "compliance.privacy_request.identity").patient_id is not None

"""Core's CRUD pages (``medoffice.web.crud``): a plugin that writes only a model and a form gets a
list, create, detail and edit page with permission checks, validation and audit entries, and a
model naming a patient gets its reads audited as patient reads."""
from __future__ import annotations

import json

import pytest
from fixtures_plugins import loans

from medoffice.db import db
from medoffice.models import AuditEvent, Patient
from medoffice.testing import contract_problems, login


@pytest.fixture
def loans_app(make_app):
    return make_app(plugins=[], extra=[loans])


def test_pages_made_by_the_helper_pass_the_plugin_contract(loans_app):
    assert contract_problems(loans_app, "loans") == []


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def entries(app, action):
    return in_db(app, lambda: [(e.object_id, e.patient_id, json.loads(e.detail or "{}"))
                               for e in AuditEvent.select().where(AuditEvent.action == action)])


def test_list_create_detail_edit_with_validation_and_audit(loans_app):
    admin = login(loans_app.test_client(), "admin")
    assert "No devices yet." in admin.get("/loans/device").get_data(as_text=True)
    refused = admin.post("/loans/device/new", data={"name": "", "serial": "X1"})
    assert refused.status_code == 422 and in_db(loans_app, loans.Device.select().count) == 0
    created = admin.post("/loans/device/new", data={"name": "Crutches", "serial": "C-17", "in_service": "y"})
    assert created.status_code == 302
    device = in_db(loans_app, lambda: loans.Device.get(loans.Device.name == "Crutches"))
    assert created.headers["Location"].endswith(f"/loans/device/{device.id}")
    detail = admin.get(f"/loans/device/{device.id}").get_data(as_text=True)
    assert "Serial number" in detail and "C-17" in detail
    listed = admin.get("/loans/device?q=crut", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Crutches" in listed
    assert admin.post(f"/loans/device/{device.id}/edit", data={"name": "Crutches", "serial": "C-18",
                                                               "in_service": "y"}).status_code == 302
    (object_id, _patient, detail_entry), = entries(loans_app, "device.update")
    assert object_id == str(device.id) and detail_entry == {"changed": {"serial": {"before": "C-17", "after": "C-18"}}}
    assert [e[0] for e in entries(loans_app, "device.create")] == [str(device.id)]
    assert admin.get("/loans/device/999999").status_code == 404


def test_permissions_are_checked_on_every_page(loans_app):
    desk = login(loans_app.test_client(), "front_desk")  # loans.view only
    assert desk.get("/loans/device").status_code == 200
    assert desk.get("/loans/device/new").status_code == 403
    assert desk.post("/loans/device/new", data={"name": "Monitor"}).status_code == 403
    billing = login(loans_app.test_client(), "billing")  # neither
    assert billing.get("/loans/device").status_code == 403


def test_a_model_naming_a_patient_audits_its_reads(loans_app):
    admin = login(loans_app.test_client(), "admin")
    patient = in_db(loans_app, lambda: Patient.create(account_number="A1", first_name="Ann", last_name="Lee",
                                                      date_of_birth="1980-02-03"))
    created = admin.post("/loans/loan/new", data={"patient": str(patient.id), "item": "Walker"})
    assert created.status_code == 302
    loan = in_db(loans_app, lambda: loans.Loan.get())
    assert entries(loans_app, "loan.create")[0][1] == patient.id
    assert admin.get(f"/loans/loan/{loan.id}").status_code == 200
    assert [e[1] for e in entries(loans_app, "loan.view")] == [patient.id]
    admin.get("/loans/loan")
    assert entries(loans_app, "loan.list")[0][2]["patients"] == [patient.id]

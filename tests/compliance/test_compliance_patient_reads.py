"""Every GET route of compliance that names a patient-bearing object records a read naming its
patients; a route argument this test does not know fails it, so a new page cannot slip past."""
from __future__ import annotations

import datetime as dt
import json

from medoffice.models import AuditEvent, Patient
from medoffice.testing import connected, login, practice_today

from medoffice_compliance import incidents, privacy

NOT_PATIENT_DATA = {"credential_id", "assessment_id", "associate_id"}


def test_compliance_pages_that_show_patients_audit_the_read(make_app):
    app = make_app(plugins=["compliance"])
    with connected(app):
        patient = Patient.create(first_name="Rita", last_name="Rowe", date_of_birth=dt.date(1980, 5, 1),
                                 account_number="R1").id
        request = privacy.receive(patient, "access", practice_today(), identity_verified=True, access_format="paper",
                                  by="t")
        incident = incidents.log(title="Lost chart", description="", occurred_on=None, discovered_on=practice_today(),
                                 reported_by="", phi_involved=True, affected_by_state={"NV": 1}, by="t")
        incidents.add_patients(incident, [patient])
    ids = {"request_id": request.id, "incident_id": incident.id}
    routes = [rule for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("compliance.") and "GET" in rule.methods and rule.arguments]
    unknown = {arg for rule in routes for arg in rule.arguments} - set(ids) - NOT_PATIENT_DATA
    assert not unknown, f"classify these route arguments: {unknown}"
    manager = login(app.test_client(), "office_manager")
    for rule in routes:
        if set(rule.arguments) & NOT_PATIENT_DATA:
            continue
        url = rule.rule
        for name, value in ids.items():
            url = url.replace(f"<int:{name}>", str(value))
        with connected(app):
            before = AuditEvent.select().count()
        assert manager.get(url).status_code == 200, url
        with connected(app):
            entries = list(AuditEvent.select().order_by(AuditEvent.seq).offset(before))
        assert any(e.patient_id == patient or patient in json.loads(e.detail or "{}").get("patients", [])
                   for e in entries), f"{url} showed a patient without recording the read"
        missing = url.replace(str(ids.get(next(iter(rule.arguments)), 0)), "999999")
        assert manager.get(missing).status_code == 404, missing

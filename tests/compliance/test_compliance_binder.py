"""The audit binder: one zip with a PDF summary and CSV evidence of the program for a period,
naming no patient, its export audited; from the page and from the command line."""
from __future__ import annotations

import datetime as dt
import io
import zipfile

from click.testing import CliRunner
from medoffice.cli import main
from medoffice.models import AuditEvent, Patient, StaffMember
from medoffice.testing import connected, login, practice_today

from medoffice_compliance import credentials, incidents, privacy, program, screening
from medoffice_compliance.credentials import CredentialValues

TODAY = practice_today()
FACTORS = {"factor_nature": "n", "factor_recipient": "r", "factor_acquired": "a", "factor_mitigation": "m"}
EXPECTED = {"summary.pdf", "policies.csv", "policy_acknowledgments.csv", "training.csv", "risk_register.csv",
            "business_associates.csv", "incidents.csv", "privacy_requests.csv", "credentials.csv", "screening.csv",
            "audit_log_summary.csv", "audit_verify.txt"}


def _program(app):
    with connected(app):
        ann = StaffMember.create(first_name="Ann", last_name="Able", is_provider=True, npi="1234567893").id
        credentials.save(CredentialValues("state_licence", ann, state="NV", expires_on=TODAY - dt.timedelta(days=3)),
                         "t")
        program.record_training(ann, "HIPAA basics", TODAY, by="t")
        program.save_business_associate({"name": "Shred-It", "review_on": TODAY}, by="t")
        patient = Patient.create(first_name="Secret", last_name="Zebrapatient", date_of_birth=dt.date(1980, 1, 1),
                                 account_number="Z1")
        request = privacy.receive(patient.id, "access", TODAY, identity_verified=True, access_format="paper", by="t")
        privacy.decide(request, "completed", "", by="t", send_letter=False)
        incident = incidents.log(title="Lost laptop", description="", occurred_on=None, discovered_on=TODAY,
                                 reported_by="", phi_involved=True, affected_by_state={"NV": 12}, by="t")
        incidents.assess(incident, FACTORS, "breach", "Unencrypted", by="t")
        screening.run(by="t")


def _zip(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_binder_holds_the_programs_evidence_and_no_patient(make_app):
    app = make_app(plugins=["compliance"], csrf=True)
    _program(app)
    manager = login(app.test_client(), "office_manager")
    assert manager.get("/compliance/binder").status_code == 200
    assert manager.get("/compliance/binder.zip?start=2026-13-01").status_code == 400
    assert manager.get(f"/compliance/binder.zip?start={TODAY.isoformat()}&end=2000-01-01").status_code == 400
    response = manager.get(f"/compliance/binder.zip?start={(TODAY - dt.timedelta(days=30)).isoformat()}"
                           f"&end={TODAY.isoformat()}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    parts = _zip(response.data)
    assert set(parts) == EXPECTED and parts["summary.pdf"].startswith(b"%PDF")
    text = {name: data.decode("utf-8") for name, data in parts.items() if not name.endswith(".pdf")}
    assert "State licence" in text["credentials.csv"] and ",red," in text["credentials.csv"]
    assert "Lost laptop" in text["incidents.csv"] and "breach" in text["incidents.csv"]
    assert "Right of access" in text["privacy_requests.csv"] and "completed" in text["privacy_requests.csv"]
    assert "Shred-It" in text["business_associates.csv"] and "Able, Ann" in text["training.csv"]
    assert "compliance.incident.assess" in text["audit_log_summary.csv"]
    assert "ok: True" in text["audit_verify.txt"]
    assert not any("Zebrapatient" in body for body in text.values())
    with connected(app):
        assert AuditEvent.select().where(AuditEvent.action == "compliance.binder.export").count() == 1
    assert login(app.test_client(), "front_desk").get("/compliance/binder.zip").status_code == 403


def test_the_command_line_writes_the_binder(make_app, tmp_path):
    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "medoffice.toml").write_text('secret_key = "test-secret-key"\nbackup_key = "k"\n')
    app = make_app(plugins=["compliance"], instance=instance)
    _program(app)
    env = {"MEDOFFICE_DATABASE_URL": app.config["DATABASE_URL"]} if app.config.get("DATABASE_URL") else {}
    out = tmp_path / "binder.zip"
    result = CliRunner().invoke(main, ["--instance", app.instance_path, "compliance", "binder", "--out", str(out)],
                                env=env)
    assert result.exit_code == 0, result.output
    assert set(_zip(out.read_bytes())) == EXPECTED

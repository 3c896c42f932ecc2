"""Contact consent has one home, the consent register: registration writes to it, and the upgrade
turns the patient record's old contact flags into register entries before dropping them."""
from __future__ import annotations

from medoffice import migrate
from medoffice.db import db, utcnow
from medoffice.messages import consent
from medoffice.messages.models import Consent
from medoffice.models import Patient
from medoffice.plugins import CORE

PATIENT = {"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1980-02-03", "sex": "F",
           "preferred_contact": "email", "email": "ann@example.com"}


def test_registration_records_what_the_patient_agreed_to(admin_client, app):
    response = admin_client.post("/patients/new", data={**PATIENT, "email_ok": "y", "text_ok": ""})
    assert response.status_code == 302
    patient_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        db.connect(reuse_if_open=True)
        held = {pair: entry.decision for pair, entry in consent.current(patient_id).items()}
        assert held == {("email", "appointments_recalls"): "granted", ("email", "billing"): "granted"}
        assert consent.refusal_reason(consent.latest(patient_id, "text", "appointments_recalls"),
                                      "text", "appointments_recalls").startswith("No consent on record")
        db.close()


def test_upgrade_carries_the_old_contact_flags_into_the_register(app):
    with app.app_context():
        db.connect(reuse_if_open=True)
        runner = migrate.runner_for(app.extensions["medoffice"].host.plugins[CORE])
        runner.down(target="0012_consent_from_patient_flags")
        columns = {c.name for c in db.get_columns("core_patient")}
        assert {"ok_to_text", "ok_to_email", "marketing_opt_out"} <= columns
        now = utcnow().replace(tzinfo=None)
        for number, (text, email, no_marketing) in enumerate([(True, True, False), (False, False, True),
                                                              (False, False, False)]):
            db.execute_sql(
                "INSERT INTO core_patient (account_number, first_name, middle_name, last_name, date_of_birth, "
                "sex, address1, address2, city, state, zip, phone, mobile, email, preferred_contact, "
                "ok_to_text, ok_to_email, marketing_opt_out, language, active, created_at, updated_at) "
                f"VALUES ({', '.join([db.param] * 22)})",
                (f"P{number:07d}", "Pat", "", f"Old{number}", "1970-01-01", "U", "", "", "", "", "", "", "",
                 "", "phone", text, email, no_marketing, "en", True, now, now))

        runner.up()

        assert not {"ok_to_text", "ok_to_email", "marketing_opt_out"} & {c.name for c in db.get_columns("core_patient")}
        ids = {p.last_name: p.id for p in Patient.select()}
        entries = {(e.patient_id, e.channel, e.purpose, e.decision, e.source) for e in Consent.select()}
        assert entries == {
            (ids["Old0"], "text", "appointments_recalls", "granted", "patient_record"),
            (ids["Old0"], "email", "appointments_recalls", "granted", "patient_record"),
            (ids["Old0"], "email", "billing", "granted", "patient_record"),
            *{(ids["Old1"], channel, "marketing", "refused", "patient_record")
              for channel in ("email", "text", "post", "phone")},
        }
        assert consent.refusal_reason(consent.latest(ids["Old1"], "email", "marketing"), "email", "marketing") \
            .endswith("(carried over from the patient record).")
        db.close()

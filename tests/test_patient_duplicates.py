"""Possible duplicates at registration and merging two patient records (issue 17 item 2)."""
import datetime as dt
import json

from medoffice.db import db
from medoffice.events.models import EventRecord
from medoffice.messages.models import Consent
from medoffice.models import AuditEvent, CORE_MODELS, Patient
from medoffice.patient_duplicates import name_similarity
from medoffice.patient_merge import patient_references
from medoffice.testing import login


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def existing(app, **changes):
    values = {"account_number": "P0000501", "first_name": "John", "last_name": "Smith",
              "date_of_birth": dt.date(1970, 5, 17), "phone": "(555) 201-3344"}
    values.update(changes)
    return in_db(app, lambda: Patient.create(**values).id)


def registration(**changes):
    data = {"first_name": "Jon", "last_name": "Smiht", "date_of_birth": "1970-05-17", "sex": "M",
            "phone": "", "mobile": "", "preferred_contact": "phone", "text_ok": "y"}
    data.update(changes)
    return data


def count_patients(app):
    return in_db(app, lambda: Patient.select().count())


def test_names_with_typos_read_as_alike():
    assert name_similarity("John", "Smith", "Jon", "Smiht") >= 80
    assert name_similarity("John", "Smith", "Smith", "John") == 100
    assert name_similarity("John", "Smith", "Maria", "Ortiz") < 50


def test_registering_the_same_person_warns_and_saves_nothing(admin_client, app):
    existing(app)
    response = admin_client.post("/patients/new", data=registration())
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "may already be registered" in body and "Smith, John" in body and "P0000501" in body
    assert "similar name" in body and "same date of birth" in body
    assert count_patients(app) == 1
    # Same phone (other formatting), other date of birth: still a candidate.
    body = admin_client.post("/patients/new", data=registration(
        first_name="John", last_name="Smith", date_of_birth="1971-01-01", mobile="555.201.3344")).get_data(as_text=True)
    assert "may already be registered" in body and "same phone" in body
    # A different person born the same day is not.
    response = admin_client.post("/patients/new", data=registration(first_name="Maria", last_name="Ortiz"))
    assert response.status_code == 302 and count_patients(app) == 2


def test_create_anyway_registers_with_the_consent_given(admin_client, app):
    existing(app)
    response = admin_client.post("/patients/new", data=registration(create_anyway="1"))
    assert response.status_code == 302
    created = in_db(app, lambda: Patient.get(Patient.last_name == "Smiht"))
    consents = in_db(app, lambda: [(c.channel, c.purpose) for c in Consent.select().where(Consent.patient == created.id)])
    assert consents == [("text", "appointments_recalls")]


def test_references_are_found_in_core_and_plugin_models(app):
    from medoffice_billing import models as billing
    found = {(m._meta.table_name, f.name) for m, f in patient_references([*CORE_MODELS, billing.Claim,
                                                                          billing.PatientAccount])}
    assert ("core_message_consent", "patient") in found
    assert ("billing_claim", "patient_id") in found and ("billing_patient_account", "patient_id") in found
    assert not any(table == AuditEvent._meta.table_name for table, _ in found)  # history stays
    assert not any(table == "core_patient" for table, _ in found)


def test_merge_moves_every_reference_and_deactivates_the_duplicate(admin_client, app):
    from medoffice_billing.models import Coverage, PatientAccount
    survivor = existing(app)
    duplicate = existing(app, account_number="P0000502", first_name="Jon")

    def seed():
        Consent.create(patient=duplicate, channel="email", purpose="billing", decision="granted",
                       source="in_person", given_on=dt.date(2026, 1, 2), recorded_at=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
        Coverage.create(patient_id=duplicate, **_coverage_values())
        PatientAccount.create(patient_id=survivor)
        PatientAccount.create(patient_id=duplicate, guarantor_last_name="Dup")  # survivor has one: kept
    in_db(app, seed)
    admin_client.get(f"/patients/{duplicate}")  # an audit entry naming the duplicate
    page = admin_client.post(f"/patients/{survivor}/merge", data={"duplicate": "p0000502"})
    assert page.status_code == 200 and "Check that these are the same person" in page.get_data(as_text=True), page.headers
    assert in_db(app, lambda: Patient.get_by_id(duplicate).active)  # nothing merged before confirming
    done = admin_client.post(f"/patients/{survivor}/merge", data={"duplicate": "P0000502", "confirmed": "1"})
    assert done.status_code == 302

    def after():
        dup = Patient.get_by_id(duplicate)
        merge = AuditEvent.get(AuditEvent.action == "patient.merge")
        return (dup.active, dup.merged_into_id, Consent.get().patient_id, Coverage.get().patient_id,
                sorted(a.patient_id for a in PatientAccount.select()), merge.patient_id,
                AuditEvent.select().where((AuditEvent.action == "patient.view") & (AuditEvent.patient_id == duplicate)).count())
    active, merged_into, consent_of, coverage_of, accounts, audited, old_entries = in_db(app, after)
    assert (active, merged_into) == (False, survivor)
    assert consent_of == survivor and coverage_of == survivor
    assert accounts == sorted([survivor, duplicate])  # one account per patient: the duplicate's stays with it
    assert audited == survivor and old_entries == 1
    merged = in_db(app, lambda: [json.loads(e.payload) for e in
                                 EventRecord.select().where(EventRecord.name == "core.patient_merged")])
    assert merged == [{"survivor_id": survivor, "duplicate_id": duplicate}]  # for plugins that keep figures
    # Merging into itself or a deactivated record is refused.
    again = admin_client.post(f"/patients/{survivor}/merge", data={"duplicate": "P0000502", "confirmed": "1"})
    assert again.status_code == 422 and "No active patient" in again.get_data(as_text=True)


def test_merge_needs_its_permission(app):
    survivor = existing(app)
    existing(app, account_number="P0000502")
    desk = login(app.test_client(), "front_desk")
    assert desk.post(f"/patients/{survivor}/merge", data={"duplicate": "P0000502", "confirmed": "1"}).status_code == 403
    assert in_db(app, lambda: Patient.select().where(Patient.active == True).count()) == 2  # noqa: E712


def _coverage_values():
    from medoffice_billing.models import Coverage, Payer
    payer = Payer.create(name="Acme Health", payer_id="ACME1")
    return {"payer": payer, "member_id": "M123", "rank": 1, "effective_date": dt.date(2025, 1, 1)}

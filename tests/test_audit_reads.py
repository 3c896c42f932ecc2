"""Reads of patient data are audited without waiting for the disk; changes still wait for it."""
import datetime as dt
import json

from medoffice import audit
from medoffice.db import db, is_sqlite, transaction
from medoffice.models import AuditEvent, Patient


def test_a_read_entry_is_chained_and_leaves_the_connection_flushing_commits(db_session):
    audit.record_read("test.view", "patient", 7, patient_id=7)
    assert AuditEvent.select().where(AuditEvent.action == "test.view").count() == 1
    assert audit.verify().ok
    if is_sqlite():  # FULL is 2: the next change waits for the disk again
        assert db.execute_sql("PRAGMA synchronous").fetchone()[0] == 2


def test_a_read_inside_a_change_is_undone_with_it(db_session):
    try:
        with transaction():
            audit.record_read("test.view", "patient", 7)
            raise RuntimeError("the change failed")
    except RuntimeError:
        pass
    assert AuditEvent.select().where(AuditEvent.action == "test.view").count() == 0


def test_the_patient_list_records_which_patients_it_showed(app, client_as):
    with app.app_context():
        db.connect(reuse_if_open=True)
        with transaction():
            ids = [Patient.create(first_name="Ann", last_name=f"Lister{n}", date_of_birth=dt.date(1970, 1, 1),
                                  account_number=f"LIST{n}").id for n in range(3)]
        db.close()
    desk = client_as("front_desk")
    assert desk.get("/patients?q=Lister1").status_code == 200
    with app.app_context():
        db.connect(reuse_if_open=True)
        entry = AuditEvent.select().where(AuditEvent.action == "patient.list").order_by(AuditEvent.seq.desc()).get()
        assert json.loads(entry.detail)["patients"] == [ids[1]]
        db.close()

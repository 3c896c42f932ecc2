"""medoffice.bulk.insert_rows: rows stored exactly as the model stores them, ids read back, all or nothing;
and the audit trail written through it still verifies."""
from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import peewee as pw
import pytest

from medoffice import audit, bulk
from medoffice.db import BaseModel, UTCDateTimeField, db, transaction, utcnow
from medoffice.models import AuditEvent, Patient

CHICAGO = ZoneInfo("America/Chicago")
AWKWARD = 'quote " comma , brace {x} backslash \\ apostrophe \' NULL é'


class Entry(BaseModel):
    """Every kind of column the hot paths write."""

    patient = pw.ForeignKeyField(Patient, null=True)
    label = pw.CharField(max_length=80)
    note = pw.TextField(default="")
    amount_cents = pw.IntegerField()
    big = pw.BigIntegerField(null=True)
    day = pw.DateField(null=True)
    at = UTCDateTimeField(default=utcnow)
    flag = pw.BooleanField(default=False)

    class Meta:
        table_name = "core_test_bulk_entry"


@pytest.fixture
def session(make_app):
    app = make_app(plugins=[])
    with app.app_context():
        db.connect(reuse_if_open=True)
        db.create_tables([Entry])
        try:
            yield app
        finally:
            db.close()


def _patient() -> Patient:
    return Patient.create(account_number="B0000001", first_name="Ann", last_name="Lee", date_of_birth=dt.date(1980, 2, 3), sex="F")


def test_rows_are_stored_as_the_model_stores_them_and_their_ids_come_back(session):
    patient = _patient()
    local = dt.datetime(2024, 3, 10, 1, 30, 15, 123456, tzinfo=CHICAGO)
    rows = [
        {"patient": patient.id, "label": AWKWARD, "note": "line\nbreak", "amount_cents": -12345,
         "big": 2 ** 40, "day": dt.date(2024, 2, 29), "at": local, "flag": True},
        {"patient": None, "label": "", "note": "", "amount_cents": 0, "big": None, "day": None,
         "at": local + dt.timedelta(days=1), "flag": False},
    ]
    with transaction():
        back = bulk.insert_rows(Entry, rows, returning=(Entry.id, Entry.label, Entry.amount_cents))
    assert sorted((label, amount) for _id, label, amount in back) == [("", 0), (AWKWARD, -12345)]
    stored = {entry.id: entry for entry in Entry.select()}
    assert set(stored) == {row_id for row_id, _l, _a in back}
    first = next(e for e in stored.values() if e.label == AWKWARD)
    assert (first.patient_id, first.note, first.big, first.day, first.flag) == (
        patient.id, "line\nbreak", 2 ** 40, dt.date(2024, 2, 29), True)
    assert first.at == local and first.at.tzinfo == dt.timezone.utc
    second = next(e for e in stored.values() if e.label == "")
    assert (second.patient_id, second.big, second.day, second.flag) == (None, None, None, False)


def test_fields_left_out_get_their_defaults(session):
    before = utcnow()
    with transaction():
        bulk.insert_rows(Entry, [{"label": "a", "amount_cents": 1}, {"label": "b", "amount_cents": 2}])
    entries = list(Entry.select().order_by(Entry.label))
    assert [(e.label, e.note, e.flag, e.patient_id) for e in entries] == [("a", "", False, None), ("b", "", False, None)]
    assert all(before <= e.at <= utcnow() for e in entries)


def test_nothing_asked_back_returns_nothing_and_no_rows_is_a_no_op(session):
    assert bulk.insert_rows(Entry, [{"label": "a", "amount_cents": 1}]) == []
    assert bulk.insert_rows(Entry, [], returning=(Entry.id,)) == []
    assert Entry.select().count() == 1


@pytest.mark.parametrize("sqlite_limit, postgres_rows", [(20, 3), (bulk.SQLITE_MAX_PARAMETERS, bulk.POSTGRES_ROWS)])
def test_rows_split_over_several_statements_all_go_in_once(session, monkeypatch, sqlite_limit, postgres_rows):
    monkeypatch.setattr(bulk, "SQLITE_MAX_PARAMETERS", sqlite_limit)
    monkeypatch.setattr(bulk, "POSTGRES_ROWS", postgres_rows)
    count = 12_001 if sqlite_limit == bulk.SQLITE_MAX_PARAMETERS else 11
    with transaction():
        back = bulk.insert_rows(Entry, [{"label": f"row {n}", "amount_cents": n} for n in range(count)],
                                returning=(Entry.id, Entry.amount_cents))
    assert len({row_id for row_id, _amount in back}) == count
    assert sorted(amount for _id, amount in back) == list(range(count))
    assert Entry.select(pw.fn.SUM(Entry.amount_cents)).scalar() == count * (count - 1) // 2


def test_rows_with_other_fields_are_refused_and_nothing_is_written(session):
    with pytest.raises(ValueError, match=r"Row 2 of 2 .* other fields"):
        with transaction():
            bulk.insert_rows(Entry, [{"label": "a", "amount_cents": 1}, {"label": "b"}])
    with pytest.raises(ValueError, match="has no field 'colour'"):
        bulk.insert_rows(Entry, [{"label": "a", "amount_cents": 1, "colour": "red"}])
    assert Entry.select().count() == 0


def test_a_failing_transaction_takes_its_bulk_rows_with_it(session):
    with pytest.raises(pw.IntegrityError):
        with transaction():
            bulk.insert_rows(Entry, [{"label": "kept?", "amount_cents": 1}])
            bulk.insert_rows(Entry, [{"label": None, "amount_cents": 2}])  # label is NOT NULL
    assert Entry.select().count() == 0


def test_many_audit_entries_at_once_chain_and_verify_like_single_ones(session):
    audit.record("test.first", "thing", 1)
    written = audit.record_many([{"action": "test.bulk", "object_type": "thing", "object_id": n,
                                  "patient_id": str(n) if n % 3 else None, "detail": {"n": n, "text": AWKWARD}}
                                 for n in range(1200)])
    audit.record("test.last", "thing", 2)
    assert written == 1200
    result = audit.verify(batch=500)
    assert result.ok and result.checked == AuditEvent.select().count()
    bulk_rows = list(AuditEvent.select().where(AuditEvent.action == "test.bulk").order_by(AuditEvent.seq))
    assert [json.loads(e.detail)["n"] for e in bulk_rows] == list(range(1200))
    assert bulk_rows[1].patient_id == 1 and bulk_rows[3].patient_id is None
    assert bulk_rows[-1].seq + 1 == AuditEvent.get(AuditEvent.action == "test.last").seq

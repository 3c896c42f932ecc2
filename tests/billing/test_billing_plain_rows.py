"""Core's plain rows (``medoffice.plain.PlainSelect``), which billing's lists read instead of a namespace per row built through peewee's
converters: the same names and values as ``.objects()`` gives, on both databases."""
from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from accounts_setup import days_ago, insured_visit
from billing_setup import database, practice
from medoffice import plain
from medoffice.plain import PlainSelect
from peewee import fn

from medoffice_billing.models import Claim

COLUMNS = (Claim.id.alias("claim_id"), Claim.claim_number, Claim.payer.alias("payer_id"), Claim.service_date,
           Claim.on_hold, Claim.total_charge_cents, Claim.status_changed_at, Claim.submitted_at,
           fn.COALESCE(Claim.total_charge_cents, 0).alias("charged"))


def test_plain_rows_hold_what_objects_gives_and_take_more_attributes(app):
    with database(app):
        records = practice()
        claim = insured_visit(records, days_ago(9), codes=("99213", "36415"))
        sent = dt.datetime(2026, 3, 2, 15, 4, 5, tzinfo=dt.timezone.utc)  # whole seconds: stored without a fraction
        Claim.update(on_hold=True, submitted_at=sent).where(Claim.id == claim.id).execute()
        expected = Claim.select(*COLUMNS).objects(SimpleNamespace).get()
        [row] = list(PlainSelect(Claim, COLUMNS).where(Claim.id == claim.id))
    assert row._asdict() == vars(expected)
    assert {k: type(v) for k, v in row._asdict().items()} == {k: type(v) for k, v in vars(expected).items()}
    assert row.on_hold is True and row.status_changed_at.tzinfo is not None and row.charged == 13500
    assert row.submitted_at == sent
    row.patient = records["patient"]
    assert row.patient.id == claim.patient_id


def test_a_select_list_read_again_reuses_its_plan_and_another_gets_its_own(app):
    with database(app):
        records = practice()
        claim = insured_visit(records, days_ago(9), codes=("99213",))
        first = list(PlainSelect(Claim, COLUMNS).where(Claim.id == claim.id))
        kept = len(plain._plans)
        again = list(PlainSelect(Claim, COLUMNS).where(Claim.id == claim.id))
        assert len(plain._plans) == kept
        reordered = list(PlainSelect(Claim, COLUMNS[::-1]).where(Claim.id == claim.id))
    assert again == first and again[0]._fields == first[0]._fields
    assert reordered[0]._fields == first[0]._fields[::-1] and reordered[0]._asdict() == first[0]._asdict()
    assert isinstance(reordered[0].service_date, dt.date) and reordered[0].status_changed_at.tzinfo is not None

"""Good Faith Estimates: deadlines by the No Surprises Act's business-day rules, items priced from the fee
schedule for patients paying themselves, delivery recorded, the PDF, and the $400 dispute flag holding statements
and collections until the manager closes it."""
from __future__ import annotations

import datetime as dt

import pytest
from billing_setup import database, encounter_with_charges, practice
from medoffice import settings
from medoffice.models import Patient

from medoffice_billing import collections, encounters, estimates, statements
from medoffice_billing.collections import CollectionsError
from medoffice_billing.estimates import EstimateError, create_estimate, deadline
from medoffice_billing.models import Coverage, Fee, GoodFaithEstimate


def test_deadlines_follow_the_business_day_rules_and_skip_federal_holidays():
    monday = dt.date(2026, 11, 23)  # Thanksgiving is Thursday 2026-11-26
    assert deadline(monday, dt.date(2026, 11, 27), False) == dt.date(2026, 11, 24)  # 3 business days ahead
    assert deadline(monday, dt.date(2026, 11, 26), False) is None  # 2 business days ahead: none required
    assert deadline(monday, dt.date(2026, 12, 8), False) == dt.date(2026, 11, 27)  # 10 ahead: 3 business days
    assert deadline(dt.date(2026, 11, 25), dt.date(2026, 12, 1), False) == dt.date(2026, 11, 27)  # over the holiday
    assert deadline(dt.date(2026, 12, 4), None, True) == dt.date(2026, 12, 9)  # on request: Friday + 3
    assert estimates.business_days_between(monday, dt.date(2026, 11, 30)) == 4


def self_pay(records) -> Patient:
    """The practice's patient without insurance."""
    Coverage.delete().where(Coverage.id == records["coverage"].id).execute()
    return records["patient"]


def estimate_for(records, service_date: dt.date, codes=(("99213", 1), ("36415", 2))) -> GoodFaithEstimate:
    return create_estimate(records["patient"].id, {"provider_id": records["provider"].id,
                                                   "location_id": records["location"].id, "service_date": service_date,
                                                   "scheduled_on": service_date - dt.timedelta(days=20),
                                                   "diagnosis_codes": "E11.9, I10"}, list(codes))


def test_an_estimate_is_priced_from_the_fee_schedule_for_a_patient_paying_themselves(app):
    with database(app):
        records = practice()
        day = settings.today() + dt.timedelta(days=20)
        with pytest.raises(EstimateError) as insured:
            estimate_for(records, day)
        assert insured.value.field == "self_pay"
        self_pay(records)
        estimate = estimate_for(records, day)
        assert estimate.total_cents == 12000 + 2 * 1500 and estimate.diagnosis_codes == "E119,I10"
        assert estimate.status == "draft" and estimate.due_by is not None
        assert [(i.code, i.units, i.unit_cents) for i in estimates.items_of(estimate)] == [("99213", 1, 12000),
                                                                                         ("36415", 2, 1500)]
        with pytest.raises(EstimateError) as unknown:
            estimate_for(records, day, codes=(("99999", 1),))
        assert "99999 is not on the fee schedule" in str(unknown.value)
        with pytest.raises(EstimateError) as bad_code:
            create_estimate(records["patient"].id, {"diagnosis_codes": "diabetes"}, [("99213", 1)])
        assert bad_code.value.field == "diagnosis_codes"
        assert GoodFaithEstimate.select().count() == 1


def test_delivery_is_recorded_once_and_the_pdf_carries_the_estimate(app):
    with database(app):
        records = practice()
        self_pay(records)
        estimate = estimates.deliver(estimate_for(records, settings.today() + dt.timedelta(days=20)), "paper")
        assert estimate.status == "delivered" and estimate.delivered_how == "paper" and estimate.delivered_at
        with pytest.raises(EstimateError):
            estimates.deliver(estimate, "email")
        assert estimates.estimate_pdf(estimate).startswith(b"%PDF")


def _bill(records, day: dt.date, extra_cents: int) -> None:
    """Post an encounter on ``day`` by the estimate's provider, its charges ``extra_cents`` over 150.00."""
    Fee.create(code="99215", charge_cents=15000 + extra_cents, description="Visit, high")
    encounter = encounter_with_charges(records, day, ("99215",))
    encounters.post_charges(encounter)


@pytest.mark.parametrize("extra, flagged", [(39999, False), (40000, True)])
def test_billing_400_dollars_over_the_estimate_flags_the_dispute_process(app, extra, flagged):
    with database(app):
        records = practice()
        patient = self_pay(records)
        day = settings.today() - dt.timedelta(days=2)
        estimate = estimates.deliver(estimate_for(records, day, codes=(("99213", 1), ("36415", 2))), "paper")
        _bill(records, day, 15000 - estimate.total_cents + extra)  # billed = estimate + extra
        assert estimates.flag_disputes() == int(flagged)
        row = GoodFaithEstimate.get_by_id(estimate.id)
        assert (row.dispute_flagged_on is not None) == flagged
        if not flagged:
            return
        assert row.billed_cents == estimate.total_cents + extra
        assert estimates.disputed(patient.id)
        assert statements.HOLD_REASONS["dispute"] in statements.hold_reasons(patient.id, settings.today())
        with pytest.raises(CollectionsError) as refused:
            collections.place(patient.id, "Acme Collections")
        assert "Good Faith Estimate" in str(refused.value)
        assert estimates.flag_disputes() == 0  # flagged once
        estimates.close_dispute(row, "Billed the estimate instead")
        assert not estimates.disputed(patient.id)
        assert statements.HOLD_REASONS["dispute"] not in statements.hold_reasons(patient.id, settings.today())


def test_today_lists_estimates_due_and_disputes(app):
    with database(app):
        records = practice()
        self_pay(records)
        today = settings.today()
        create_estimate(records["patient"].id, {"service_date": today + dt.timedelta(days=7),
                                                "scheduled_on": today}, [("99213", 1)])
        with app.test_request_context():
            titles = {item.title: item.count for item in estimates.work_items(today)}
        assert titles == {"Good Faith Estimate to deliver": 1}


def test_on_a_friday_today_lists_the_estimates_due_on_monday(app):
    friday, monday = dt.date(2026, 12, 4), dt.date(2026, 12, 7)
    with database(app):
        records = practice()
        self_pay(records)
        made = create_estimate(records["patient"].id, {"service_date": friday + dt.timedelta(days=7),
                                                       "scheduled_on": friday}, [("99213", 1)])
        assert made.due_by == monday
        with app.test_request_context():
            assert [item.count for item in estimates.work_items(friday)] == [1]
            assert estimates.work_items(friday - dt.timedelta(days=1)) == []  # Thursday: not due by Friday


def test_the_estimate_pages(app, client_as):
    with database(app):
        records = practice()
        self_pay(records)
        pid, provider = records["patient"].id, records["provider"].id
        service = settings.today() + dt.timedelta(days=30)
    desk = client_as("front_desk")
    assert desk.get(f"/billing/patients/{pid}/estimates/new").status_code == 200
    bad = desk.post(f"/billing/patients/{pid}/estimates/new", data={
        "scheduled_on": settings.today().isoformat(), "items": "99213\nnot a code line", "provider_id": provider,
        "location_id": 0})
    assert bad.status_code == 422 and "Line 2" in bad.get_data(as_text=True)
    made = desk.post(f"/billing/patients/{pid}/estimates/new", data={
        "scheduled_on": settings.today().isoformat(), "service_date": service.isoformat(),
        "items": "99213\n36415 x 2", "provider_id": provider, "location_id": 0, "diagnosis_codes": "E11.9"})
    assert made.status_code == 302
    with database(app):
        estimate = GoodFaithEstimate.get()
        assert estimate.total_cents == 15000
    page = desk.get(f"/billing/estimates/{estimate.id}").get_data(as_text=True)
    assert estimate.number in page and "$150.00" in page
    pdf = desk.get(f"/billing/estimates/{estimate.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert desk.post(f"/billing/estimates/{estimate.id}/deliver", data={"how": "email"}).status_code == 302
    assert estimate.number in desk.get("/billing/estimates").get_data(as_text=True)

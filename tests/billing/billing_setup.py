"""Shared set-up for the billing tests: a practice with a provider, a patient, a payer and a policy.

Imported by the billing test modules (pytest puts this folder on ``sys.path``).
"""
from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from medoffice import settings
from medoffice.db import db
from medoffice.models import Location, Patient, StaffMember

from medoffice_billing.models import Coverage, Fee, Payer

PRACTICE = {"core.practice_name": "Test Clinic", "core.practice_npi": "1234567893", "core.tax_id": "12-3456789",
            "core.address1": "1 Test Way", "core.city": "Springfield", "core.state": "IL",
            "core.zip": "62701-1234"}
GOOD_NPI = "1245319599"  # valid check digit
BAD_NPI = "1245319598"  # last digit changed


@contextmanager
def database(app):
    """An app context with the database connected (as a request would have)."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            yield
        finally:
            if not db.is_closed():
                db.close()


def practice(*, npi: str = GOOD_NPI, payer_days: int = 365, electronic: bool = True, account: str = "P0000001") -> dict:
    """Create a ready-to-bill practice; returns its records by name (call inside ``database``)."""
    settings.set_many(PRACTICE)
    location = Location.create(name=f"Main {account}", npi="", place_of_service="11")
    provider = StaffMember.create(first_name="Ada", last_name="Quill", credentials="MD", is_provider=True,
                                  npi=npi, taxonomy="207Q00000X")
    patient = Patient.create(account_number=account, first_name="Rosa", last_name="Diaz",
                             date_of_birth=dt.date(1970, 5, 6), sex="F", address1="5 Elm Street",
                             city="Springfield", state="IL", zip="62701")
    payer = Payer.create(name=f"Acme Health {account}", payer_id="ACME1", filing_indicator="CI",
                         timely_filing_days=payer_days, electronic=electronic)
    coverage = Coverage.create(patient_id=patient.id, payer=payer, rank=1, member_id="M123456",
                               effective_date=dt.date(2000, 1, 1))
    if not Fee.select().where(Fee.code == "99213").exists():
        Fee.create(code="99213", charge_cents=12000, description="Visit, moderate")
        Fee.create(code="36415", charge_cents=1500, description="Blood draw")
    return {"location": location, "provider": provider, "patient": patient, "payer": payer, "coverage": coverage}


def encounter_with_charges(records: dict, day: dt.date | None = None, codes=("99213",)):
    """An encounter for the practice's patient with one diagnosis and a line per code (fee schedule charge)."""
    from medoffice_billing import encounters

    day = day or settings.today() - dt.timedelta(days=3)
    encounter = encounters.create_encounter(records["patient"].id, {
        "service_date": day, "place_of_service": "11", "location_id": records["location"].id,
        "rendering_provider_id": records["provider"].id})
    encounters.add_diagnosis(encounter, "E11.9")
    for code in codes:
        encounters.add_line(encounter, {"code": code, "modifiers": [], "units": 1, "charge_cents": None,
                                        "pointers": [1]})
    return encounter

"""Helpers for marketing's tests: patients, and billing's events as marketing receives them."""
from __future__ import annotations

import datetime as dt
import itertools

from medoffice.events import Event
from medoffice.models import Patient

_accounts = itertools.count(5000)
_positions = itertools.count(1)


def new_patient(**values) -> Patient:
    number = next(_accounts)
    defaults = {"account_number": f"M{number}", "first_name": "Ana", "last_name": f"Rivera{number}",
                "date_of_birth": dt.date(1980, 5, 17), "email": f"ana{number}@patient.example",
                "mobile": "5551234567", "address1": "12 Main St", "city": "Springfield", "state": "IL", "zip": "62701",
                "preferred_contact": "email"}
    return Patient.create(**{**defaults, **values})


def billing_event(name: str, patient_id: int, amount_cents: int, day: dt.date, **extra) -> Event:
    """An event as billing publishes it (the fields marketing reads)."""
    data = {"patient_id": patient_id, "amount_cents": amount_cents, "effective_date": day, "payer_id": None,
            "encounter_id": next(_positions), **extra}
    return Event(position=next(_positions), name=name, version=1, data=data)

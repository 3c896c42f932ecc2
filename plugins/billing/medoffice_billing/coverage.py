"""Patients' insurance: policies ranked primary / secondary / tertiary, and the guarantor."""
from __future__ import annotations

import datetime as dt

from medoffice import audit
from medoffice.db import transaction, utcnow

from .models import Coverage, PatientAccount, Payer
from .x12.claim837 import MEDICARE_FILING_INDICATORS, MEDICARE_SECONDARY_TYPES

RANKS = {1: "Primary", 2: "Secondary", 3: "Tertiary"}
RANK_RESPONSIBILITY = {1: "P", 2: "S", 3: "T"}  # SBR01

# The patient's relationship to the subscriber or guarantor (X12 individual relationship codes).
RELATIONSHIPS = {
    "18": "Self", "01": "Spouse", "19": "Child", "20": "Employee", "53": "Life partner",
    "G8": "Other relationship", "21": "Unknown",
}

COVERAGE_FIELDS = (
    "payer", "rank", "member_id", "group_number", "plan_name", "relationship",
    "subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth", "subscriber_sex",
    "subscriber_address1", "subscriber_address2", "subscriber_city", "subscriber_state",
    "subscriber_zip", "effective_date", "end_date", "copay_cents", "msp_type",
)
GUARANTOR_FIELDS = (
    "guarantor_relationship", "guarantor_first_name", "guarantor_last_name", "guarantor_address1",
    "guarantor_address2", "guarantor_city", "guarantor_state", "guarantor_zip", "guarantor_phone",
    "guarantor_email",
)


class CoverageError(ValueError):
    """A coverage change was refused; ``field`` names the form field to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def policies(patient_id: int) -> list[Coverage]:
    """Every policy of a patient, current ones first, by rank (payers joined in the same query)."""
    query = (Coverage.select(Coverage, Payer).join(Payer)
             .where(Coverage.patient_id == patient_id)
             .order_by(Coverage.end_date.is_null(False), Coverage.rank, Coverage.effective_date.desc()))
    return list(query)


def in_force(patient_id: int, day: dt.date) -> list[Coverage]:
    """The policies covering ``day``, in rank order."""
    query = (Coverage.select(Coverage, Payer).join(Payer)
             .where((Coverage.patient_id == patient_id) & (Coverage.effective_date <= day)
                    & (Coverage.end_date.is_null() | (Coverage.end_date >= day)))
             .order_by(Coverage.rank))
    return list(query)


def responsible(patient_id: int, day: dt.date, rank: int = 1) -> Coverage | None:
    """The policy of ``rank`` in force on ``day``, or None."""
    return next((c for c in in_force(patient_id, day) if c.rank == rank), None)


def _check_msp_type(values: dict) -> None:
    """The Medicare Secondary Payer type: from the code list, and only on a Medicare policy that is not primary."""
    msp_type = values.get("msp_type") or ""
    if not msp_type:
        return
    if msp_type not in MEDICARE_SECONDARY_TYPES:
        raise CoverageError("msp_type", f"{msp_type!r} is not a Medicare Secondary Payer type: choose one from the list.")
    payer = values["payer"] if isinstance(values["payer"], Payer) else Payer.get_by_id(values["payer"])
    if payer.filing_indicator not in MEDICARE_FILING_INDICATORS:
        raise CoverageError("msp_type", f"{payer.name} is not filed as Medicare (claim filing indicator MA or MB): "
                            "leave the Medicare Secondary Payer type empty.")
    if values["rank"] == 1:
        raise CoverageError("msp_type", "Medicare is the primary payer on this policy: leave the Medicare Secondary "
                            "Payer type empty, or choose secondary or tertiary as the order.")


def _check(patient_id: int, values: dict, coverage: Coverage | None) -> None:
    if values["rank"] not in RANKS:
        raise CoverageError("rank", "Choose primary, secondary or tertiary.")
    _check_msp_type(values)
    if values["end_date"] is not None and values["end_date"] < values["effective_date"]:
        raise CoverageError("end_date", "The end date must be on or after the effective date.")
    if values["relationship"] != "18":
        for name, label in (("subscriber_first_name", "first name"), ("subscriber_last_name", "last name"),
                            ("subscriber_date_of_birth", "date of birth")):
            if not values.get(name):
                raise CoverageError(name, f"The patient is not the subscriber: enter the subscriber's {label}.")
    others = Coverage.select().where((Coverage.patient_id == patient_id) & (Coverage.rank == values["rank"]))
    if coverage is not None:
        others = others.where(Coverage.id != coverage.id)
    start, end = values["effective_date"], values["end_date"] or dt.date.max
    for other in others:
        if other.effective_date <= end and start <= (other.end_date or dt.date.max):
            raise CoverageError(
                "rank", f"The patient already has {RANKS[values['rank']].lower()} coverage with "
                f"{other.payer.name} from {other.effective_date.isoformat()}"
                + (f" to {other.end_date.isoformat()}" if other.end_date else "")
                + ". End that policy first, or choose another rank.")


def save_coverage(patient_id: int, values: dict, coverage: Coverage | None = None) -> Coverage:
    """Create or update a policy from cleaned values; audited with the patient id.

    :raises CoverageError: overlapping policy of the same rank, bad dates, missing subscriber.
    """
    values = {k: values[k] for k in COVERAGE_FIELDS if k in values}
    if values.get("relationship", "18") == "18":
        for name in COVERAGE_FIELDS:
            if name.startswith("subscriber_"):
                values[name] = None if name == "subscriber_date_of_birth" else ("U" if name == "subscriber_sex" else "")
    _check(patient_id, values, coverage)
    with transaction():
        if coverage is None:
            coverage = Coverage.create(patient_id=patient_id, **values)
            audit.record("billing.coverage.create", "billing_coverage", coverage.id, patient_id=patient_id,
                         detail={"payer_id": coverage.payer_id, "rank": coverage.rank})
            return coverage
        changed = sorted(k for k, v in values.items()
                         if (getattr(coverage, k + "_id") if k == "payer" else getattr(coverage, k))
                         != (v.id if isinstance(v, Payer) else v))
        Coverage.update(updated_at=utcnow(), **values).where(Coverage.id == coverage.id).execute()
        audit.record("billing.coverage.update", "billing_coverage", coverage.id, patient_id=patient_id,
                     detail={"fields": changed})
    return Coverage.get_by_id(coverage.id)


def account(patient_id: int) -> PatientAccount | None:
    """The patient's billing account (guarantor), or None when none was entered."""
    return PatientAccount.get_or_none(PatientAccount.patient_id == patient_id)


def save_guarantor(patient_id: int, values: dict) -> PatientAccount:
    """Store who guarantees the patient's balance (relationship 18 means the patient); audited."""
    values = {k: values[k] for k in GUARANTOR_FIELDS if k in values}
    if values.get("guarantor_relationship") == "18":
        values.update({k: "" for k in GUARANTOR_FIELDS if k != "guarantor_relationship"})
    elif not (values.get("guarantor_first_name") and values.get("guarantor_last_name")):
        raise CoverageError("guarantor_last_name", "Enter the guarantor's first and last name.")
    with transaction():
        PatientAccount.insert(patient_id=patient_id, updated_at=utcnow(), **values).on_conflict(
            conflict_target=[PatientAccount.patient_id],
            update={**{getattr(PatientAccount, k): v for k, v in values.items()},
                    PatientAccount.updated_at: utcnow()},
        ).execute()
        saved = PatientAccount.get(PatientAccount.patient_id == patient_id)
        audit.record("billing.guarantor.update", "billing_patient_account", saved.id, patient_id=patient_id,
                     detail={"relationship": saved.guarantor_relationship})
    return saved

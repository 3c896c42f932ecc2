"""Good Faith Estimates (No Surprises Act) for uninsured and self-pay patients.

An estimate lists the items and services expected (priced from the fee schedule), the provider and
location, the diagnosis codes known, and the notices the rule requires; it is delivered as a PDF and
the delivery recorded. Its deadline follows the rule: scheduled 3 to 9 business days ahead, within 1
business day of scheduling; 10 or more business days ahead, within 3 business days; on request,
within 3 business days of the request (business days skip weekends and US federal holidays).

When the charges billed for the estimate's provider on its date of service exceed the estimate by
$400 or more, the estimate is flagged: the patient may use the patient-provider dispute process,
statements and collections hold on the account, and the manager sees it on Today until closing it.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
from flask import current_app, url_for
from medoffice import WorkItem, audit, prepared, settings
from medoffice.data_versions import kept
from medoffice.prepared import slot
from medoffice.db import transaction, utcnow
from medoffice.models import Location, Patient, StaffMember
from medoffice.money import format_cents
from peewee import JOIN, Case, fn

from . import numbering
from .actor import acting_user
from .coverage import in_force
from .models import QUEUES, Encounter, Fee, GoodFaithEstimate, GoodFaithEstimateItem, ServiceLine
from .statements import STYLESHEET, practice_details, to_pdf
from .validators import icd10_is_valid_format, normalize_icd10

DISPUTE_THRESHOLD_CENTS = 40000
COUNTER = "billing.gfe_number"
MAX_ITEMS = 30
DELIVERY = {"paper": "On paper, in person", "email": "By e-mail", "mail": "By mail", "portal": "Through the portal"}
OPEN_DISPUTE = GoodFaithEstimate.dispute_flagged_on.is_null(False) & GoodFaithEstimate.dispute_closed_on.is_null()


class EstimateError(ValueError):
    """An estimate action was refused; ``field`` names the input to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


# --- Deadlines ---------------------------------------------------------------------------------

@lru_cache(maxsize=8)
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.US(years=year)


def is_business_day(day: dt.date) -> bool:
    """Monday to Friday, and not a US federal holiday."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_business_days(day: dt.date, count: int) -> dt.date:
    """The ``count``-th business day after ``day``."""
    while count > 0:
        day += dt.timedelta(days=1)
        count -= is_business_day(day)
    return day


def business_days_between(start: dt.date, end: dt.date) -> int:
    """Business days after ``start`` up to and including ``end`` (0 when ``end`` is not later)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_business_day(day)
    return count


def deadline(scheduled_on: dt.date, service_date: dt.date | None, requested: bool) -> dt.date | None:
    """When the estimate must reach the patient; None when none is required (service under 3 business days away)."""
    if requested or service_date is None:
        return add_business_days(scheduled_on, 3)
    ahead = business_days_between(scheduled_on, service_date)
    if ahead >= 10:
        return add_business_days(scheduled_on, 3)
    if ahead >= 3:
        return add_business_days(scheduled_on, 1)
    return None


# --- Writing an estimate ----------------------------------------------------------------------------

def _diagnoses(text: str) -> str:
    codes = [c.strip() for c in (text or "").replace(";", ",").split(",") if c.strip()]
    bad = [c for c in codes if not icd10_is_valid_format(c)]
    if bad:
        raise EstimateError("diagnosis_codes", f"{', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not ICD-10-CM "
                                               "codes (such as E11.9); separate codes with commas.")
    if len(codes) > 12:
        raise EstimateError("diagnosis_codes", "List at most 12 diagnosis codes.")
    return ",".join(normalize_icd10(c) for c in codes)


def _items(wanted: list[tuple[str, int]]) -> list[dict]:
    if not wanted:
        raise EstimateError("items", "Add at least one item or service from the fee schedule.")
    if len(wanted) > MAX_ITEMS:
        raise EstimateError("items", f"An estimate lists at most {MAX_ITEMS} items.")
    codes = {code.strip().upper() for code, _units in wanted}
    fees = {f.code: f for f in Fee.select().where(Fee.code.in_(codes) & (Fee.modifier == "") & (Fee.active == True))}  # noqa: E712
    items = []
    for position, (code, units) in enumerate(wanted, start=1):
        code = code.strip().upper()
        fee = fees.get(code)
        if fee is None:
            raise EstimateError("items", f"{code or 'A blank code'} is not on the fee schedule: add its fee first.")
        if not isinstance(units, int) or not 1 <= units <= 99:
            raise EstimateError("items", f"The units of {code} must be a whole number from 1 to 99.")
        items.append({"position": position, "code": code, "description": fee.description, "units": units,
                      "unit_cents": fee.charge_cents})
    return items


def create_estimate(patient_id: int, values: dict, wanted: list[tuple[str, int]]) -> GoodFaithEstimate:
    """Write a draft estimate for the patient: items priced from the fee schedule, deadline computed; audited.

    ``values``: provider_id, location_id, service_date, scheduled_on (default today), requested,
    diagnosis_codes, notes and self_pay (required when a policy covers the date: the patient chooses not
    to bill it).
    :raises EstimateError: a value is unusable (nothing is saved).
    """
    if Patient.get_or_none(Patient.id == patient_id) is None:
        raise EstimateError("patient", "There is no such patient.")
    today = settings.today()
    scheduled_on = values.get("scheduled_on") or today
    service_date = values.get("service_date")
    if service_date is not None and service_date < scheduled_on:
        raise EstimateError("service_date", "The service cannot come before it was scheduled.")
    if in_force(patient_id, service_date or today) and not values.get("self_pay"):
        raise EstimateError("self_pay", "The patient has insurance in force: an estimate is for patients who pay "
                                        "themselves. Tick the box if the patient chooses not to bill the insurance.")
    provider_id, location_id = values.get("provider_id"), values.get("location_id")
    if provider_id and StaffMember.get_or_none(StaffMember.id == provider_id) is None:
        raise EstimateError("provider_id", "Choose a provider from the list.")
    if location_id and Location.get_or_none(Location.id == location_id) is None:
        raise EstimateError("location_id", "Choose a location from the list.")
    diagnoses = _diagnoses(values.get("diagnosis_codes", ""))
    items = _items(wanted)
    requested = bool(values.get("requested"))
    _, username = acting_user()
    with transaction():
        number = f"GFE{numbering.allocate(COUNTER):07d}"
        estimate = GoodFaithEstimate.create(
            number=number, patient_id=patient_id, provider_id=provider_id or None, location_id=location_id or None,
            service_date=service_date, scheduled_on=scheduled_on, requested=requested,
            due_by=deadline(scheduled_on, service_date, requested), diagnosis_codes=diagnoses,
            notes=(values.get("notes") or "").strip()[:2000],
            total_cents=sum(i["units"] * i["unit_cents"] for i in items), created_by=username)
        GoodFaithEstimateItem.insert_many([{**i, "estimate": estimate.id} for i in items]).execute()
        audit.record("billing.estimate.create", "billing_gfe", estimate.id, patient_id=patient_id,
                     detail={"number": number, "total_cents": estimate.total_cents, "due_by": estimate.due_by})
    return GoodFaithEstimate.get_by_id(estimate.id)


def deliver(estimate: GoodFaithEstimate, how: str) -> GoodFaithEstimate:
    """Record that the estimate reached the patient (``how``: a key of ``DELIVERY``); audited."""
    if how not in DELIVERY:
        raise EstimateError("how", "Choose how the estimate reached the patient.")
    _, username = acting_user()
    with transaction():
        if not GoodFaithEstimate.update(status="delivered", delivered_at=utcnow(), delivered_how=how,
                                        delivered_by=username).where(
                (GoodFaithEstimate.id == estimate.id) & (GoodFaithEstimate.status == "draft")).execute():
            raise EstimateError("how", "The estimate was already delivered.")
        audit.record("billing.estimate.deliver", "billing_gfe", estimate.id, patient_id=estimate.patient_id,
                     detail={"number": estimate.number, "how": how})
    return GoodFaithEstimate.get_by_id(estimate.id)


def items_of(estimate: GoodFaithEstimate) -> list[GoodFaithEstimateItem]:
    """The estimate's items in order."""
    return list(estimate.items.order_by(GoodFaithEstimateItem.position))


def for_patient(patient_id: int) -> list[GoodFaithEstimate]:
    """The patient's estimates, newest first."""
    return list(GoodFaithEstimate.select().where(GoodFaithEstimate.patient_id == patient_id)
                .order_by(GoodFaithEstimate.id.desc()))


# --- The document -------------------------------------------------------------------------------------

def document(estimate: GoodFaithEstimate) -> dict:
    """What the PDF shows, from the estimate and the practice's settings."""
    patient = Patient.get_by_id(estimate.patient_id)
    provider = StaffMember.get_or_none(StaffMember.id == estimate.provider_id) if estimate.provider_id else None
    location = Location.get_or_none(Location.id == estimate.location_id) if estimate.location_id else None
    return {"estimate": estimate, "patient": patient, "provider": provider, "location": location,
            "items": items_of(estimate), "practice": practice_details(),
            "npi": settings.get("core.practice_npi", "") or "", "tax_id": settings.get("core.tax_id", "") or "",
            "diagnoses": [c for c in estimate.diagnosis_codes.split(",") if c],
            "threshold": format_cents(DISPUTE_THRESHOLD_CENTS)}


def estimate_pdf(estimate: GoodFaithEstimate) -> bytes:
    """The estimate as a PDF (rendered outside the page shell, like statements)."""
    html = current_app.jinja_env.get_template("billing/estimate_pdf.html").render(**document(estimate))
    return to_pdf(html, STYLESHEET)


# --- Disputes ---------------------------------------------------------------------------------------------

def billed_by_estimate(today: dt.date):
    """Delivered, unflagged estimates whose date of service has come, with the charges billed for their
    provider and patient on that date (one aggregate query)."""
    billed = fn.COALESCE(fn.SUM(ServiceLine.charge_cents), 0)
    return (GoodFaithEstimate.select(GoodFaithEstimate.id, GoodFaithEstimate.patient_id, GoodFaithEstimate.number,
                                     GoodFaithEstimate.total_cents, billed.alias("billed"))
            .join(Encounter, JOIN.LEFT_OUTER, on=((Encounter.patient_id == GoodFaithEstimate.patient_id)
                                                  & (Encounter.service_date == GoodFaithEstimate.service_date)
                                                  & (Encounter.rendering_provider_id == GoodFaithEstimate.provider_id)
                                                  & (Encounter.status == "posted")))
            .join(ServiceLine, JOIN.LEFT_OUTER, on=((ServiceLine.encounter == Encounter.id)
                                                    & (ServiceLine.active == True)))  # noqa: E712
            .where((GoodFaithEstimate.status == "delivered") & GoodFaithEstimate.dispute_flagged_on.is_null()
                   & (GoodFaithEstimate.service_date <= today))
            .group_by(GoodFaithEstimate.id, GoodFaithEstimate.patient_id, GoodFaithEstimate.number,
                      GoodFaithEstimate.total_cents))


def flag_disputes(today: dt.date | None = None) -> int:
    """Flag the estimates whose provider billed $400 or more above them; audited; returns how many."""
    today = today or settings.today()
    found = [r for r in billed_by_estimate(today).dicts()
             if int(r["billed"]) - r["total_cents"] >= DISPUTE_THRESHOLD_CENTS]
    if not found:
        return 0
    with transaction():
        for row in found:
            GoodFaithEstimate.update(dispute_flagged_on=today, billed_cents=int(row["billed"])).where(
                GoodFaithEstimate.id == row["id"]).execute()
        audit.record_many([{"action": "billing.estimate.dispute_eligible", "object_type": "billing_gfe",
                            "object_id": r["id"], "patient_id": r["patient_id"],
                            "detail": {"number": r["number"], "estimate_cents": r["total_cents"],
                                       "billed_cents": int(r["billed"])}} for r in found])
    return len(found)


def close_dispute(estimate: GoodFaithEstimate, note: str) -> GoodFaithEstimate:
    """End the hold the dispute flag puts on the account (settled, or the time to dispute passed); audited."""
    note = (note or "").strip()
    if not note:
        raise EstimateError("note", "Say how the dispute was settled.")
    with transaction():
        if not GoodFaithEstimate.update(dispute_closed_on=settings.today(), dispute_note=note[:200]).where(
                (GoodFaithEstimate.id == estimate.id) & OPEN_DISPUTE).execute():
            raise EstimateError("note", "The estimate has no open dispute flag.")
        audit.record("billing.estimate.dispute_closed", "billing_gfe", estimate.id, patient_id=estimate.patient_id,
                     detail={"number": estimate.number, "note": note[:200]})
    return GoodFaithEstimate.get_by_id(estimate.id)


def disputed(patient_id: int) -> bool:
    """The patient has an estimate flagged for the dispute process that is not closed."""
    return GoodFaithEstimate.select().where((GoodFaithEstimate.patient_id == patient_id) & OPEN_DISPUTE).exists()


def estimates_job() -> str:
    """Nightly: flag estimates the billed charges exceed by the dispute threshold."""
    flagged = flag_disputes()
    return f"{flagged} Good Faith Estimate{'s' if flagged != 1 else ''} newly eligible for the dispute process."


_TO_DELIVER = (GoodFaithEstimate.status == "draft") & (GoodFaithEstimate.due_by <= slot("due_by"))
_TODAY_COUNTS = GoodFaithEstimate.select(fn.SUM(Case(None, [(_TO_DELIVER, 1)], 0)),
                                         fn.SUM(Case(None, [(OPEN_DISPUTE, 1)], 0))).tuples()


def work_items(today: dt.date) -> list[WorkItem]:
    """Today: estimates to deliver by the next business day (on a Friday, those due Monday), and accounts open to
    the patient-provider dispute process."""
    due_by = add_business_days(today, 1)
    due, flagged = kept(QUEUES.key, ("estimates due", due_by), lambda: next(iter(
        prepared.run(_TODAY_COUNTS, "billing.estimates.today", due_by=due_by))))
    items = []
    if due:
        items.append(WorkItem(f"Good Faith Estimate{'s' if due != 1 else ''} to deliver", url_for("billing.estimates"),
                              "billing.estimates.edit", urgency=25, count=int(due), source="Billing",
                              detail="The No Surprises Act sets the deadline; deliver and record it."))
    if flagged:
        items.append(WorkItem(f"Billed over the Good Faith Estimate by {format_cents(DISPUTE_THRESHOLD_CENTS)} or more",
                              url_for("billing.estimates", disputes=1), "billing.collections.manage", urgency=20,
                              count=int(flagged), source="Billing",
                              detail="The patient may use the dispute process: statements and collections are held."))
    return items

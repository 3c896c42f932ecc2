"""Leaving: a separation records the last day and the reason and starts the separation checklist;
on the last day a job disables the person's login through core's accounts, marks the staff record
inactive, ends the employment and ends the benefit enrollments. The exit interview
and the company property still to collect belong to the separation."""
from __future__ import annotations

import datetime as dt

from medoffice import audit
from medoffice.auth.accounts import deactivate_account
from medoffice.db import transaction, utcnow
from medoffice.models import StaffMember, User

from . import benefits, checklists, hiring_rules, training
from .employees import HrError
from .hiring_models import PropertyItem, Separation
from .models import Employment



def separation_of(employment: Employment) -> Separation | None:
    """The person's separation, if one is recorded."""
    return Separation.get_or_none(Separation.employment == employment)


def schedule(employment: Employment, last_day: dt.date, reason: str, notes: str, by: str) -> Separation:
    """Record that the person leaves after ``last_day`` and start their separation checklist."""
    if reason not in dict(hiring_rules.SEPARATION_REASONS):
        raise HrError("Choose the reason for leaving.", "reason")
    if last_day < employment.hire_date:
        raise HrError("The last day is before the hire date.", "last_day")
    if separation_of(employment) is not None:
        raise HrError("A separation is already recorded for this person.", "last_day")
    with transaction():
        separation = Separation.create(employment=employment, last_day=last_day, reason=reason, notes=notes,
                                       created_by=by)
        checklists.start(employment, "separation", last_day)
        audit.record("hr.separation.create", "hr_separation", separation.id,
                     detail={"staff_id": employment.staff_id, "last_day": last_day.isoformat(), "reason": reason})
    return separation


def save_exit_interview(separation: Separation, held_on: dt.date, reason: str, would_rehire: bool | None,
                        comments: str) -> None:
    """Record the exit interview."""
    with transaction():
        separation.exit_held_on, separation.exit_reason = held_on, reason
        separation.exit_would_rehire, separation.exit_comments = would_rehire, comments
        separation.save()
        audit.record("hr.separation.exit_interview", "hr_separation", separation.id,
                     detail={"staff_id": separation.employment.staff_id})


def complete(separation: Separation) -> int:
    """End the employment on the last day: every login of the person is deactivated (core audits
    each), the staff record goes inactive, the employment ends. Returns the logins disabled."""
    employment = separation.employment
    with transaction():
        logins = [u.id for u in User.select(User.id).where(User.staff == employment.staff_id)]
        disabled = sum(1 for user_id in logins if deactivate_account(user_id))
        StaffMember.update(active=False).where(StaffMember.id == employment.staff_id).execute()
        Employment.update(status="ended", end_date=separation.last_day, updated_at=utcnow()).where(
            Employment.id == employment.id).execute()
        training.stop_for(employment)
        benefits.end_all(employment, separation.last_day)
        separation.completed_at = utcnow()
        separation.save()
        audit.record("hr.separation.complete", "hr_separation", separation.id,
                     detail={"staff_id": employment.staff_id, "logins_disabled": disabled})
    return disabled


def due_separations(today: dt.date) -> list[Separation]:
    """Separations whose last day has come and that are not yet completed."""
    return list(Separation.select(Separation, Employment).join(Employment)
                .where((Separation.last_day <= today) & Separation.completed_at.is_null()))


def add_property(employment: Employment, item: str, identifier: str, issued_on: dt.date) -> PropertyItem:
    """Record company property handed to the person."""
    with transaction():
        row = PropertyItem.create(employment=employment, item=item, identifier=identifier, issued_on=issued_on)
        audit.record("hr.property.issue", "hr_property_item", row.id, detail={"staff_id": employment.staff_id})
    return row


def return_property(row: PropertyItem, returned_on: dt.date) -> None:
    """Record that the person gave the item back."""
    if returned_on < row.issued_on:
        raise HrError("It cannot come back before it was issued.", "returned_on")
    with transaction():
        row.returned_on = returned_on
        row.save()
        audit.record("hr.property.return", "hr_property_item", row.id, detail={"staff_id": row.employment.staff_id})


def property_of(employment: Employment) -> list[PropertyItem]:
    """Everything issued to the person; what is still held first."""
    return list(PropertyItem.select().where(PropertyItem.employment == employment)
                .order_by(PropertyItem.returned_on.is_null(False), PropertyItem.issued_on))

"""Who a message goes to: a patient (consent applies) or staff (internal, no patient consent)."""
from __future__ import annotations

from dataclasses import dataclass

from ..models import Patient, StaffMember, User


class UnknownRecipient(LookupError):
    """The patient, staff member or user does not exist."""


@dataclass(frozen=True)
class Recipient:
    """A message's addressee with every way to reach them; channels pick what they need.

    ``kind`` is ``patient`` (the consent register applies) or ``staff`` (staff, users and
    addresses the office writes to internally).
    """

    kind: str
    name: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    mobile: str = ""
    phone: str = ""
    postal: tuple[str, ...] = ()
    patient_id: int | None = None
    staff_id: int | None = None


def patient(patient_id: int) -> Recipient:
    """A patient as a recipient (mailing address as letter lines)."""
    row = Patient.get_or_none(Patient.id == patient_id)
    if row is None:
        raise UnknownRecipient(f"There is no patient {patient_id}.")
    name = f"{row.first_name} {row.last_name}"
    postal = ()
    if row.address1.strip():
        city = " ".join(part for part in (f"{row.city}," if row.city else "", row.state, row.zip) if part)
        postal = tuple(line for line in (name, row.address1, row.address2, city) if line.strip())
    return Recipient(kind="patient", name=name, first_name=row.first_name, last_name=row.last_name,
                     email=row.email.strip(), mobile=row.mobile, phone=row.phone, postal=postal,
                     patient_id=row.id)


def staff(staff_id: int) -> Recipient:
    """A staff member as a recipient (their directory e-mail)."""
    row = StaffMember.get_or_none(StaffMember.id == staff_id)
    if row is None:
        raise UnknownRecipient(f"There is no staff member {staff_id}.")
    return Recipient(kind="staff", name=f"{row.first_name} {row.last_name}", first_name=row.first_name,
                     last_name=row.last_name, email=row.email.strip(), mobile=row.phone, phone=row.phone,
                     staff_id=row.id)


def user(user_id: int) -> Recipient:
    """A login account as a recipient: its own e-mail, else its staff record's."""
    row = User.get_or_none(User.id == user_id)
    if row is None:
        raise UnknownRecipient(f"There is no user {user_id}.")
    person = staff(row.staff_id) if row.staff_id else None
    first, _, last = row.full_name.partition(" ")
    return Recipient(kind="staff", name=row.full_name, first_name=first, last_name=last,
                     email=row.email.strip() or (person.email if person else ""),
                     mobile=person.mobile if person else "", phone=person.phone if person else "",
                     staff_id=row.staff_id)


def address(email: str, name: str = "") -> Recipient:
    """An e-mail address the office writes to internally (a test message, IT)."""
    first, _, last = name.partition(" ")
    return Recipient(kind="staff", name=name, first_name=first, last_name=last, email=email.strip())

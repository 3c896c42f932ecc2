"""Employee files: employment on core's staff record, pay rates, emergency contacts, documents
(files through core's files service, expiring ones as core deadlines) and the sealed fields.
Every change is audited (field names and ids, never a sensitive value)."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, deadlines, files, settings
from medoffice.db import transaction, utcnow
from medoffice.models import StaffMember, User

from . import rules, sealing
from .models import EmergencyContact, EmployeeDocument, Employment, PayRate

EMPLOYMENT_FIELDS = ("hire_date", "end_date", "status", "employment_type", "flsa_exempt", "job_title",
                     "department", "location", "supervisor")
ATTACHMENT_KIND = "hr.employee_document"
EXPIRY_KIND = "hr.document_expiry"


class HrError(ValueError):
    """Input HR refuses, with the field it concerns (or "" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def employment_of(staff_id: int) -> Employment | None:
    """The staff member's employment, or None when HR has no file yet."""
    return Employment.get_or_none(Employment.staff == staff_id)


def _plain(value):
    return value.id if hasattr(value, "id") else (value.isoformat() if isinstance(value, dt.date) else value)


def save_employment(staff: StaffMember, values: dict) -> Employment:
    """Create or update ``staff``'s employment from form values (ids for the foreign keys)."""
    problems = rules.employment_problems(values["hire_date"], values["end_date"], values["status"],
                                         staff.id, values["supervisor"])
    if values["supervisor"] is not None and not problems:
        chain = dict(Employment.select(Employment.staff, Employment.supervisor).tuples())
        if rules.creates_cycle(staff.id, values["supervisor"], chain):
            problems["supervisor"] = "That supervisor reports, directly or not, to this person."
    if problems:
        field, message = next(iter(problems.items()))
        raise HrError(message, field)
    with transaction():
        employment = employment_of(staff.id)
        created = employment is None
        if created:
            employment = Employment(staff=staff)
        before = {f: _plain(getattr(employment, f + ("_id" if f in ("department", "location", "supervisor") else "")))
                  for f in EMPLOYMENT_FIELDS} if not created else {}
        for name in EMPLOYMENT_FIELDS:
            column = name + "_id" if name in ("department", "location", "supervisor") else name
            setattr(employment, column, values[name])
        employment.updated_at = utcnow()
        employment.save()
        after = {f: _plain(values[f]) for f in EMPLOYMENT_FIELDS}
        changes = {f: {"before": before.get(f), "after": after[f]} for f in EMPLOYMENT_FIELDS
                   if created or before.get(f) != after[f]}
        audit.record("hr.employment.create" if created else "hr.employment.update", "hr_employment",
                     employment.id, detail={"staff_id": staff.id, "changes": changes})
    return employment


def add_pay_rate(employment: Employment, effective_on: dt.date, basis: str, amount_cents: int,
                 reason: str, by: str) -> PayRate:
    """Record a pay rate from ``effective_on`` on; one per effective date."""
    if basis not in dict(rules.BASES):
        raise HrError("Choose hourly or salary.", "basis")
    if amount_cents <= 0:
        raise HrError("A pay rate is more than zero.", "amount")
    if effective_on < employment.hire_date:
        raise HrError("The rate cannot take effect before the hire date.", "effective_on")
    if PayRate.select().where((PayRate.employment == employment) & (PayRate.effective_on == effective_on)).exists():
        raise HrError("A rate already takes effect on that date.", "effective_on")
    with transaction():
        rate = PayRate.create(employment=employment, effective_on=effective_on, basis=basis,
                              amount_cents=amount_cents, reason=reason, created_by=by)
        audit.record("hr.pay_rate.create", "hr_pay_rate", rate.id,
                     detail={"staff_id": employment.staff_id, "effective_on": effective_on.isoformat(), "basis": basis,
                             "amount_cents": amount_cents})
    return rate


def pay_rates(employment: Employment) -> list[PayRate]:
    """The employment's rates, newest effective date first."""
    return list(PayRate.select().where(PayRate.employment == employment).order_by(PayRate.effective_on.desc()))


def add_contact(employment: Employment, name: str, relationship: str, phone: str, email: str) -> EmergencyContact:
    """Add an emergency contact."""
    with transaction():
        contact = EmergencyContact.create(employment=employment, name=name, relationship=relationship,
                                          phone=phone, email=email)
        audit.record("hr.contact.create", "hr_emergency_contact", contact.id, detail={"staff_id": employment.staff_id})
    return contact


def remove_contact(employment: Employment, contact_id: int) -> bool:
    """Remove one of the employment's emergency contacts; False when it is not theirs."""
    with transaction():
        removed = EmergencyContact.delete().where((EmergencyContact.id == contact_id)
                                                  & (EmergencyContact.employment == employment)).execute()
        if removed:
            audit.record("hr.contact.delete", "hr_emergency_contact", contact_id,
                         detail={"staff_id": employment.staff_id})
    return bool(removed)


def _expiry_title(document: EmployeeDocument, staff: StaffMember) -> str:
    return f"{rules.KIND_BY_KEY[document.kind].title} of {staff.first_name} {staff.last_name} expires"


def sync_expiry(document: EmployeeDocument, staff: StaffMember) -> None:
    """Keep the document's expiry as a core deadline (idempotent), assigned to the employee's login
    when they have one, else to HR; superseded when the document is removed or does not expire."""
    key = f"employee-document:{document.id}"
    if document.expires_on is None or document.removed_at is not None:
        if deadlines.find("hr", key) is not None:
            deadlines.supersede("hr", key, reason="Document removed or no longer expires")
        return
    login = User.select(User.id).where((User.staff == staff.id) & (User.active == True)).first()  # noqa: E712
    assignee = {"assignee_user": login.id} if login else {"assignee_role": "hr"}
    deadlines.upsert("hr", key, title=_expiry_title(document, staff), due=document.expires_on, kind=EXPIRY_KIND,
                     concerns=("hr_employee_document", document.id, "hr.employee", {"staff_id": staff.id}),
                     **assignee)


def add_document(employment: Employment, kind: str, expires_on: dt.date | None, note: str,
                 content, filename: str, by: str) -> EmployeeDocument:
    """File a document of ``kind`` with its content (checked by core's files service); nothing is
    kept when the kind, the expiry or the file is refused."""
    problem = rules.expiry_problem(kind, expires_on)
    if problem:
        raise HrError(problem, "kind" if kind not in rules.KIND_BY_KEY else "expires_on")
    with transaction():
        document = EmployeeDocument.create(employment=employment, kind=kind, expires_on=expires_on, note=note,
                                           created_by=by)
        try:
            stored = files.attach("hr", "employee_document", document.id, ATTACHMENT_KIND, content, filename)
        except files.FileError as refused:
            raise HrError(str(refused), "file") from None
        document.attachment_id = stored.id
        document.save()
        audit.record("hr.document.create", "hr_employee_document", document.id,
                     detail={"staff_id": employment.staff_id, "kind": kind,
                             "expires_on": expires_on.isoformat() if expires_on else None})
        sync_expiry(document, employment.staff)
    return document


def remove_document(document: EmployeeDocument, reason: str) -> None:
    """Take a document out of the file (its file is soft-deleted by core, its deadline superseded)."""
    with transaction():
        document.removed_at = utcnow()
        document.save()
        if document.attachment_id:
            files.delete(document.attachment_id, reason)
        audit.record("hr.document.delete", "hr_employee_document", document.id,
                     detail={"staff_id": document.employment.staff_id})
        sync_expiry(document, document.employment.staff)


def documents(employment: Employment) -> list[EmployeeDocument]:
    """The documents in the file, newest first."""
    return list(EmployeeDocument.select().where((EmployeeDocument.employment == employment)
                                                & EmployeeDocument.removed_at.is_null())
                .order_by(EmployeeDocument.created_at.desc()))


def set_sensitive(employment: Employment, values: dict[str, str]) -> list[str]:
    """Seal the given sensitive fields (a blank value clears one); returns the names changed.
    Validated first: a bad SSN or routing number writes nothing."""
    clean = {}
    for field, value in values.items():
        if field not in sealing.FIELDS:
            raise HrError(f"Unknown field {field}.")
        value = (value or "").strip()
        if value and field == "ssn":
            try:
                value = rules.normalise_ssn(value)
            except ValueError as bad:
                raise HrError(str(bad), field) from None
        elif value and field == "bank_routing" and not rules.routing_is_valid(value):
            raise HrError("A routing number is nine digits with a valid check digit.", field)
        elif value and field == "bank_account" and not rules.ACCOUNT.match(value):
            raise HrError("An account number is 4 to 17 digits.", field)
        elif value and field == "date_of_birth":
            try:
                born = dt.date.fromisoformat(value)
            except ValueError:
                raise HrError("Give the date of birth as YYYY-MM-DD.", field) from None
            if not dt.date(1900, 1, 1) <= born <= settings.today():
                raise HrError("That date of birth is not possible.", field)
        clean[field] = value
    changed = [f for f, v in clean.items() if v != _readable(employment, f)]
    with transaction():
        for field in changed:
            setattr(employment, f"{field}_sealed", sealing.seal(employment.id, field, clean[field]))
        if changed:
            employment.save()
            audit.record("hr.sensitive.update", "hr_employment", employment.id,
                         detail={"staff_id": employment.staff_id, "fields": changed})
    return changed


def _readable(employment: Employment, field: str) -> str | None:
    try:
        return reveal_value(employment, field)
    except sealing.SealError:
        return None


def reveal_value(employment: Employment, field: str) -> str:
    """One sensitive field in plaintext (not audited: callers that show it use :func:`reveal`)."""
    return sealing.unseal(employment.id, field, getattr(employment, f"{field}_sealed"))


UNREADABLE = "(sealed under another key: enter it again)"


def masked(employment: Employment) -> dict[str, str]:
    """Every sensitive field as the UI shows it without the reveal permission (a value sealed under
    another instance key shows as unreadable rather than failing the page)."""
    shown = {}
    for field in sealing.FIELDS:
        try:
            shown[field] = rules.mask(field, reveal_value(employment, field))
        except sealing.SealError:
            shown[field] = UNREADABLE
    return shown


def unreadable_count() -> int:
    """How many employment records hold a sealed value this instance's key cannot open."""
    count = 0
    for employment in Employment.select().where((Employment.ssn_sealed != "") | (Employment.date_of_birth_sealed != "")
                                                | (Employment.bank_routing_sealed != "")
                                                | (Employment.bank_account_sealed != "")):
        if UNREADABLE in masked(employment).values():
            count += 1
    return count


def reveal(employment: Employment) -> dict[str, str]:
    """Every sensitive field in plaintext, the read audited (which fields, never the values)."""
    values = {f: _readable(employment, f) for f in sealing.FIELDS}
    values = {f: UNREADABLE if v is None else v for f, v in values.items()}
    with transaction():
        audit.record("hr.sensitive.reveal", "hr_employment", employment.id,
                     detail={"staff_id": employment.staff_id,
                             "fields": [f for f, v in values.items() if v and v != UNREADABLE]})
    return values

"""Provider and practice credentials: saving one with its document (core's files), keeping its
next due date on core's deadlines (90/60/30-day reminders, escalated to the office manager),
primary-source verifications, the credentialing board and "ready to bill payer X on date D"."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from medoffice import audit, deadlines, files, prepared, settings
from medoffice.db import transaction, utcnow
from medoffice.models import Location, StaffMember, User
from medoffice.prepared import slot

from . import rules
from .models import Credential, Verification

OWNER = "compliance"
ATTACHMENT_KIND = "compliance.credential"
EVIDENCE_KIND = "compliance.verification"
DEADLINE_KIND = "compliance.credential_due"


class CredentialError(ValueError):
    """Input refused, with the field it concerns ("" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass
class CredentialValues:
    """What a credential form gives (ids and dates already parsed)."""

    kind: str
    staff_id: int | None = None
    location_id: int | None = None
    state: str = ""
    number: str = ""
    issuer: str = ""
    payer_id: str = ""
    status: str = ""
    effective_on: dt.date | None = None
    expires_on: dt.date | None = None
    limit_per_claim_cents: int | None = None
    limit_aggregate_cents: int | None = None
    note: str = ""


def problems(values: CredentialValues) -> dict[str, str]:
    """Every reason the values cannot be saved, by field (empty when they can)."""
    found: dict[str, str] = {}
    kind = rules.KIND_BY_KEY.get(values.kind)
    if kind is None:
        return {"kind": "Choose a kind of credential."}
    if kind.scope == "provider" and values.staff_id is None:
        found["staff_id"] = f"A {kind.title.lower()} belongs to a provider: choose one."
    if kind.scope == "practice" and values.staff_id is not None:
        found["staff_id"] = f"A {kind.title.lower()} belongs to the practice, not to a provider."
    if kind.per_state and values.state not in rules.STATES:
        found["state"] = "Choose the state it was issued for."
    if kind.needs_payer:
        if not values.payer_id.strip() or not values.issuer.strip():
            found["payer_id"] = "Give the payer's name and its payer identifier."
        if values.status not in dict(rules.ENROLLMENT_STATUSES):
            found["status"] = "Choose the enrollment status."
        if values.status == "enrolled" and values.effective_on is None:
            found["effective_on"] = "An enrollment in force has an effective date."
    if kind.cycle_days and values.effective_on is None and values.expires_on is None:
        found["effective_on"] = "Give the date of the last attestation or revalidation."
    if not kind.cycle_days and not kind.needs_payer and values.expires_on is None and kind.key not in (
            "board_certification", "hospital_privileges", "other_practice"):
        found["expires_on"] = "Give the expiry date: it is what the reminders count down to."
    if values.effective_on and values.expires_on and values.expires_on < values.effective_on:
        found["expires_on"] = "The expiry cannot come before the effective date."
    for field in ("limit_per_claim_cents", "limit_aggregate_cents"):
        amount = getattr(values, field)
        if amount is not None and amount <= 0:
            found[field] = "A limit is more than zero."
    if kind.key == "malpractice" and not values.issuer.strip():
        found["issuer"] = "Give the carrier."
    return found


def _title(credential: Credential, staff: StaffMember | None) -> str:
    kind = rules.KIND_BY_KEY[credential.kind]
    what = kind.title + (f" ({credential.state})" if credential.state else "")
    if kind.needs_payer:
        what = f"{kind.title} with {credential.issuer}"
    whose = f"{staff.first_name} {staff.last_name}" if staff else "the practice"
    return f"{what} of {whose} due for renewal"


def sync_deadline(credential: Credential, staff: StaffMember | None) -> None:
    """Keep the credential's next due date on core's deadlines (idempotent): assigned to the
    provider's login when they have one, else the office manager, who is told when it lapses.
    Superseded when the credential is removed or has no due date."""
    key = f"credential:{credential.id}"
    if credential.due_on is None or credential.removed_at is not None:
        if deadlines.find(OWNER, key) is not None:
            deadlines.supersede(OWNER, key, reason="Credential removed or without a due date")
        return
    login = None
    if staff is not None:
        login = User.select(User.id).where((User.staff == staff.id) & (User.active == True)).first()  # noqa: E712
    assignee = {"assignee_user": login.id} if login else {"assignee_role": "office_manager"}
    deadlines.upsert(OWNER, key, title=_title(credential, staff), due=credential.due_on, kind=DEADLINE_KIND,
                     concerns=("compliance_credential", credential.id, "compliance.credential",
                               {"credential_id": credential.id}), **assignee)


def _plain(value):
    return value.isoformat() if isinstance(value, dt.date) else value


FIELDS = ("kind", "staff_id", "location_id", "state", "number", "issuer", "payer_id", "status", "effective_on",
          "expires_on", "limit_per_claim_cents", "limit_aggregate_cents", "note")


def save(values: CredentialValues, by: str, credential: Credential | None = None,
         document=None, filename: str = "") -> Credential:
    """Create (or update) a credential, attach its document when given, and put its due date on
    the deadlines; validated first, so bad input writes nothing."""
    found = problems(values)
    if found:
        field, message = next(iter(found.items()))
        raise CredentialError(message, field)
    kind = rules.KIND_BY_KEY[values.kind]
    with transaction():
        created = credential is None
        before = {} if created else {f: _plain(getattr(credential, f)) for f in FIELDS}
        if created:
            credential = Credential(created_by=by)
        for field in FIELDS:
            setattr(credential, field, getattr(values, field))
        credential.state = values.state if kind.per_state else ""
        credential.due_on = rules.next_due(kind, values.effective_on, values.expires_on)
        credential.save()
        if document is not None:
            try:
                files.attach(OWNER, "credential", credential.id, ATTACHMENT_KIND, document, filename or "document")
            except files.FileError as refused:
                raise CredentialError(str(refused), "document") from None
        after = {f: _plain(getattr(values, f)) for f in FIELDS}
        changes = {f: {"before": before.get(f), "after": after[f]} for f in FIELDS
                   if created or before.get(f) != after[f]}
        audit.record("compliance.credential.create" if created else "compliance.credential.update",
                     "compliance_credential", credential.id, detail={"changes": changes})
        staff = StaffMember.get_by_id(values.staff_id) if values.staff_id else None
        sync_deadline(credential, staff)
    return credential


def remove(credential: Credential, reason: str) -> None:
    """Take a credential off the board (kept, marked removed; its deadline superseded)."""
    if not reason.strip():
        raise CredentialError("Say why the credential is removed.", "reason")
    with transaction():
        credential.removed_at = utcnow()
        credential.removed_reason = reason.strip()[:200]
        credential.save()
        audit.record("compliance.credential.remove", "compliance_credential", credential.id,
                     detail={"reason": credential.removed_reason})
        sync_deadline(credential, None)


def add_verification(credential: Credential, verified_on: dt.date, source: str, result: str, by: str,
                     evidence=None, filename: str = "") -> Verification:
    """Log a primary-source verification (with its evidence file when given)."""
    if not source.strip():
        raise CredentialError("Say where it was verified (the board's site, the NPPES registry...).", "source")
    if verified_on > settings.today() + dt.timedelta(days=1):
        raise CredentialError("A verification cannot be dated in the future.", "verified_on")
    with transaction():
        verification = Verification.create(credential=credential, verified_on=verified_on, verified_by=by,
                                           source=source.strip()[:200], result=result.strip()[:200])
        if evidence is not None:
            try:
                files.attach(OWNER, "verification", verification.id, EVIDENCE_KIND, evidence, filename or "evidence")
            except files.FileError as refused:
                raise CredentialError(str(refused), "evidence") from None
        audit.record("compliance.verification.create", "compliance_verification", verification.id,
                     detail={"credential_id": credential.id, "verified_on": verified_on.isoformat()})
    return verification


def active():
    """Credentials on the board (not removed)."""
    return Credential.select().where(Credential.removed_at.is_null())


class BoardItem(NamedTuple):
    """A credential as the board shows it: the columns it reads as a plain row (a model cost a field
    assignment and a converter call per column) and its colour today, worked out once."""

    id: int
    staff_id: int | None
    kind: str
    state: str
    issuer: str
    status: str
    effective_on: dt.date | None
    due_on: dt.date | None
    colour: str


def _date(value) -> dt.date | None:
    """A date column as a date: SQLite gives the text peewee's DateField stores, PostgreSQL a date."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


@dataclass
class BoardRow:
    """One provider's (or the practice's) row of the board: a colour and items per kind."""

    staff: object | None  # a provider with ``id`` and ``display_name``; None for the practice
    cells: dict[str, list[BoardItem]]
    colours: dict[str, str]

    @property
    def overall(self) -> str:
        return rules.worst(self.colours.values())


def board(today: dt.date, providers: list, *, staff_id: int | None = None, state: str = "",
          colour: str = "") -> list[BoardRow]:
    """The credentialing board: every one of ``providers`` (the active ones, each with an ``id``) x kind and the
    practice's row, coloured; filtered by provider, state and worst colour. One query for the credentials, read
    as plain rows."""
    query = (Credential.select(Credential.id, Credential.staff, Credential.kind, Credential.state, Credential.issuer,
                               Credential.status, Credential.effective_on, Credential.due_on)
             .where(Credential.removed_at.is_null()))
    if staff_id is not None:
        providers = [p for p in providers if p.id == staff_id]
        query = query.where(Credential.staff == slot("staff_id"))
    if state:
        query = query.where((Credential.state == slot("state")) | (Credential.state == ""))
    by_owner: dict[int | None, list[BoardItem]] = {}
    for id_, owner, kind, state_, issuer, status, effective_on, due_on in prepared.rows(
            query.order_by(Credential.kind, Credential.state), ("compliance.board", staff_id is not None, bool(state)),
            staff_id=staff_id, state=state):
        effective_on, due_on = _date(effective_on), _date(due_on)
        by_owner.setdefault(owner, []).append(BoardItem(
            id_, owner, kind, state_, issuer, status, effective_on, due_on,
            rules.colour(due_on, today, effective_on=effective_on, status=status)))
    rows = []
    owners = [(p, rules.PROVIDER_KINDS) for p in providers]
    if staff_id is None:
        owners.append((None, rules.PRACTICE_KINDS))
    for person, kinds in owners:
        cells = {k.key: [] for k in kinds}
        for item in by_owner.get(person.id if person else None, []):
            cells.setdefault(item.kind, []).append(item)
        colours = {key: rules.worst(c.colour for c in items) for key, items in cells.items() if items}
        row = BoardRow(person, cells, colours)
        if colour and row.overall != colour:
            continue
        rows.append(row)
    return rows


def item_colour(credential: Credential, today: dt.date) -> str:
    """The board colour of one credential today."""
    return rules.colour(credential.due_on, today, effective_on=credential.effective_on, status=credential.status)


HOLDING_KINDS = ("state_licence", "dea", "malpractice", "payer_enrollment")


def billing_holds(staff_id: int, payer_id: str, service_date: dt.date, state: str = "") -> list[str]:
    """Why a claim by this provider to this payer for this date of service must be held (empty
    when the provider is ready to bill it): a licence (for ``state``, the state of service, when
    given), malpractice cover and the payer's enrollment current on that date, and a DEA
    registration when the provider holds one."""
    rows = list(active().where((Credential.staff == staff_id) & Credential.kind.in_(HOLDING_KINDS)))
    return holds_from(rows, payer_id, service_date, state)


def holds_from(rows: list[Credential], payer_id: str, service_date: dt.date, state: str = "", *,
               on_file_only: bool = False) -> list[str]:
    """``billing_holds`` over the provider's credentials already loaded (``rows``). With ``on_file_only``
    a kind is checked only when the provider has one on file (for enrollment: with this payer), so
    claims are held for what lapsed, not for what the practice never entered."""
    held = []
    payer = (payer_id or "").strip().lower()

    def checked(kind, extra=lambda c: True):
        return not on_file_only or any(c.kind == kind and extra(c) for c in rows)

    def current(kind, extra=lambda c: True):
        return any(c.kind == kind and extra(c) and rules.current_on(service_date, c.effective_on, c.due_on)
                   for c in rows)

    def with_payer(c):
        return c.payer_id.strip().lower() == payer

    on = service_date.isoformat()
    if checked("state_licence") and not current("state_licence", lambda c: not state or c.state == state):
        held.append(f"No {state + ' ' if state else ''}state licence in force on {on}.")
    if any(c.kind == "dea" for c in rows) and not current("dea"):
        held.append(f"The DEA registration had lapsed on {on}.")
    if checked("malpractice") and not current("malpractice"):
        held.append(f"No malpractice cover in force on {on}.")
    if checked("payer_enrollment", with_payer) and not current(
            "payer_enrollment", lambda c: with_payer(c) and c.status == "enrolled"):
        held.append(f"Not enrolled with payer {payer_id} on {on}.")
    return held


def claim_holds(claims: list[dict]) -> list[tuple[int, str]]:
    """Answer billing's ``billing_claim_holds`` for a batch of claims in three queries: the providers
    by rendering NPI, their credentials, their locations' states (the state of service when billing
    does not know it). Claims by an NPI that is not a provider here are not held, and a claim is held
    only for credentials on file that are not current (see ``holds_from``): turning compliance on before
    entering every credential does not stop billing."""
    npis = {c["rendering_npi"] for c in claims if c["rendering_npi"]}
    if not npis:
        return []
    providers = {p.npi: p for p in StaffMember.select().where(StaffMember.npi.in_(npis)
                                                              & (StaffMember.is_provider == True))}  # noqa: E712
    if not providers:
        return []
    rows: dict[int, list[Credential]] = {p.id: [] for p in providers.values()}
    for credential in active().where(Credential.staff.in_(list(rows)) & Credential.kind.in_(HOLDING_KINDS)):
        rows[credential.staff_id].append(credential)
    location_ids = {p.location_id for p in providers.values() if p.location_id}
    states = {location.id: (location.state or "").upper()
              for location in Location.select().where(Location.id.in_(location_ids or {0}))}
    held = []
    for claim in claims:
        provider = providers.get(claim["rendering_npi"])
        if provider is None:
            continue
        state = claim.get("service_state") or states.get(provider.location_id, "")
        held.extend((claim["claim_id"], f"{provider.display_name}: {reason}")
                    for reason in holds_from(rows[provider.id], claim["payer_id"], claim["service_date"], state,
                                             on_file_only=True))
    return held


def state_of_practice(provider: StaffMember) -> str:
    """The state of the provider's location (where they see patients), "" when unknown."""
    location = Location.get_or_none(Location.id == provider.location_id) if provider.location_id else None
    return (location.state or "").upper() if location else ""

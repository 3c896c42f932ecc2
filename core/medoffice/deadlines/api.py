"""What plugins and pages call: ``upsert`` an obligation, ``complete`` it with its evidence,
``waive`` it with a reason, ``supersede`` it. Every change is written to the deadline's history and
the audit trail in one transaction; an upsert with the same values writes nothing."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import peewee as pw
from flask import current_app, has_request_context
from flask_login import current_user

from .. import audit
from ..db import transaction, utcnow
from ..limits import date_problem
from ..models import Role, User
from . import kinds as kind_registry
from .kinds import EVIDENCE, GENERAL, escalate_after_problem, lead_days_problem
from .models import Deadline, DeadlineHistory
from .stages import announce_on

MAX_NOTE = 4000


class DeadlineError(ValueError):
    """A deadline cannot be written or changed as asked; the message says why, for staff."""


@dataclass(frozen=True)
class Concerns:
    """The object a deadline is about: its kind (a table or noun, ``compliance_baa``, ``patient``), its
    id, and the page that shows it (an endpoint and its ``url_for`` arguments)."""

    kind: str
    id: object = ""
    endpoint: str = ""
    args: dict = field(default_factory=dict)


def author(by: str | None = None) -> str:
    """Who makes a change: ``by``, else the logged-in user, else "system" (a job)."""
    if by:
        return by[:60]
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return current_user.username
    return "system"


def record(deadline: Deadline, action: str, by: str, **detail) -> None:
    """Add one entry to a deadline's history (inside the caller's transaction)."""
    DeadlineHistory.create(deadline=deadline, at=utcnow(), by=by, action=action,
                           detail=json.dumps(detail, sort_keys=True, default=str))


def _audit(action: str, deadline: Deadline, detail: dict) -> None:
    patient = int(deadline.concerns_id) if deadline.concerns_kind == "patient" and deadline.concerns_id.isdecimal() \
        else None
    audit.record(action, "core_deadline", deadline.id, patient_id=patient,
                 detail={"owner": deadline.owner, "key": deadline.key, **detail})


def _concerns(concerns) -> dict:
    if concerns is None:
        return {"concerns_kind": "", "concerns_id": "", "concerns_endpoint": "", "concerns_args": "{}"}
    if isinstance(concerns, tuple):
        if not 1 <= len(concerns) <= 4:
            raise DeadlineError("concerns is (kind, id, endpoint, url arguments), the last ones optional.")
        concerns = Concerns(*concerns)
    if not isinstance(concerns, Concerns) or not isinstance(concerns.kind, str) or not concerns.kind.strip():
        raise DeadlineError("concerns names the kind of object the deadline is about, such as 'patient'.")
    args = dict(concerns.args or {})
    if concerns.endpoint and concerns.endpoint not in current_app.view_functions:
        raise DeadlineError(f"concerns: there is no page {concerns.endpoint!r}.")
    ident = "" if concerns.id is None else str(concerns.id)
    if len(concerns.kind) > 60 or len(ident) > 60 or len(concerns.endpoint) > 120:
        raise DeadlineError("concerns: the kind and id are at most 60 characters, the endpoint 120.")
    return {"concerns_kind": concerns.kind.strip(), "concerns_id": ident, "concerns_endpoint": concerns.endpoint,
            "concerns_args": json.dumps(args, sort_keys=True, default=str)}


def _role(name: str, what: str) -> str:
    if name and not Role.select().where(Role.name == name).exists():
        raise DeadlineError(f"{what}: there is no role {name!r}.")
    return name


def _assignee(user, role) -> tuple[int | None, str]:
    if (user is None) == (not role):
        raise DeadlineError("A deadline is assigned to one person (assignee_user) or one role (assignee_role).")
    if user is None:
        return None, _role(role, "assignee_role")
    user_id = user.id if hasattr(user, "id") else user
    known = isinstance(user_id, int) and not isinstance(user_id, bool) and User.select().where(User.id == user_id).exists()
    if not known:
        raise DeadlineError(f"assignee_user: there is no user {user_id!r}.")
    return user_id, ""


def _values(owner, title, due, kind_name, concerns, assignee_user, assignee_role, lead_days, escalation_role,
            escalate_after_days, evidence) -> dict:
    """The validated column values of an upsert (the kind's defaults where an argument is None)."""
    runtime = current_app.extensions["medoffice"]
    if owner not in runtime.host.plugins:
        raise DeadlineError(f"owner: no module is called {owner!r}.")
    kind = kind_registry.kinds().get(kind_name)
    if kind is None:
        raise DeadlineError(f"kind: no installed module declares the deadline kind {kind_name!r}.")
    title = " ".join(str(title or "").split())
    if not title or len(title) > 300:
        raise DeadlineError("title: a deadline needs a title of at most 300 characters.")
    if not isinstance(due, dt.date) or isinstance(due, dt.datetime):
        raise DeadlineError("due: a deadline's due date is a date (datetime.date), not a time.")
    if date_problem(due):
        raise DeadlineError(f"due: {date_problem(due)}")
    lead = kind.lead_days if lead_days is None else tuple(lead_days) if isinstance(lead_days, list) else lead_days
    escalate_after = kind.escalate_after_days if escalate_after_days is None else escalate_after_days
    evidence = kind.evidence if evidence is None else evidence
    problem = lead_days_problem(lead) or escalate_after_problem(escalate_after) or (
        None if evidence in EVIDENCE else f"evidence is one of {', '.join(EVIDENCE)}")
    if problem:
        raise DeadlineError(problem)
    user_id, role = _assignee(assignee_user, assignee_role)
    lead = tuple(sorted(lead, reverse=True))
    return {"kind": kind.name, "title": title, "due": due, "announce_on": announce_on(due, lead),
            "assignee_user": user_id, "assignee_role": role, "lead_days": ",".join(str(d) for d in lead),
            "escalation_role": _role(kind.escalation_role if escalation_role is None else escalation_role,
                                     "escalation_role"),
            "escalate_after_days": escalate_after, "evidence": evidence, **_concerns(concerns)}


def _current(row: Deadline, name: str):
    return row.assignee_user_id if name == "assignee_user" else getattr(row, name)


def upsert(owner: str, key: str, *, title: str, due: dt.date, kind: str = GENERAL, concerns=None,
           assignee_user=None, assignee_role: str | None = None, lead_days=None, escalation_role: str | None = None,
           escalate_after_days: int | None = None, evidence: str | None = None, by: str | None = None) -> Deadline:
    """Create the deadline ``owner``/``key`` or bring it up to date; the same values change nothing.

    :param owner: the plugin that owns the obligation (its name).
    :param key: stable and unique within the owner (``f"licence:{licence.id}"``), so recomputing finds it.
    :param title: shown in lists, reminders and calendar files: never put patient data in it.
    :param concerns: the object it is about, ``Concerns(kind, id, endpoint, args)`` or that tuple.
    :param assignee_user: a core user (row or id), or ``assignee_role``: a role's name; exactly one.
    :param lead_days, escalation_role, escalate_after_days, evidence: override the kind's defaults.
    :return: the deadline. A done or waived one reopens when the due date changes (a new cycle);
        a superseded one reopens whenever it is upserted again.
    :raises DeadlineError: a value is missing or wrong; nothing was written.
    """
    if not isinstance(key, str) or not key.strip() or len(key) > 200:
        raise DeadlineError("key: a deadline needs a key of at most 200 characters, unique within its owner.")
    values = _values(owner, title, due, kind, concerns, assignee_user, assignee_role, lead_days, escalation_role,
                     escalate_after_days, evidence)
    who = author(by)
    with transaction():
        row = Deadline.get_or_none((Deadline.owner == owner) & (Deadline.key == key))
        if row is None:
            try:
                with transaction():  # a savepoint: another process may insert the same key first
                    row = Deadline.create(owner=owner, key=key, created_at=utcnow(), updated_at=utcnow(), **values)
            except pw.IntegrityError:
                row = Deadline.get((Deadline.owner == owner) & (Deadline.key == key))
            else:
                record(row, "created", who, due=row.due, kind=row.kind, title=row.title)
                _audit("deadline.create", row, {"kind": row.kind, "due": row.due})
                return row
        changes = {name: [_current(row, name), value] for name, value in values.items()
                   if _current(row, name) != value}
        changes.pop("announce_on", None)  # follows the due date and lead times
        reopen = row.state == "superseded" or (row.state in ("done", "waived") and "due" in changes)
        if not changes and not reopen:
            return row
        update = {**values, "updated_at": utcnow()}
        if reopen:
            update.update(state="open", closed_at=None, closed_by="", close_note="")
        Deadline.update(**update).where(Deadline.id == row.id).execute()
        row = Deadline.get_by_id(row.id)
        if changes:
            record(row, "changed", who, **changes)
        if reopen:
            record(row, "reopened", who, due=row.due)
        _audit("deadline.update", row, {"changed": sorted(changes), "reopened": reopen})
    return row


def find(owner: str, key: str) -> Deadline | None:
    """The deadline ``owner``/``key``, or None."""
    return Deadline.get_or_none((Deadline.owner == owner) & (Deadline.key == key))


def _close(deadline_id: int, state: str, text: str, by: str | None, action: str, **detail) -> Deadline:
    who = author(by)
    with transaction():
        closed = (Deadline.update(state=state, closed_at=utcnow(), closed_by=who, close_note=text,
                                  updated_at=utcnow())
                  .where((Deadline.id == deadline_id) & (Deadline.state == "open")).execute())
        if not closed:
            row = Deadline.get_or_none(Deadline.id == deadline_id)
            if row is None:
                raise DeadlineError(f"There is no deadline {deadline_id}.")
            raise DeadlineError(f"This deadline is already {row.state}: nothing was changed.")
        row = Deadline.get_by_id(deadline_id)
        record(row, state, who, **detail)
        _audit(action, row, {k: v for k, v in detail.items() if k not in ("note", "reason")})  # free text: history only
    return row


FILE_EVIDENCE = ("file", "note_or_file")


def evidence_problem(evidence: str, note: str, files: int) -> str | None:
    """Why a deadline asking for ``evidence`` cannot be marked done with ``note`` and ``files`` evidence
    files attached, or None."""
    if evidence == "file" and not files:
        return "Attach the evidence file (under Evidence files on this page) before marking it done."
    if evidence == "note" and not note:
        return "Say what was done in the note: this deadline needs a note as evidence."
    if evidence == "note_or_file" and not (note or files):
        return "Say what was done in the note, or attach the evidence file: this deadline needs one of them."
    return None


def evidence_files(deadline_id: int) -> int:
    """How many evidence files are attached to a deadline (removed ones do not count)."""
    from .. import files

    return len(files.list_for("core", "deadline", deadline_id, kind="core.deadline_evidence"))


def complete(deadline_id: int, *, note: str = "", by: str | None = None) -> Deadline:
    """Mark an open deadline done, with the evidence its kind asks for.

    :param note: what was done (the new licence number, where the signed copy is kept).
    :raises DeadlineError: the evidence is missing, the note is too long, or the deadline is not open.
    """
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise DeadlineError(f"Keep the note under {MAX_NOTE:,} characters.")
    row = Deadline.get_or_none(Deadline.id == deadline_id)
    if row is None:
        raise DeadlineError(f"There is no deadline {deadline_id}.")
    problem = evidence_problem(row.evidence, note, evidence_files(row.id) if row.evidence in FILE_EVIDENCE else 0)
    if problem:
        raise DeadlineError(problem)
    return _close(deadline_id, "done", note, by, "deadline.done", note=note, evidence=row.evidence)


def waive(deadline_id: int, reason: str, *, by: str | None = None) -> Deadline:
    """Waive an open deadline: it no longer needs doing, for the reason given (required).

    :raises DeadlineError: no reason, or the deadline is not open.
    """
    reason = (reason or "").strip()
    if not reason:
        raise DeadlineError("Give the reason this deadline is waived.")
    if len(reason) > MAX_NOTE:
        raise DeadlineError(f"Keep the reason under {MAX_NOTE:,} characters.")
    return _close(deadline_id, "waived", reason, by, "deadline.waive", reason=reason)


def supersede(owner: str, key: str, *, reason: str = "", by: str | None = None) -> Deadline | None:
    """Close an open obligation its owner no longer has (the credential was removed, a newer
    review replaced it). Returns the deadline (unchanged when it was not open), or None when unknown."""
    row = find(owner, key)
    if row is None or row.state != "open":
        return row
    return _close(row.id, "superseded", (reason or "").strip()[:MAX_NOTE], by, "deadline.supersede",
                  reason=(reason or "").strip()[:MAX_NOTE])

"""Where a document stands with each person it is addressed to: ``acknowledged`` (a signature on the
version asking for acknowledgment or a later one), ``pending``, or ``overdue`` (past their due date:
the grace period after that version took effect, as their reminder deadline holds it). Counted in
SQL for Today; per person for the document's status page."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import peewee as pw

from .. import prepared

from ..deadlines.models import Deadline
from ..auth.access_version import KEY as ACCESS_KEY
from ..data_versions import DEADLINES_KEY, DataVersion, kept
from ..models import StaffMember, User
from ..prepared import slot
from .audience import addressed_to, list_size, list_slots, list_values, member_pairs, members
from .kinds import enabled_kinds
from .models import Acknowledgment, Document, DocumentAudience, DocumentVersion
from .reminders import grace_days, owner_of, owner_of_kind

# What an audience's statuses are computed from, besides users, roles and settings (the access version).
DOCUMENTS_VERSION = DataVersion("core.documents", [Document, DocumentVersion, DocumentAudience, Acknowledgment,
                                                   Deadline, StaffMember])

STATUSES = {"acknowledged": "Acknowledged", "pending": "Pending", "overdue": "Overdue",
            "not_required": "No acknowledgment asked"}


def _acknowledged_from(document: Document) -> pw.SelectQuery:
    """Users holding a signature that counts for ``document`` (on version ``ack_from`` or later)."""
    return (Acknowledgment.select(Acknowledgment.user).join(DocumentVersion)
            .where((DocumentVersion.document == document.id) & (DocumentVersion.number >= document.ack_from)))


def pending_users(document: Document) -> list[int]:
    """Ids of the active users the document is addressed to who still have to acknowledge it."""
    if document.state != "published" or document.ack_from is None:
        return []
    query = members(document.id).select(User.id).where(~User.id.in_(_acknowledged_from(document)))
    return [user_id for (user_id,) in query.order_by(User.id).tuples()]


def _fallback_due(document: Document) -> dt.date | None:
    """The due date of someone not yet reminded: the grace period after the version asking took effect."""
    effective = DocumentVersion.select(DocumentVersion.effective_on).where(
        (DocumentVersion.document == document) & (DocumentVersion.number == document.ack_from)).scalar()
    if effective is None:
        return None
    if isinstance(effective, str):  # SQLite returns the column's text through scalar()
        effective = dt.date.fromisoformat(effective)
    return effective + dt.timedelta(days=grace_days())


def due_dates(document: Document) -> dict[int, dt.date]:
    """{user id: due date} of the open acknowledgment deadlines of the document."""
    rows = (Deadline.select(Deadline.assignee_user, Deadline.due)
            .where((Deadline.owner == owner_of(document)) & (Deadline.state == "open")
                   & Deadline.key.startswith(f"document:{document.id}:")).tuples())
    return {user_id: due for user_id, due in rows}


@dataclass(frozen=True)
class PersonStatus:
    """One person of a document's audience: their status, latest signature on it, and due date."""

    user: User
    status: str
    signature: Acknowledgment | None
    signed_version: int | None
    due: dt.date | None


def people(document: Document, today: dt.date) -> list[PersonStatus]:
    """Everyone the document is addressed to, by name, with their status (a few queries)."""
    users = list(members(document.id).order_by(User.full_name, User.id))
    latest: dict[int, tuple[Acknowledgment, int]] = {}
    for ack in (Acknowledgment.select(Acknowledgment, DocumentVersion).join(DocumentVersion)
                .where(DocumentVersion.document == document.id).order_by(DocumentVersion.number, Acknowledgment.at)):
        latest[ack.user_id] = (ack, ack.version.number)
    due = due_dates(document)
    fallback = _fallback_due(document) if document.ack_from is not None else None
    result = []
    for user in users:
        signature, number = latest.get(user.id, (None, None))
        status, when = _status(document, number, due.get(user.id, fallback), today)
        result.append(PersonStatus(user, status, signature, number, when))
    return result


def _status(document: Document, signed_number: int | None, due: dt.date | None,
            today: dt.date) -> tuple[str, dt.date | None]:
    """A person's status on the document (and their due date while they owe a signature), from the latest
    version they signed and their reminder's due date."""
    if document.state != "published" or document.ack_from is None:
        return "not_required", None
    if signed_number is not None and signed_number >= document.ack_from:
        return "acknowledged", None
    return ("overdue" if due is not None and today > due else "pending"), due


@functools.lru_cache(maxsize=16)
def _counts_query(size: int | None) -> pw.Select:
    """The one query of :func:`status_counts` (``size`` documents named by id, slots ``document0``... and as many
    owners) or of :func:`status_counts_of_kind` (None: the published documents of slot ``kind``, owner ``owner0``):
    (document id, status, how many people) for every status someone of the audience is in, and a row counting
    nobody for a document addressed to no one. Each (document, person) of the audience (``member_pairs``) gets
    ``_status``'s rule in SQL, with their open reminder read by its key (the version in force's: ``reminders.sync``
    supersedes the others) and the grace period applied to today (``cutoff``) rather than to each date."""
    if size is None:
        chosen = (Document.kind == slot("kind")) & (Document.state == "published")
        line = DocumentAudience.document.in_(Document.select(Document.id).where(chosen))
        owners = [slot("owner0")]
    else:
        ids = list_slots("document", size)
        chosen, line, owners = Document.id.in_(ids), DocumentAudience.document.in_(ids), list_slots("owner", size)
    audience = member_pairs(line).alias("audience")
    user = audience.c.id
    signed = (Acknowledgment.select(pw.SQL("1")).join(DocumentVersion)
              .where((DocumentVersion.document == Document.id) & (DocumentVersion.number >= Document.ack_from)
                     & (Acknowledgment.user == user)))
    key = (pw.Value("document:").concat(pw.Cast(Document.id, "TEXT")).concat(":v")
           .concat(pw.Cast(Document.current_number, "TEXT")).concat(":user:").concat(pw.Cast(user, "TEXT")))
    owned = ((Document.kind == Deadline.owner)  # the owner is the kind's part before its first dot (owner_of)
             | (pw.fn.SUBSTR(Document.kind, 1, pw.fn.LENGTH(Deadline.owner) + 1) == Deadline.owner.concat(".")))
    # state || '' keeps SQLite on the (owner, key) index: with state = 'open' it reads every open deadline of
    # every module through the (state, due) index instead.
    reminder = Deadline.owner.in_(owners) & (Deadline.key == key) & (Deadline.state.concat("") == "open") & owned
    asking = DocumentVersion.alias("asking")  # the version asking for acknowledgment: the fallback due date
    status = pw.Case(None, (
        ((Document.state != "published") | Document.ack_from.is_null(), "not_required"),
        (pw.fn.EXISTS(signed), "acknowledged"),
        (Deadline.id.is_null(False), pw.Case(None, ((Deadline.due < slot("today"), "overdue"),), "pending")),
        (asking.effective_on < slot("cutoff"), "overdue")), "pending")
    pairs = (Document.select(Document.id.alias("document_id"), status.alias("status"), user.alias("user_id"))
             .join(audience, pw.JOIN.LEFT_OUTER, on=(audience.c.document_id == Document.id))
             .join_from(Document, asking, pw.JOIN.LEFT_OUTER,
                        on=((asking.document == Document.id) & (asking.number == Document.ack_from)))
             .join_from(Document, Deadline, pw.JOIN.LEFT_OUTER, on=reminder)
             .where(chosen)).alias("pairs")
    return (pw.Select([pairs], [pairs.c.document_id, pairs.c.status, pw.fn.COUNT(pairs.c.user_id)])
            .group_by(pairs.c.document_id, pairs.c.status))


def _counted(rows, result: dict[int, dict[str, int]]) -> dict[int, dict[str, int]]:
    for document_id, status, count in rows:
        result.setdefault(document_id, {name: 0 for name in STATUSES})[status] = count
    return result


def status_counts(documents: list[Document], today: dt.date) -> dict[int, dict[str, int]]:
    """``counts(people(document, today))`` of many documents (a policy library) in one query, by document id:
    compiled once per size of the list (``medoffice.prepared``) and read raw."""
    if not documents:
        return {}
    ids = [document.id for document in documents]
    size = list_size(len(ids))
    values = {**list_values("document", ids, size),
              **list_values("owner", sorted({owner_of(document) for document in documents}), size),
              "today": today, "cutoff": today - dt.timedelta(days=grace_days())}
    return _counted(prepared.rows(_counts_query(size), ("documents.status_counts", size), **values),
                    {document_id: {name: 0 for name in STATUSES} for document_id in ids})


def status_counts_of_kind(kind: str, today: dt.date) -> dict[int, dict[str, int]]:
    """:func:`status_counts` of every published document of ``kind`` (``api.published``'s) without reading them
    first: one query, compiled once, kept until documents, their reminders or staff change, or users, roles or
    settings (the grace period) do (``medoffice.data_versions``)."""
    values = {"kind": kind, "owner0": owner_of_kind(kind), "today": today,
              "cutoff": today - dt.timedelta(days=grace_days())}
    return kept((DOCUMENTS_VERSION.key, ACCESS_KEY), ("status_counts_of_kind", kind, today, values["cutoff"]),
                lambda: _counted(prepared.rows(_counts_query(None), "documents.status_counts_of_kind", **values), {}))


def counts(statuses: list[PersonStatus]) -> dict[str, int]:
    """How many people are in each status."""
    found = {name: 0 for name in STATUSES}
    for entry in statuses:
        found[entry.status] += 1
    return found


def addressed_condition(user_id, kinds: list[str]) -> pw.Expression:
    """A condition on ``Document``: published, of ``kinds``, addressed to the user (an id or a slot)."""
    return (Document.state == "published") & Document.kind.in_(kinds) & addressed_to(user_id)


def pending_condition(user_id, kinds: list[str]) -> pw.Expression:
    """A condition on ``Document``: published, of ``kinds``, to be acknowledged, addressed to the user (an id
    or a slot) and not yet acknowledged by them."""
    signed = (Acknowledgment.select(pw.SQL("1")).join(DocumentVersion)
              .where((DocumentVersion.document == Document.id) & (DocumentVersion.number >= Document.ack_from)
                     & (Acknowledgment.user == user_id)))
    return ((Document.state == "published") & Document.ack_from.is_null(False)
            & Document.kind.in_(kinds) & addressed_to(user_id)
            & ~pw.fn.EXISTS(signed))


def _pending_for(user_id, kinds: list[str]) -> pw.SelectQuery:
    """Published documents of ``kinds`` addressed to the user (an id or a slot) and not yet
    acknowledged by them."""
    return Document.select().where(pending_condition(user_id, kinds))


def _enabled_kind_names() -> list[str]:
    return [k.name for k in enabled_kinds()]


def pending_documents(user_id: int) -> list[Document]:
    """The documents the user has to acknowledge, by title."""
    return list(_pending_for(user_id, _enabled_kind_names()).order_by(Document.title, Document.id))


def my_due_dates(user_id: int) -> dict[int, dt.date]:
    """{document id: due date} of the user's open acknowledgment deadlines."""
    rows = prepared.run(_MY_DUE_DATES, "documents.my_due_dates", user_id=user_id)
    return {int(key.split(":")[1]): due for key, due in rows}


_MY_DUE_DATES = (Deadline.select(Deadline.key, Deadline.due)
                 .where((Deadline.assignee_user == slot("user_id")) & (Deadline.state == "open")
                        & (Deadline.kind == "core.document_acknowledgment")).tuples())


@functools.lru_cache(maxsize=8)
def _pending_ids_query(kinds: tuple[str, ...]) -> pw.SelectQuery:
    """The ids of the documents of ``kinds`` the user (slot ``user_id``) has to acknowledge; built once per set
    of kinds, since building its subqueries cost more than running it."""
    return _pending_for(slot("user_id"), list(kinds)).select(Document.id).tuples()


def today_summary(user_id: int, today: dt.date) -> tuple[int, int, dt.date | None]:
    """(documents to acknowledge, how many overdue, earliest due date) for the user's Today queue.
    Two queries, each compiled once per set of enabled kinds (``medoffice.prepared``)."""
    kinds = tuple(_enabled_kind_names())
    return kept((DOCUMENTS_VERSION.key, DEADLINES_KEY, ACCESS_KEY), ("today summary", user_id, today, kinds),
                lambda: _today_summary(user_id, today, kinds))


def _today_summary(user_id: int, today: dt.date, kinds: tuple[str, ...]) -> tuple[int, int, dt.date | None]:
    pending = [d for (d,) in prepared.rows(_pending_ids_query(kinds), ("documents.pending_ids", kinds),
                                           user_id=user_id)]
    if not pending:
        return 0, 0, None
    dues = my_due_dates(user_id)
    known = sorted(dues[d] for d in pending if d in dues)
    overdue = sum(1 for due in known if due < today)
    return len(pending), overdue, known[0] if known else None

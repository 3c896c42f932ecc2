"""Who a document is addressed to: roles, locations (their staff), named staff members and users,
resolved to the active users who must read it, in SQL."""
from __future__ import annotations

from dataclasses import dataclass, field

import peewee as pw

from ..models import Location, Role, StaffMember, User, UserRole
from ..prepared import slot
from .models import Document, DocumentAudience


@dataclass(frozen=True)
class Audience:
    """A document's audience as ids: roles, locations, staff members, users."""

    roles: frozenset[int] = field(default_factory=frozenset)
    locations: frozenset[int] = field(default_factory=frozenset)
    staff: frozenset[int] = field(default_factory=frozenset)
    users: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of(cls, roles=(), locations=(), staff=(), users=()) -> "Audience":
        """An audience from iterables of ids (or rows)."""
        def ids(values):
            return frozenset(int(getattr(v, "id", v)) for v in values)
        return cls(ids(roles), ids(locations), ids(staff), ids(users))

    def __bool__(self) -> bool:
        return bool(self.roles or self.locations or self.staff or self.users)

    def rows(self) -> list[dict]:
        """The audience as ``core_document_audience`` column values (without the document)."""
        empty = {"role": None, "location": None, "staff": None, "user": None}
        return ([{**empty, "role": i} for i in sorted(self.roles)]
                + [{**empty, "location": i} for i in sorted(self.locations)]
                + [{**empty, "staff": i} for i in sorted(self.staff)]
                + [{**empty, "user": i} for i in sorted(self.users)])

    def as_dict(self) -> dict:
        """The audience as sorted id lists, for the audit trail."""
        return {"roles": sorted(self.roles), "locations": sorted(self.locations), "staff": sorted(self.staff),
                "users": sorted(self.users)}

    def problem(self) -> str | None:
        """Why these ids do not all name existing roles, locations, staff and users, or None."""
        for model, ids, what in ((Role, self.roles, "role"), (Location, self.locations, "location"),
                                 (StaffMember, self.staff, "staff member"), (User, self.users, "user")):
            if ids and model.select().where(model.id.in_(sorted(ids))).count() != len(ids):
                return f"audience: a {what} chosen does not exist."
        return None


def stored(document: Document) -> Audience:
    """The audience saved for ``document``."""
    rows = list(DocumentAudience.select().where(DocumentAudience.document == document))
    return Audience(frozenset(r.role_id for r in rows if r.role_id), frozenset(r.location_id for r in rows if r.location_id),
                    frozenset(r.staff_id for r in rows if r.staff_id), frozenset(r.user_id for r in rows if r.user_id))


def _lines(document_id, column) -> pw.SelectQuery:
    return DocumentAudience.select(column).where((DocumentAudience.document == document_id) & column.is_null(False))


def members(document_id: int) -> pw.SelectQuery:
    """The active users the document is addressed to, as a query of ``User`` (one SQL statement):
    holders of its roles, staff of its locations who have a login, its named staff's logins, its users."""
    by_role = UserRole.select(UserRole.user).where(UserRole.role.in_(_lines(document_id, DocumentAudience.role)))
    by_location = StaffMember.select(StaffMember.id).where(
        (StaffMember.active == True) & StaffMember.location.in_(_lines(document_id, DocumentAudience.location)))  # noqa: E712
    return User.select().where(
        (User.active == True)  # noqa: E712
        & (User.id.in_(by_role) | User.staff.in_(by_location)
           | User.staff.in_(_lines(document_id, DocumentAudience.staff))
           | User.id.in_(_lines(document_id, DocumentAudience.user))))


def list_size(count: int) -> int:
    """The size of an IN list of slots holding ``count`` values: 8, 16, 32..., so that a prepared query
    compiles once per size rather than once per number of values."""
    size = 8
    while size < count:
        size *= 2
    return size


def list_slots(name: str, size: int) -> list:
    """``size`` slots ``name0``, ``name1``... for an IN list (``medoffice.prepared``)."""
    return [slot(f"{name}{i}") for i in range(size)]


def list_values(name: str, values: list, size: int) -> dict:
    """The values of :func:`list_slots`: ``values`` with the last repeated up to ``size`` (an IN list
    means the same with a value twice); 0 when there are none, which no row's id or name is."""
    values = list(values) or [0]
    return {f"{name}{i}": value for i, value in enumerate(values + [values[-1]] * (size - len(values)))}


def member_pairs(line: pw.Expression) -> pw.SelectQuery:
    """(document id, user id) of the active users the audience lines matching ``line`` (a condition on
    ``DocumentAudience``) address, each pair once: a union of the four ways of being addressed, the rules of
    ``members``."""
    active = User.active == True  # noqa: E712
    by_role = (DocumentAudience.select(DocumentAudience.document, User.id)
               .join(UserRole, on=(UserRole.role == DocumentAudience.role)).join(User, on=(User.id == UserRole.user)))
    by_location = (DocumentAudience.select(DocumentAudience.document, User.id)
                   .join(StaffMember, on=((StaffMember.location == DocumentAudience.location)
                                          & (StaffMember.active == True)))  # noqa: E712
                   .join(User, on=(User.staff == StaffMember.id)))
    by_staff = (DocumentAudience.select(DocumentAudience.document, User.id)
                .join(User, on=(User.staff == DocumentAudience.staff)))
    by_user = (DocumentAudience.select(DocumentAudience.document, User.id)
               .join(User, on=(User.id == DocumentAudience.user)))
    return (by_role.where(line & active) | by_location.where(line & active) | by_staff.where(line & active)
            | by_user.where(line & active))


def addressed_to(user_id) -> pw.Expression:
    """A condition on ``Document``: it is addressed to the user ``user_id`` (an id, or a
    ``medoffice.prepared`` slot): an audience line names them, one of their roles, their staff
    record, or the location of their staff record while it is active. The SQL has the same shape
    for every user, so the queries built on it compile once."""
    user_staff = User.select(User.staff).where(User.id == user_id)
    active_location = (StaffMember.select(StaffMember.location).join(User, on=(User.staff == StaffMember.id))
                       .where((User.id == user_id) & (StaffMember.active == True)))  # noqa: E712
    line = ((DocumentAudience.user == user_id)
            | DocumentAudience.role.in_(UserRole.select(UserRole.role).where(UserRole.user == user_id))
            | DocumentAudience.staff.in_(user_staff)
            | DocumentAudience.location.in_(active_location))
    return pw.fn.EXISTS(DocumentAudience.select(pw.SQL("1"))
                        .where((DocumentAudience.document == Document.id) & line))


def includes(document: Document, user_id: int) -> bool:
    """Whether ``document`` is addressed to the active user ``user_id``."""
    return members(document.id).where(User.id == user_id).exists()


def describe(audience: Audience) -> list[str]:
    """The audience in words for a page: "Role: Front desk", "Location: Main Street", names."""
    words = [f"Role: {r.title}" for r in Role.select().where(Role.id.in_(sorted(audience.roles))).order_by(Role.title)]
    words += [f"Location: {loc.name}" for loc in
              Location.select().where(Location.id.in_(sorted(audience.locations))).order_by(Location.name)]
    words += [f"Staff: {s.display_name}" for s in StaffMember.select()
              .where(StaffMember.id.in_(sorted(audience.staff))).order_by(StaffMember.last_name, StaffMember.first_name)]
    words += [f"User: {u.full_name}" for u in
              User.select().where(User.id.in_(sorted(audience.users))).order_by(User.full_name)]
    return words


def staff_without_login(audience: Audience) -> list[StaffMember]:
    """Named staff members who have no login, so cannot acknowledge in medoffice."""
    if not audience.staff:
        return []
    return list(StaffMember.select().where(StaffMember.id.in_(sorted(audience.staff))
                                           & ~StaffMember.id.in_(User.select(User.staff).where(User.staff.is_null(False))))
                .order_by(StaffMember.last_name))

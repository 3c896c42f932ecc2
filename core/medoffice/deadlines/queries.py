"""Who sees which deadlines; the filters shared by the calendar, the list, the iCalendar file and the
CLI; and the Today groups (counted in SQL).

A deadline is seen by its assignee (the user, or anyone holding the role), by holders of its
escalation role, by whoever holds its kind's permission, and by managers (``core.deadlines.manage``).
Deadlines of a module that is turned off are hidden, like the rest of what it contributes.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import asdict, dataclass

import peewee as pw
from flask import current_app

from .. import prepared
from ..auth.access import can
from ..data_versions import DEADLINES_KEY, kept
from ..prepared import slot
from .kinds import kinds
from .models import STATES, Deadline
from .stages import ESCALATED, WEEK

STATE_FILTERS = {**STATES, "all": "Any state"}
WHEN = {"overdue": "Overdue", "week": "Due this week", "coming": "Coming", "escalated": "Escalated to me"}
_ASSIGNEE = re.compile(r"me|user:[1-9][0-9]{0,9}|role:[a-z0-9_]{1,40}")


class FilterError(ValueError):
    """A filter value that is not one of the choices (the page answers 400 with this message)."""


@dataclass(frozen=True)
class Filters:
    """What to show: by owner module, kind, assignee (``me``, ``user:ID``, ``role:NAME``), state, and
    Today's groups (``when``: overdue, week, coming, escalated; open deadlines only)."""

    owner: str = ""
    kind: str = ""
    assignee: str = ""
    state: str = "open"
    when: str = ""

    def args(self) -> dict:
        """The filters that differ from the defaults, as query-string arguments."""
        return {k: v for k, v in asdict(self).items() if v != getattr(Filters, k)}


def parse_filters(args) -> Filters:
    """The filters of a query string (or any mapping).

    :raises FilterError: a value that is not one of the choices.
    """
    values = {name: (args.get(name) or "").strip() for name in ("owner", "kind", "assignee", "state", "when")}
    values["state"] = values["state"] or "open"
    if len(values["owner"]) > 60 or len(values["kind"]) > 120:
        raise FilterError("That module or kind name is too long.")
    if values["assignee"] and not _ASSIGNEE.fullmatch(values["assignee"]):
        raise FilterError("assignee: use me, user:ID or role:NAME.")
    if values["state"] not in STATE_FILTERS:
        raise FilterError(f"state: use one of {', '.join(STATE_FILTERS)}.")
    if values["when"] and values["when"] not in WHEN:
        raise FilterError(f"when: use one of {', '.join(WHEN)}.")
    return Filters(**values)


def _enabled_owners() -> list[str]:
    return sorted(current_app.extensions["medoffice"].host.enabled())


def _placer(values: dict | None):
    """``place(name, value)``: the value itself, or with ``values`` a ``prepared.slot`` (the value kept in
    ``values``) for a query compiled once per shape."""
    if values is None:
        return lambda name, value: value

    def place(name, value):
        values[name] = value
        return slot(name)
    return place


def _mine(user, place=_placer(None)) -> pw.Expression:
    expression = Deadline.assignee_user == place("user_id", user.id)
    roles = sorted(user.roles)
    return expression | Deadline.assignee_role.in_(roles) if roles else expression


def _visibility(user) -> tuple:
    """What decides which deadlines ``user`` sees: the modules on, whether they manage deadlines, the kinds
    they may read besides their own, their roles."""
    manage = user.has_permission("core.deadlines.manage")
    readable = () if manage else tuple(sorted(name for name, kind in kinds().items() if can(kind.permission, user)))
    return tuple(_enabled_owners()), manage, readable, tuple(sorted(user.roles))


def visible(user, place=_placer(None)) -> pw.Expression:
    """The deadlines ``user`` may see (a WHERE expression)."""
    owners, manage, readable, roles = _visibility(user)
    enabled = Deadline.owner.in_(list(owners))
    if manage:
        return enabled
    theirs = _mine(user, place) | Deadline.escalation_role.in_(list(roles)) if roles else _mine(user, place)
    return enabled & ((Deadline.kind.in_(list(readable)) | theirs) if readable else theirs)


def may_complete(user, deadline: Deadline) -> bool:
    """Managers, the assigned user and holders of the assigned role may mark a deadline done."""
    if user.has_permission("core.deadlines.manage"):
        return True
    return deadline.assignee_user_id == user.id or bool(deadline.assignee_role and deadline.assignee_role in user.roles)


def _when(when: str, user, today: dt.date, place) -> pw.Expression:
    week_end = today + dt.timedelta(days=WEEK)
    if when == "overdue":
        return Deadline.due < place("today", today)
    if when == "week":
        return Deadline.due.between(place("today", today), place("week_end", week_end))
    if when == "coming":
        return (Deadline.due > place("week_end", week_end)) & (Deadline.announce_on <= place("today", today))
    return (Deadline.stage == ESCALATED) & Deadline.escalation_role.in_(sorted(user.roles) or [""])


def filtered(filters: Filters, user, today: dt.date, query=None, values: dict | None = None):
    """``query`` (default: every deadline) narrowed to what ``user`` sees and ``filters`` ask for.

    :param values: for a query run with ``medoffice.prepared`` (keyed by :func:`filtered_shape`): the values
        go in as slots and are put in this dict.
    """
    place = _placer(values)
    query = (query if query is not None else Deadline.select()).where(visible(user, place))
    if filters.owner:
        query = query.where(Deadline.owner == place("owner", filters.owner))
    if filters.kind:
        query = query.where(Deadline.kind == place("kind", filters.kind))
    if filters.assignee == "me":
        query = query.where(_mine(user, place))
    elif filters.assignee.startswith("user:"):
        query = query.where(Deadline.assignee_user == place("assignee_user", int(filters.assignee[5:])))
    elif filters.assignee.startswith("role:"):
        query = query.where(Deadline.assignee_role == place("assignee_role", filters.assignee[5:]))
    if filters.when:
        query = query.where((Deadline.state == "open") & _when(filters.when, user, today, place))
    elif filters.state != "all":
        query = query.where(Deadline.state == place("state", filters.state))
    return query


def filtered_shape(filters: Filters, user) -> tuple:
    """Everything that changes the SQL of ``filtered(..., values=...)`` (not the values): its prepared key."""
    return (_visibility(user), bool(filters.owner), bool(filters.kind), filters.assignee.partition(":")[0],
            filters.when, filters.state == "all")


def today_groups(user, today: dt.date) -> dict[str, tuple[int, dt.date]]:
    """{group: (count, earliest due)} of the open deadlines assigned to ``user`` or their roles that
    need attention: ``overdue``, ``week`` (due within 7 days), ``coming`` (a reminder reached); and
    ``escalated``: overdue ones escalated to a role ``user`` holds. Two grouped queries, each compiled
    once per set of enabled modules and roles (``medoffice.prepared``), kept until a deadline changes
    (``medoffice.data_versions``): Today asks on every load."""
    owners, roles = tuple(_enabled_owners()), tuple(sorted(user.roles))
    return kept(DEADLINES_KEY, ("today_groups", user.id, owners, roles, today),
                lambda: _today_groups(user.id, owners, roles, today))


def _today_groups(user_id: int, owners: tuple[str, ...], roles: tuple[str, ...], today: dt.date) -> dict:
    dates = {"today": today, "week_end": today + dt.timedelta(days=WEEK)}
    rows = prepared.run(_grouped_query(owners, roles), ("deadlines.today_groups", owners, roles),
                        user_id=user_id, **dates)
    result = {name: (count, earliest) for name, count, earliest in rows}
    if roles:
        count, earliest = next(iter(prepared.run(_escalated_query(owners, roles),
                                                 ("deadlines.today_escalated", owners, roles))))
        if count:
            result["escalated"] = (count, earliest)
    return result


def _earliest_due():
    return pw.fn.MIN(Deadline.due).python_value(Deadline.due.python_value)  # SQLite gives text


def _open_of(owners: tuple[str, ...]) -> pw.Expression:
    return (Deadline.state == "open") & Deadline.owner.in_(list(owners))


# Today's two queries are built once per set of modules and roles: building them cost more than running them.
@functools.lru_cache(maxsize=32)
def _grouped_query(owners: tuple[str, ...], roles: tuple[str, ...]):
    today, week_end = slot("today"), slot("week_end")
    group = pw.Case(None, ((Deadline.due < today, "overdue"), (Deadline.due <= week_end, "week")), "coming")
    mine = Deadline.assignee_user == slot("user_id")
    if roles:
        mine |= Deadline.assignee_role.in_(list(roles))
    return (Deadline.select(group, pw.fn.COUNT(Deadline.id), _earliest_due())
            .where(_open_of(owners) & mine & ((Deadline.due <= week_end) | (Deadline.announce_on <= today)))
            .group_by(pw.SQL("1")).tuples())


@functools.lru_cache(maxsize=32)
def _escalated_query(owners: tuple[str, ...], roles: tuple[str, ...]):
    return (Deadline.select(pw.fn.COUNT(Deadline.id), _earliest_due())
            .where(_open_of(owners) & (Deadline.stage == ESCALATED) & Deadline.escalation_role.in_(list(roles)))
            .tuples())

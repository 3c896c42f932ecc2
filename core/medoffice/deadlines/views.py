"""The deadlines pages: a month calendar and a list with the same filters (module, kind, assignee,
state), the iCalendar file of what the filters select, and one deadline's page where it is marked
done with its evidence or waived with a reason. Every route needs ``core.deadlines.view``; waiving
needs ``core.deadlines.manage``; a person sees only the deadlines ``queries.visible`` allows."""
from __future__ import annotations

import calendar as month_grid
import datetime as dt
import json
import re

from flask import Response, abort, current_app, redirect, request, url_for
from markupsafe import Markup, escape
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from .. import audit, prepared
from ..auth.access import can, requires
from ..auth.access_version import KEY as ACCESS_KEY
from ..data_versions import DEADLINES_KEY, kept
from ..limits import EARLIEST_DATE, LATEST_DATE
from ..models import Role, User
from ..plain import PlainSelect
from ..prepared import slot
from ..settings import practice_timezone, today
from ..web import core_blueprint as bp
from ..web.shell import notify, render_page
from ..web.tables import TableColumn, paginate, url_template
from . import ical
from .api import MAX_NOTE, DeadlineError, complete, waive
from .kinds import EVIDENCE, kind_title, kinds
from .models import STATES, Deadline, DeadlineHistory, DeadlineNotice
from .queries import (STATE_FILTERS, WHEN, FilterError, Filters, filtered, filtered_shape, may_complete,
                      parse_filters, visible)
from .stages import stage_label, stage_on, thresholds

MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
CALENDAR_LIMIT = 1000  # deadlines drawn in one month; a month holding more says so
ICS_LIMIT = 5000


class DoneForm(FlaskForm):
    """Marking a deadline done: the note is the evidence when the kind asks for one."""

    note = TextAreaField("Note", validators=[Length(max=MAX_NOTE)])


class WaiveForm(FlaskForm):
    """Waiving a deadline needs a reason."""

    reason = TextAreaField("Reason", validators=[DataRequired("Give the reason this deadline is waived."),
                                                 Length(max=MAX_NOTE)])


def _filters() -> Filters:
    try:
        return parse_filters(request.args)
    except FilterError as exc:
        abort(400, description=str(exc))


def _month() -> dt.date:
    """The first day of the month asked for (``?month=2027-01``), default this month."""
    text = (request.args.get("month") or "").strip()
    if not text:
        return today().replace(day=1)
    found = MONTH.fullmatch(text)
    if not found or not 1 <= int(found[2]) <= 12:
        abort(400, description="month: use the form 2027-01.")
    first = dt.date(int(found[1]), int(found[2]), 1)
    if not EARLIEST_DATE <= first <= LATEST_DATE.replace(day=1):
        abort(400, description=f"month: use a month from {EARLIEST_DATE:%Y-%m} to {LATEST_DATE:%Y-%m}.")
    return first


# The assignee choices, read raw (ids and text): both lists are read on every calendar and list view.
_ROLES = Role.select(Role.name, Role.title).order_by(Role.title)
_ACTIVE_USERS = (User.select(User.id, User.full_name).where(User.active == True)  # noqa: E712
                 .order_by(User.full_name))


def filter_choices(filters: Filters) -> dict:
    """The choices of the filter form's selects (modules on, kinds, assignees, states)."""
    host = current_app.extensions["medoffice"].host
    owners = [(p.name, p.info.title if p.info else p.name) for p in host.ordered() if host.is_enabled(p.name)]
    kind_list = sorted(((k.name, k.title) for k in kinds().values()), key=lambda pair: pair[1].lower())
    assignees = [("me", "Me or my roles")]
    assignees += [(f"role:{name}", f"Role: {title}") for name, title in prepared.rows(_ROLES, "deadlines.roles")]
    assignees += [(f"user:{user_id}", full_name)
                  for user_id, full_name in prepared.rows(_ACTIVE_USERS, "deadlines.active_users")]
    known = {value for value, _label in assignees}
    if filters.assignee and filters.assignee not in known:
        assignees.append((filters.assignee, filters.assignee))
    return {"owners": owners, "kinds": kind_list, "assignees": assignees, "states": list(STATE_FILTERS.items()),
            "when": WHEN}


def assignee_label(deadline: Deadline) -> str:
    """The person, or "Role: ..." (one query per call for a person: used on short lists)."""
    if deadline.assignee_user_id:
        return deadline.assignee_user.full_name
    return f"Role: {deadline.assignee_role.replace('_', ' ')}"


def concerns_url(deadline: Deadline) -> str | None:
    """The page of the object a deadline concerns, when that page still exists."""
    if not deadline.concerns_endpoint or deadline.concerns_endpoint not in current_app.view_functions:
        return None
    try:
        return url_for(deadline.concerns_endpoint, **deadline.concerns_values)
    except (BuildError, ValueError, TypeError):
        return None


# What a calendar entry shows and its stage needs: a month holds dozens, each a model of twenty columns otherwise.
CALENDAR_COLUMNS = (Deadline.id, Deadline.title, Deadline.due, Deadline.state, Deadline.lead_days,
                    Deadline.escalate_after_days, Deadline.escalation_role)


@bp.route("/deadlines")
@requires("core.deadlines.view")
def deadlines():
    """The month calendar of the deadlines the filters select."""
    filters, first, day = _filters(), _month(), today()
    # What the user may see depends on who they are and their roles: kept per user until a deadline or access moves.
    weeks_html, truncated = kept((DEADLINES_KEY, ACCESS_KEY), ("calendar", current_user.id, filters, first, day),
                                 lambda: _calendar(filters, first, day))
    state = current_app.extensions["medoffice"].host.state_version  # the modules on name the owners and kinds
    choices = kept(ACCESS_KEY, ("deadline filter choices", filters, state), lambda: filter_choices(filters))
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    return render_page("deadlines/calendar.html", title="Deadlines", filters=filters, first=first,
                       weeks_html=weeks_html, today=day, truncated=truncated,
                       previous=previous.strftime("%Y-%m") if previous >= EARLIEST_DATE else None,
                       following=following.strftime("%Y-%m") if following <= LATEST_DATE else None,
                       choices=choices, breadcrumbs=[("Deadlines", None)])


def _calendar(filters: Filters, first: dt.date, day: dt.date) -> tuple[Markup, bool]:
    """The month's cells with the deadlines the filters select, and whether there were more than it shows."""
    weeks = month_grid.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    values = {"start": weeks[0][0], "end": weeks[-1][-1], "limit": CALENDAR_LIMIT + 1}
    query = (filtered(filters, current_user, day, PlainSelect(Deadline, CALENDAR_COLUMNS), values)
             .where(Deadline.due.between(slot("start"), slot("end")))
             .order_by(Deadline.due, Deadline.title).limit(slot("limit")))
    rows = prepared.run(query, ("deadlines.calendar", filtered_shape(filters, current_user)), **values)
    by_day: dict[dt.date, list] = {}
    entry = _calendar_entries(day, url_template("core.deadline", "deadline_id"))
    for row in rows[:CALENDAR_LIMIT]:
        by_day.setdefault(row.due, []).append(entry(row))
    entries = {due: f"<ul>\n        {''.join(items)}\n      </ul>" for due, items in by_day.items()}
    return _weeks_html(weeks, first, day, entries), len(rows) > CALENDAR_LIMIT


def _weeks_html(weeks: list, first: dt.date, today: dt.date, entries: dict[dt.date, str]) -> Markup:
    """The calendar's rows, a cell a day with its entries, written here with the template's whitespace
    (~40 cells of a few expressions each were most of the template's time)."""
    html = []
    for week in weeks:
        cells = []
        for day in week:
            other = "other-month" if day.month != first.month else ""
            cells.append(f'\n    <td class="{other}{" today" if day == today else ""}" data-date="{day.isoformat()}">'
                         f'\n      <span class="day-number">{day.day}</span>\n      {entries.get(day, "")}'
                         f'\n    </td>\n    ')
        html.append(f"\n  <tr>\n    {''.join(cells)}\n  </tr>\n  ")
    return Markup(f"\n  {''.join(html)}\n  ")


def _calendar_entries(day: dt.date, link):
    """``entry(row)``: a deadline (a ``CALENDAR_COLUMNS`` row) in its day's list on the calendar, written here
    rather than by a template loop (a month holds dozens), with the template's whitespace. The stage and its
    label are worked out once per due date and reminder plan: a month's deadlines share a few."""
    stages: dict[tuple, tuple[str, str]] = {}

    def entry(row) -> str:
        plan = (row.state, row.due, row.lead_days, row.escalate_after_days, bool(row.escalation_role))
        found = stages.get(plan)
        if found is None:
            stage = row.state if row.state != "open" else stage_on(
                row.due, day, Deadline.lead_tuple.fget(row), escalate_after_days=row.escalate_after_days,
                escalates=bool(row.escalation_role))
            found = stages[plan] = (escape(stage), escape(stage_label(stage)))
        return (f'\n        <li class="deadline-entry stage-{found[0]}"><a href="{link(row.id)}" '
                f'title="{found[1]}">{escape(row.title)}</a></li>\n        ')
    return entry


@bp.route("/deadlines/list")
@requires("core.deadlines.view")
def deadlines_list():
    """The deadlines the filters select as a list (Today's groups link here)."""
    filters, day = _filters(), today()
    link = url_template("core.deadline", "deadline_id")
    users = {u.id: u.full_name for u in User.select(User.id, User.full_name)}
    columns = [
        TableColumn("due", "Due", Deadline.due, kind="date"),
        TableColumn("title", "Deadline", Deadline.title, link=lambda d: link(d.id)),
        TableColumn("kind", "Kind", Deadline.kind, value=lambda d: kind_title(d.kind)),
        TableColumn("owner", "Module", Deadline.owner),
        TableColumn("assignee", "Assigned to", None, value=lambda d: users.get(d.assignee_user_id)
                    or f"Role: {d.assignee_role.replace('_', ' ')}"),
        TableColumn("stage", "Stage", None, value=lambda d: stage_label(d.stage_on(day))
                    if d.state == "open" else STATES.get(d.state, d.state)),
    ]
    table = paginate(filtered(filters, current_user, day), id="deadlines-table", columns=columns,
                     search=lambda text: Deadline.title.contains(text), default_sort="due",
                     endpoint="core.deadlines_list", endpoint_args=filters.args(), noun="deadline",
                     noun_plural="deadlines", search_placeholder="Search titles",
                     empty_message="No deadlines match these filters.")
    return render_page("deadlines/list.html", title="Deadlines", table=table, filters=filters,
                       choices=filter_choices(filters), breadcrumbs=[("Deadlines", url_for("core.deadlines")),
                                                                     ("List", None)])


@bp.route("/deadlines/deadlines.ics")
@requires("core.deadlines.view")
def deadlines_ics():
    """The deadlines the filters select as an iCalendar file (audited: it leaves the application)."""
    filters, day = _filters(), today()
    rows = list(filtered(filters, current_user, day).order_by(Deadline.due, Deadline.id).limit(ICS_LIMIT))
    link = url_template("core.deadline", "deadline_id")
    root = request.host_url.rstrip("/")
    body = ical.calendar(rows, today=day, name="Deadlines", domain=request.host.split(":")[0] or "medoffice",
                         link=lambda d: root + link(d.id))
    audit.record("deadlines.export_ics", "core_deadline", "", detail={"count": len(rows), **filters.args()})
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="deadlines.ics"'})


def _visible_or_404(deadline_id: int) -> Deadline:
    deadline = Deadline.get_or_none((Deadline.id == deadline_id) & visible(current_user))
    if deadline is None:
        abort(404)
    return deadline


def _detail(deadline: Deadline, done_form=None, waive_form=None, status: int = 200, problem: str = ""):
    day = today()
    history = list(DeadlineHistory.select().where(DeadlineHistory.deadline == deadline)
                   .order_by(DeadlineHistory.at.desc(), DeadlineHistory.id.desc()))
    notices = list(DeadlineNotice.select().where(DeadlineNotice.deadline == deadline)
                   .order_by(DeadlineNotice.sent_at.desc()))
    done_form = done_form or DoneForm()
    done_form.note.label.text = "Evidence note" if deadline.evidence in ("note", "note_or_file") else "Note (optional)"
    body = render_page("deadlines/deadline.html", title=deadline.title, d=deadline, today=day,
                       stage=deadline.stage_on(day), stage_label=stage_label,
                       reminders=thresholds(deadline.lead_tuple), kind=kind_title(deadline.kind),
                       evidence=EVIDENCE.get(deadline.evidence, deadline.evidence),
                       assignee=assignee_label(deadline), concerns=concerns_url(deadline),
                       history=[(h, json.loads(h.detail)) for h in history],
                       notices=[(n, json.loads(n.recipients)) for n in notices], timezone=practice_timezone(),
                       states=STATES, problem=problem, done_form=done_form, waive_form=waive_form or WaiveForm(),
                       may_complete=deadline.state == "open" and may_complete(current_user, deadline),
                       may_waive=deadline.state == "open" and can("core.deadlines.manage"),
                       breadcrumbs=[("Deadlines", url_for("core.deadlines")), (deadline.title, None)])
    return body, status


@bp.route("/deadlines/<int:deadline_id>")
@requires("core.deadlines.view")
def deadline(deadline_id: int):
    """One deadline: what it concerns, its dates and stage, its history and reminders; done and waive."""
    return _detail(_visible_or_404(deadline_id))


@bp.route("/deadlines/<int:deadline_id>/done", methods=["POST"])
@requires("core.deadlines.view")
def deadline_done(deadline_id: int):
    """Mark a deadline done with the evidence its kind asks for (its assignee or a manager)."""
    row = _visible_or_404(deadline_id)
    if not may_complete(current_user, row):
        abort(403)
    form = DoneForm()
    if form.validate_on_submit():
        try:
            complete(row.id, note=form.note.data or "")
        except DeadlineError as exc:
            if Deadline.get_by_id(row.id).state != "open":  # closed meanwhile: the form is gone
                return _detail(Deadline.get_by_id(row.id), status=422, problem=str(exc))
            form.note.errors = [str(exc)]
        else:
            notify(f"Marked done: {row.title}.")
            return redirect(url_for("core.deadline", deadline_id=row.id))
    return _detail(row, done_form=form, status=422)


@bp.route("/deadlines/<int:deadline_id>/waive", methods=["POST"])
@requires("core.deadlines.manage")
def deadline_waive(deadline_id: int):
    """Waive a deadline: it no longer needs doing, for the reason given."""
    row = _visible_or_404(deadline_id)
    form = WaiveForm()
    if form.validate_on_submit():
        try:
            waive(row.id, form.reason.data or "")
        except DeadlineError as exc:
            if Deadline.get_by_id(row.id).state != "open":  # closed meanwhile: the form is gone
                return _detail(Deadline.get_by_id(row.id), status=422, problem=str(exc))
            form.reason.errors = [str(exc)]
        else:
            notify(f"Waived: {row.title}.")
            return redirect(url_for("core.deadline", deadline_id=row.id))
    return _detail(row, waive_form=form, status=422)

"""Time and leave pages: one's own clock, timesheet, PIN, balances and requests; the front-desk
kiosk; timesheets for supervisors and HR (corrections with reasons, approval); leave requests to
decide and the team calendar."""
from __future__ import annotations

import calendar
import datetime as dt
import functools
from types import SimpleNamespace

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.limits import date_problem
from medoffice.models import StaffMember
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.settings import practice_timezone, today
from medoffice.web.forms import choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import JOIN

from .. import leave, rules, time_rules, timeclock, timesheets
from ..access import my_staff_id
from ..employees import HrError, employment_of
from ..models import PEOPLE, Employment
from ..time_models import LEAVE, TIME_ENTRIES, KioskPin, LeavePolicy, LeaveRequest, TimeEntry, Timesheet
from . import bp
from .time_forms import (AddTimeForm, ApproveForm, CorrectForm, DecideForm, KioskForm, LeaveRequestForm, PinForm,
                         PunchForm, ReasonForm)


def _my_employment() -> Employment:
    mine = my_staff_id()
    employment = employment_of(mine) if mine else None
    if employment is None:
        abort(404)
    return employment


def _supervises(employment: Employment) -> bool:
    """HR with the time permission, or the employee's supervisor."""
    return can("hr.time.manage") or (my_staff_id() is not None and employment.supervisor_id == my_staff_id())


def _period_entries(employment: Employment, start: dt.date, end: dt.date) -> list[TimeEntry]:
    zone = practice_timezone()
    since = dt.datetime.combine(start, dt.time(), zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone)
    return list(TimeEntry.select().where((TimeEntry.employment == employment) & (TimeEntry.started_at >= since)
                                         & (TimeEntry.started_at < until)).order_by(TimeEntry.started_at))


def _leave_form(employment: Employment, form: LeaveRequestForm | None = None) -> LeaveRequestForm:
    form = form or LeaveRequestForm(formdata=None)
    form.policy.choices = choices([(str(p.id), p.name) for p in leave.policies_for(employment)])
    return form


def _my_time_page(status: int = 200, **forms):
    employment = _my_employment()
    start, end = timesheets.period_of(today())
    regular, overtime = timesheets.hours_of([employment], start, end)[employment.id]
    return render_page("hr/my_time.html", title="My time and leave", employment=employment,
                       state=timeclock.state(employment), punch_form=PunchForm(formdata=None),
                       pin_form=forms.get("pin_form") or PinForm(formdata=None),
                       has_pin=KioskPin.select().where(KioskPin.employment == employment).exists(),
                       period=(start, end), entries=_period_entries(employment, start, end), regular=regular,
                       overtime=overtime, sheets=list(employment.timesheets.order_by(Timesheet.period_start.desc()).limit(12)),
                       balances=leave.balances(employment), leave_form=_leave_form(employment, forms.get("leave_form")),
                       requests=list(employment.leave_requests.order_by(LeaveRequest.starts_on.desc()).limit(20)),
                       hours=time_rules.hours_text, statuses=time_rules.LEAVE_STATUSES,
                       cancel_form=ApproveForm(formdata=None)), status


@bp.route("/me/time")
@requires("hr.self.view")
def my_time():
    """One's own clock, this period's time, timesheets, leave balances and requests."""
    mine = my_staff_id()
    if mine is None or employment_of(mine) is None:
        return render_page("hr/no_file.html", title="My time and leave")
    return _my_time_page()


@bp.route("/me/time/punch", methods=["POST"])
@requires("hr.self.view")
def my_punch():
    """Clock in, out or a break from one's own login."""
    employment = _my_employment()
    form = PunchForm()
    if not form.validate_on_submit():
        notify("Choose clock in, a break, back from a break, or clock out.", "error")
        return _my_time_page(422)
    try:
        timeclock.punch(employment, form.action.data, "self")
    except HrError as refused:
        notify(str(refused), "error")
        return _my_time_page(422)
    notify(dict(timeclock.ACTIONS)[form.action.data] + ": recorded.")
    return redirect(url_for("hr.my_time"))


@bp.route("/me/time/pin", methods=["POST"])
@requires("hr.self.view")
def my_pin():
    """Set one's own kiosk PIN."""
    employment = _my_employment()
    form = PinForm()
    if form.validate_on_submit():
        try:
            timeclock.set_pin(employment, form.pin.data)
        except HrError as refused:
            form.pin.errors = [str(refused)]
        else:
            notify("Kiosk PIN set.")
            return redirect(url_for("hr.my_time"))
    return _my_time_page(422, pin_form=form)


@bp.route("/me/leave", methods=["POST"])
@requires("hr.self.view")
def my_leave_request():
    """Ask for leave."""
    employment = _my_employment()
    form = _leave_form(employment, LeaveRequestForm())
    if form.validate_on_submit():
        policy = LeavePolicy.get_or_none(LeavePolicy.id == int(form.policy.data))
        try:
            minutes = time_rules.parse_hours(form.hours.data)
            leave.request_leave(employment, policy, form.starts_on.data, form.ends_on.data, minutes,
                                (form.note.data or "").strip())
        except HrError as refused:
            getattr(form, refused.field, form.hours).errors = [str(refused)]
        except ValueError as bad:
            form.hours.errors = [str(bad)]
        else:
            notify("Leave requested: your supervisor decides.")
            return redirect(url_for("hr.my_time"))
    return _my_time_page(422, leave_form=form)


def _request_or_404(request_id: int) -> LeaveRequest:
    found = LeaveRequest.get_or_none(LeaveRequest.id == request_id)
    if found is None:
        abort(404)
    return found


@bp.route("/leave/<int:request_id>/cancel", methods=["POST"])
@requires("hr.self.view")
def leave_cancel(request_id: int):
    """Cancel a request: the employee their own pending one; HR or the supervisor any."""
    found = _request_or_404(request_id)
    own = found.employment.staff_id == my_staff_id()
    if not (_supervises(found.employment) or (own and found.status == "pending")):
        abort(404)
    if not ApproveForm().validate_on_submit():
        abort(400)
    try:
        leave.cancel(found, current_user.username)
    except HrError as refused:
        notify(str(refused), "error")
    else:
        notify("Request cancelled.")
    return redirect(url_for("hr.my_time") if own else url_for("hr.leave_requests"))


_KIOSK_PEOPLE = (Employment.select(Employment.id, StaffMember.last_name, StaffMember.first_name, StaffMember.credentials)
                 .join(StaffMember, on=(Employment.staff == StaffMember.id))
                 .join(KioskPin, on=(KioskPin.employment == Employment.id))
                 .where(Employment.status != "ended").order_by(StaffMember.last_name, StaffMember.first_name).tuples())


@bp.route("/kiosk", methods=["GET", "POST"])
@requires("hr.kiosk.use")
def kiosk():
    """The shared front-desk clock: a person picks their name, types their PIN and punches."""
    form = KioskForm()
    people = prepared.run(_KIOSK_PEOPLE, "hr.kiosk_people")
    form.staff.choices = choices([("", "—")] + [(str(i), rules.display_name(*names)) for i, *names in people])
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit() and form.staff.data:
            employment = Employment.get_by_id(int(form.staff.data))
            try:
                if timeclock.check_pin(employment, form.pin.data):
                    timeclock.punch(employment, form.action.data, "kiosk")
                    notify(f"{employment.staff.first_name}: {dict(timeclock.ACTIONS)[form.action.data].lower()} "
                           "recorded.")
                    return redirect(url_for("hr.kiosk"))
                form.pin.errors = ["That PIN is not right."]
            except HrError as refused:
                form.pin.errors = [str(refused)]
        elif not form.staff.data:
            form.staff.errors = ["Choose your name."]
    form.pin.data = ""
    return render_page("hr/kiosk.html", title="Time clock", form=form), status


_PERIOD_SHEETS = (PlainSelect(Employment, [Employment.id, Employment.flsa_exempt, StaffMember.id.alias("staff_id"),
                                             StaffMember.first_name, StaffMember.last_name, StaffMember.credentials,
                                             Timesheet.status])
                  .join(StaffMember, on=(Employment.staff == StaffMember.id))
                  .join(Timesheet, JOIN.LEFT_OUTER, on=((Timesheet.employment == Employment.id)
                                                        & (Timesheet.period_start == slot("start"))))
                  .where(Employment.status != "ended"))
_PERIOD_SHEETS_OF_REPORTS = _PERIOD_SHEETS.where(Employment.supervisor == slot("supervisor"))
# What a list of the period's sheets counts: its rows without the joins, which add a column each but never a
# row (every employment has its staff member; a period has at most one sheet per employment).
_CURRENT = Employment.select(Employment.id).where(Employment.status != "ended")
_CURRENT_REPORTS = _CURRENT.where(Employment.supervisor == slot("supervisor"))


@functools.lru_cache(maxsize=None)
def _status_chip(status: str) -> Markup:
    """A timesheet's status as ``ui.chip`` shows it, built once per status: core's status cells format
    their markup per row, a tenth of this list's time."""
    return Markup('<span class="chip chip-{}">{}</span>').format(status, status.capitalize())


@bp.route("/timesheets")
@requires("hr.self.view")
def timesheets_page():
    """Timesheets of a pay period: HR's for everyone, a supervisor's for their reports."""
    try:
        day = dt.date.fromisoformat(request.args.get("day", "")) if request.args.get("day") else today()
    except ValueError:
        abort(400)
    if date_problem(day):
        abort(400)
    start, end = timesheets.period_of(day)
    everyone = can("hr.time.manage")
    query = _PERIOD_SHEETS if everyone else _PERIOD_SHEETS_OF_REPORTS
    link = url_template("hr.timesheet", "staff_id", start=start.isoformat())
    hours: dict[int, tuple[int, int]] = {}  # filled for the page's rows once they are read
    table = paginate(
        query, id="timesheets-table",
        columns=[
            TableColumn("name", "Employee", sort=StaffMember.last_name,
                        value=lambda p: rules.display_name(p.last_name, p.first_name, p.credentials),
                        link=lambda p: link(p.staff_id)),
            TableColumn("regular", "Regular", numeric=True, value=lambda p: time_rules.hours_text(hours[p.id][0])),
            TableColumn("overtime", "Overtime", numeric=True, value=lambda p: time_rules.hours_text(hours[p.id][1])),
            TableColumn("status", "Status", sort=Timesheet.status, value=lambda p: _status_chip(p.status or "open")),
        ],
        search=lambda text: (StaffMember.last_name ** f"%{text}%") | (StaffMember.first_name ** f"%{text}%"),
        default_sort="name", endpoint="hr.timesheets_page",
        endpoint_args={"day": request.args["day"]} if request.args.get("day") else {},
        key=("hr.timesheets", everyone), values={"start": start, "supervisor": my_staff_id() or 0},
        kept_by=(PEOPLE.key, STAFF_KEY, TIME_ENTRIES.key),  # the hours shown too
        count_query=_CURRENT if everyone else _CURRENT_REPORTS,
        noun="employee", noun_plural="employees", search_placeholder="Name",
        empty_message="Nobody whose time you approve.")
    hours.update(timesheets.hours_of(table.rows, start, end))
    return render_page("hr/timesheets.html", title="Timesheets", table=table, period=(start, end),
                       previous=start - dt.timedelta(days=1), following=end + dt.timedelta(days=1))


def _employment_and_period(staff_id: int, start_text: str) -> tuple[Employment, dt.date, dt.date]:
    """The employment of ``staff_id`` (kept until employments change: shared by the requests that follow, read, do
    not change) and the pay period starting on ``start_text``; 404 unless the viewer supervises it and the period
    is one."""
    employment = kept(PEOPLE.key, ("employment of", staff_id), lambda: employment_of(staff_id))
    if employment is None or not _supervises(employment):
        abort(404)
    try:
        start = dt.date.fromisoformat(start_text)
    except ValueError:
        abort(404)
    if date_problem(start):
        abort(404)
    period = timesheets.period_of(start)
    if period[0] != start:
        abort(404)
    return employment, period[0], period[1]


def _timesheet_content(employment: Employment, start: dt.date, end: dt.date, forms: dict) -> tuple[str, str]:
    """The period's timesheet as everyone who supervises it sees it: (its title, its HTML with the CSRF token a
    slot). ``forms`` are refused ones (or the problem refusing an action), shown again."""
    regular, overtime = timesheets.hours_of([employment], start, end)[employment.id]
    title = f"Timesheet of {StaffMember.get_by_id(employment.staff_id).display_name}"  # not the kept employment's
    html = render_template("hr/_timesheet.html", title=title, employment=employment, period=(start, end),
                           entries=_period_entries(employment, start, end), sheet=timesheets.sheet(employment, start),
                           regular=regular, overtime=overtime, fmt=time_rules.hours_text,
                           approve_form=ApproveForm(formdata=None),
                           reopen_form=forms.get("reopen_form") or ReasonForm(formdata=None),
                           add_form=forms.get("add_form") or AddTimeForm(formdata=None),
                           correct_form=CorrectForm(formdata=None), problem=forms.get("problem"))
    return title, slotted(html)


def _timesheet_page(employment: Employment, start: dt.date, end: dt.date, status: int = 200, **forms):
    """A period's timesheet: kept until time, timesheets, employments, the staff or the users (who approved, who
    corrected) change; built afresh to show refused ``forms``."""
    if forms:
        title, html = _timesheet_content(employment, start, end, forms)
    else:
        title, html = kept_part((TIME_ENTRIES.key, PEOPLE.key, STAFF_KEY), ("timesheet", employment.id, start),
                                lambda: _timesheet_content(employment, start, end, {}))
    return render_page("hr/timesheet.html", title=title, content=with_csrf_token(html),
                       breadcrumbs=[("Timesheets", url_for("hr.timesheets_page", day=start.isoformat()))]), status


@bp.route("/timesheets/<int:staff_id>/<start>")
@requires("hr.self.view")
def timesheet(staff_id: int, start: str):
    """One employee's period: entries, totals, corrections, approval."""
    return _timesheet_page(*_employment_and_period(staff_id, start))


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=practice_timezone()).astimezone(dt.timezone.utc)


@bp.route("/timesheets/<int:staff_id>/<start>/approve", methods=["POST"])
@requires("hr.self.view")
def timesheet_approve(staff_id: int, start: str):
    """Approve the period (the supervisor or HR)."""
    employment, first, last = _employment_and_period(staff_id, start)
    if not ApproveForm().validate_on_submit():
        abort(400)
    try:
        timesheets.approve(employment, first, current_user.username)
    except HrError as refused:
        return _timesheet_page(employment, first, last, 422, problem=str(refused))
    notify("Timesheet approved.")
    return redirect(url_for("hr.timesheet", staff_id=staff_id, start=start))


@bp.route("/timesheets/<int:staff_id>/<start>/reopen", methods=["POST"])
@requires("hr.self.view")
def timesheet_reopen(staff_id: int, start: str):
    """Reopen an approved period for corrections, with the reason."""
    employment, first, last = _employment_and_period(staff_id, start)
    form = ReasonForm()
    sheet = timesheets.sheet(employment, first)
    if sheet is None:
        abort(404)
    if form.validate_on_submit():
        try:
            timesheets.reopen(sheet, form.reason.data, current_user.username)
        except HrError as refused:
            return _timesheet_page(employment, first, last, 422, problem=str(refused))
        notify("Timesheet reopened.")
        return redirect(url_for("hr.timesheet", staff_id=staff_id, start=start))
    return _timesheet_page(employment, first, last, 422, reopen_form=form)


@bp.route("/timesheets/<int:staff_id>/<start>/entries", methods=["POST"])
@requires("hr.self.view")
def time_add(staff_id: int, start: str):
    """Enter forgotten time by hand, with the reason (audited)."""
    employment, first, last = _employment_and_period(staff_id, start)
    form = AddTimeForm()
    if form.validate_on_submit():
        try:
            timeclock.add_missing(employment, form.kind.data, _aware(form.started_at.data), _aware(form.ended_at.data),
                                  form.reason.data, current_user.username)
        except HrError as refused:
            getattr(form, refused.field, form.started_at).errors = [str(refused)]
        else:
            notify("Time added.")
            return redirect(url_for("hr.timesheet", staff_id=staff_id, start=start))
    return _timesheet_page(employment, first, last, 422, add_form=form)


@bp.route("/timesheets/<int:staff_id>/<start>/entries/<int:entry_id>", methods=["POST"])
@requires("hr.self.view")
def time_correct(staff_id: int, start: str, entry_id: int):
    """Correct an entry, with the reason (audited with the before and after)."""
    employment, first, last = _employment_and_period(staff_id, start)
    entry = TimeEntry.get_or_none((TimeEntry.id == entry_id) & (TimeEntry.employment == employment))
    if entry is None:
        abort(404)
    form = CorrectForm()
    if form.validate_on_submit():
        try:
            timeclock.correct(entry, _aware(form.started_at.data), _aware(form.ended_at.data), form.reason.data,
                              current_user.username)
        except HrError as refused:
            return _timesheet_page(employment, first, last, 422, problem=str(refused))
        notify("Time corrected.")
        return redirect(url_for("hr.timesheet", staff_id=staff_id, start=start))
    return _timesheet_page(employment, first, last, 422,
                           problem="Give the start, the end and the reason for the correction.")


def _month(text: str | None) -> dt.date:
    if not text:
        return today().replace(day=1)
    try:
        month = dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        abort(400)
    if date_problem(month):
        abort(400)
    return month


def _leave_query(manage: bool):
    query = (LeaveRequest.select(LeaveRequest.id, LeaveRequest.starts_on, LeaveRequest.ends_on, LeaveRequest.minutes,
                                 LeaveRequest.note, LeaveRequest.status, Employment.staff.alias("staff_id"),
                                 StaffMember.first_name, StaffMember.last_name, StaffMember.credentials,
                                 LeavePolicy.name.alias("policy"))
             .join(Employment).join(StaffMember, on=(Employment.staff == StaffMember.id)).switch(LeaveRequest)
             .join(LeavePolicy).order_by(LeaveRequest.starts_on).objects(SimpleNamespace))
    if not manage:
        query = query.where((Employment.supervisor == slot("mine")) | (Employment.staff == slot("mine")))
    return query


# Built once (HR's, or a supervisor's and their own): the pending requests, and those of a month.
_IN_MONTH = (LeaveRequest.status.in_(("pending", "approved")) & (LeaveRequest.starts_on <= slot("last"))
             & (LeaveRequest.ends_on >= slot("first")))
_PENDING_LEAVE = {manage: _leave_query(manage).where(LeaveRequest.status == "pending") for manage in (True, False)}
_MONTH_LEAVE = {manage: _leave_query(manage).where(_IN_MONTH) for manage in (True, False)}


def _leave_of(manage: bool, mine: int, first: dt.date, last: dt.date) -> tuple[list, list]:
    """(pending requests, requests of the month): kept until requests, policies, employments or staff change."""
    def read() -> tuple[list, list]:
        pending = list(prepared.run(_PENDING_LEAVE[manage], ("hr.leave.pending", manage), mine=mine))
        month = list(prepared.run(_MONTH_LEAVE[manage], ("hr.leave.month", manage), mine=mine, first=first,
                                  last=last))
        return pending, month
    return kept((LEAVE.key, PEOPLE.key, STAFF_KEY), ("leave", manage, mine, first), read)


@bp.route("/leave")
@requires("hr.self.view")
def leave_requests():
    """Requests waiting for the viewer's decision and the team calendar of a month."""
    first = _month(request.args.get("month"))
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    manage = can("hr.leave.manage")
    mine = my_staff_id()
    pending, month = _leave_of(manage, mine or 0, first, last)
    days = {}
    for found in month:
        day = max(found.starts_on, first)
        while day <= min(found.ends_on, last):
            days.setdefault(day, []).append(found)
            day += dt.timedelta(days=1)
    weeks = calendar.Calendar(firstweekday=6).monthdatescalendar(first.year, first.month)
    return render_page("hr/leave.html", title="Leave", pending=[p for p in pending if p.staff_id != mine],
                       weeks=weeks, days=days, month=first, previous=(first - dt.timedelta(days=1)).strftime("%Y-%m"),
                       following=(last + dt.timedelta(days=1)).strftime("%Y-%m"), decide_form=DecideForm(formdata=None),
                       hours=time_rules.hours_text, display_name=rules.display_name)


@bp.route("/leave/<int:request_id>/decide", methods=["POST"])
@requires("hr.self.view")
def leave_decide(request_id: int):
    """Approve or deny a request: the employee's supervisor or HR, never the employee themselves."""
    found = _request_or_404(request_id)
    mine = my_staff_id()
    if found.employment.staff_id == mine or not (can("hr.leave.manage") or (
            mine is not None and found.employment.supervisor_id == mine)):
        abort(404)
    form = DecideForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        leave.decide(found, form.decision.data == "approve", (form.note.data or "").strip(), current_user.username)
    except HrError as refused:
        notify(str(refused), "error")
    else:
        notify("Request approved." if form.decision.data == "approve" else "Request denied.")
    return redirect(url_for("hr.leave_requests"))

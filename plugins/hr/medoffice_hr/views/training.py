"""Training and certifications: the courses, who is due or overdue, one person's training (HR
records completions and certifications; the person sees their own), certificates."""
from __future__ import annotations

import datetime as dt
import math
from typing import NamedTuple

from flask import Response, abort, redirect, render_template, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import dates, files, prepared
from medoffice.auth import can, requires
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.models import StaffMember
from medoffice.plain import PlainSelect
from medoffice.settings import today
from medoffice.web.crud import CrudPages
from medoffice.web.forms import choices, form_values, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import page_number
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, url_template

from .. import raw, rules, training
from ..access import FULL, require_relation
from ..employees import HrError, employment_of
from ..models import PEOPLE, Employment
from ..training_models import TRAINING_FIGURES, Certification, Course, CourseCompletion
from . import bp
from .training_forms import AcknowledgeForm, CertificationForm, CompletionForm, CourseForm

COURSES = CrudPages(bp, Course, CourseForm, name="course", noun="course", view_permission="hr.training.manage",
                    edit_permission="hr.training.manage",
                    columns=[TableColumn("name", "Course", sort=Course.name,
                                         link=lambda c: url_for("hr.course_detail", record_id=c.id)),
                             TableColumn("job_title", "For", value=lambda c: c.job_title or "Everyone"),
                             TableColumn("due_days_after_hire", "Days after hire", kind="number"),
                             TableColumn("repeat_months", "Repeat (months)", value=lambda c: c.repeat_months or "Once"),
                             TableColumn("active", "Active", kind="boolean")],
                    default_sort="name", search=lambda text: Course.name ** f"%{text}%", title_of=lambda c: c.name,
                    kept_by=TRAINING_FIGURES.key)
COURSES.register()


# The overview's queries, compiled once (see medoffice.prepared): the current employees with what
# their courses depend on, and the 50 certifications that expire first.
_CURRENT = (Employment.select(Employment.id, Employment.hire_date, Employment.job_title,
                              StaffMember.id.alias("staff_id"), StaffMember.last_name, StaffMember.first_name,
                              StaffMember.credentials)
            .join(StaffMember, on=(Employment.staff == StaffMember.id)).where(Employment.status != "ended")
            .order_by(StaffMember.last_name, StaffMember.first_name).tuples())
_EXPIRING = (PlainSelect(Certification, [Certification.name, Certification.expires_on, StaffMember.id.alias("staff_id"),
                                          StaffMember.last_name, StaffMember.first_name, StaffMember.credentials])
             .join(Employment).join(StaffMember, on=(Employment.staff == StaffMember.id))
             .where(Certification.removed_at.is_null() & Certification.expires_on.is_null(False)
                    & (Employment.status != "ended"))
             .order_by(Certification.expires_on).limit(50))


class _Current(NamedTuple):
    """A current employee as the overview reads them."""

    id: int
    hire_date: dt.date
    job_title: str
    staff_id: int
    last_name: str
    first_name: str
    credentials: str


DUE_PER_PAGE = 25  # each person's training page has all of theirs


@bp.route("/training")
@requires("hr.training.manage")
def training_overview():
    """Every current employee's courses that are overdue or due within 30 days, soonest first, a page
    (``DUE_PER_PAGE``) at a time, and the certifications that expire first."""
    now = today()
    due, expiring = kept((TRAINING_FIGURES.key, STAFF_KEY), ("overview", now), lambda: _due_and_expiring(now))
    pages = max(1, math.ceil(len(due) / DUE_PER_PAGE))
    page = min(page_number(), pages)
    link, day = url_template("hr.employee_training", "staff_id"), dates.pattern()
    shown = due[(page - 1) * DUE_PER_PAGE:page * DUE_PER_PAGE]
    return render_page("hr/training.html", title="Training and certifications", due_count=len(due), page=page,
                       pages=pages, due=_rows(link, day, now, shown, "Overdue", with_last=True),
                       expiring=_rows(link, day, now, [(c, c.name, None, c.expires_on) for c in expiring], "Expired"))


def _due_and_expiring(now: dt.date) -> tuple[list, list]:
    """The current employees' courses due within 30 days, soonest first, and the 50 certifications that expire
    first: kept until employments, courses, completions, certifications or staff change."""
    found = prepared.run(_CURRENT, "hr.training.people").cursor.fetchall()  # raw rows: a hundred people
    parse_day = raw.day
    employments = [_Current(i, parse_day(hired), title, staff, last, first, credentials)
                   for i, hired, title, staff, last, first, credentials in found]
    return (training.due_by(employments, now + dt.timedelta(days=30)),
            list(prepared.run(_EXPIRING, "hr.training.expiring")))


def _rows(link, day: str, now: dt.date, rows: list, late: str, with_last: bool = False) -> Markup:
    """Table rows of (person, what, last done or None, date): the person linked to their training, the
    last done (when ``with_last``) and the date in the practice's format, with a chip saying ``late``
    when the date is past. Built here in one pass: a
    template loop with a filter and a macro per row costs several times more over hundreds of rows."""
    chip = f' <span class="chip chip-overdue">{late}</span>'
    html = []
    people: dict[int, str] = {}  # a person's cell and a date's text are made once: most people have several courses
    shown: dict[dt.date, str] = {}

    def date_text(value: dt.date) -> str:
        text = shown.get(value)
        if text is None:
            text = shown[value] = value.strftime(day)
        return text

    for person, what, last, when in rows:
        cell = people.get(person.staff_id)
        if cell is None:
            name = rules.display_name(person.last_name, person.first_name, person.credentials)
            cell = people[person.staff_id] = f'<td><a href="{link(person.staff_id)}">{escape(name)}</a></td>'
        done = f"<td>{date_text(last) if last else 'Never'}</td>" if with_last else ""
        html.append(f'<tr>{cell}<td>{escape(what)}</td>{done}<td>{date_text(when)}{chip if when < now else ""}</td></tr>')
    return Markup("".join(html))


def _trainee(staff_id: int) -> tuple[str, int | None] | None:
    """The staff member's name and supervisor, or None when there is no such staff member or HR has no file for
    them: what deciding who may see their training needs."""
    staff = StaffMember.get_or_none(StaffMember.id == staff_id)
    employment = employment_of(staff_id) if staff else None
    return (staff.display_name, employment.supervisor_id) if employment else None


def _training_content(staff_id: int, manage: bool, day: dt.date, forms: dict) -> str:
    """The person's training as everyone who may (or may not) ``manage`` it sees it on ``day``, the CSRF token a
    slot. ``forms`` are refused ones, shown again."""
    staff = StaffMember.get_by_id(staff_id)
    employment = employment_of(staff_id)
    completion_form = forms.get("completion_form") or CompletionForm(formdata=None)
    completion_form.course.choices = choices([(str(c.id), c.name) for c in Course.select().where(
        Course.active == True).order_by(Course.name)])  # noqa: E712
    return slotted(render_template(
        "hr/_employee_training.html", title=f"Training of {staff.display_name}", staff=staff, employment=employment,
        rows=training.status([employment])[employment.id],
        completions=list(CourseCompletion.select(CourseCompletion, Course).join(Course)
                         .where(CourseCompletion.employment == employment)
                         .order_by(CourseCompletion.completed_on.desc())),
        certifications=list(Certification.select().where((Certification.employment == employment)
                                                         & Certification.removed_at.is_null())
                            .order_by(Certification.expires_on)),
        manage=manage, completion_form=completion_form,
        certification_form=forms.get("certification_form") or CertificationForm(formdata=None),
        remove_form=AcknowledgeForm(formdata=None), today=day))


def _training_page(staff_id: int, status: int = 200, **forms):
    """One person's training: kept until employments, courses, completions, certifications or the staff change, for
    the day and who may manage it; built afresh to show refused ``forms``."""
    trainee = kept((PEOPLE.key, STAFF_KEY), ("trainee", staff_id), lambda: _trainee(staff_id))
    if trainee is None:
        abort(404)
    name, supervisor_id = trainee
    relation = require_relation(staff_id, supervisor_id)
    manage, day = relation == FULL and can("hr.training.manage"), today()
    if forms:
        html = _training_content(staff_id, manage, day, forms)
    else:
        html = kept_part((TRAINING_FIGURES.key, PEOPLE.key, STAFF_KEY), ("training", staff_id, manage, day),
                         lambda: _training_content(staff_id, manage, day, {}))
    return render_page("hr/employee_training.html", title=f"Training of {name}", content=with_csrf_token(html),
                       breadcrumbs=[(name, url_for("hr.employee", staff_id=staff_id))]), status


def _staff_or_404(staff_id: int) -> StaffMember:
    staff = StaffMember.get_or_none(StaffMember.id == staff_id)
    if staff is None:
        abort(404)
    return staff


@bp.route("/employees/<int:staff_id>/training")
@requires("hr.self.view")
def employee_training(staff_id: int):
    """One person's courses (due and done) and certifications: HR in full, the person their own,
    their supervisor read-only."""
    return _training_page(staff_id)


def _managed_employment(staff_id: int) -> tuple[StaffMember, Employment]:
    staff = _staff_or_404(staff_id)
    employment = employment_of(staff.id)
    if employment is None:
        abort(404)
    return staff, employment


@bp.route("/employees/<int:staff_id>/training/completions", methods=["POST"])
@requires("hr.training.manage")
def completion_add(staff_id: int):
    """Record a completed course with its certificate."""
    staff, employment = _managed_employment(staff_id)
    form = CompletionForm()
    form.course.choices = choices([(str(c.id), c.name) for c in Course.select().where(Course.active == True)])  # noqa: E712
    if form.validate_on_submit():
        upload = form.certificate.data
        has_file = upload is not None and getattr(upload, "filename", "")
        try:
            training.record_completion(employment, Course.get_by_id(int(form.course.data)), form.completed_on.data,
                                       upload.stream if has_file else None, upload.filename if has_file else "",
                                       current_user.username)
        except HrError as refused:
            getattr(form, refused.field, form.completed_on).errors = [str(refused)]
        else:
            notify("Completion recorded.")
            return redirect(url_for("hr.employee_training", staff_id=staff.id))
    return _training_page(staff.id, 422, completion_form=form)


@bp.route("/employees/<int:staff_id>/certifications", methods=["POST"])
@requires("hr.training.manage")
def certification_add(staff_id: int):
    """Add a certification or licence; its expiry becomes deadlines for the person and for HR."""
    staff, employment = _managed_employment(staff_id)
    form = CertificationForm()
    if form.validate_on_submit():
        values = form_values(form)
        try:
            training.save_certification(employment, values)
        except HrError as refused:
            getattr(form, refused.field, form.name).errors = [str(refused)]
        else:
            notify("Certification recorded.")
            return redirect(url_for("hr.employee_training", staff_id=staff.id))
    return _training_page(staff.id, 422, certification_form=form)


@bp.route("/employees/<int:staff_id>/certifications/<int:certification_id>/remove", methods=["POST"])
@requires("hr.training.manage")
def certification_remove(staff_id: int, certification_id: int):
    """Take a certification off the file."""
    staff, employment = _managed_employment(staff_id)
    certification = Certification.get_or_none((Certification.id == certification_id)
                                              & (Certification.employment == employment))
    if certification is None or not AcknowledgeForm().validate_on_submit():
        abort(404)
    training.remove_certification(certification)
    notify("Certification removed.")
    return redirect(url_for("hr.employee_training", staff_id=staff.id))


@bp.route("/employees/<int:staff_id>/training/completions/<int:completion_id>/certificate")
@requires("hr.self.view")
def certificate_download(staff_id: int, completion_id: int):
    """A completion's certificate: HR or the person (the read is audited by core)."""
    staff, employment = _managed_employment(staff_id)
    require_relation(staff.id, employment.supervisor_id, allowed=("full", "self"))
    completion = CourseCompletion.get_or_none((CourseCompletion.id == completion_id)
                                              & (CourseCompletion.employment == employment))
    stored = files.get(completion.certificate_attachment_id) if completion and completion.certificate_attachment_id \
        else None
    if stored is None or stored.deleted_at is not None:
        abort(404)
    with files.open(stored.id, purpose="hr.certificate.open") as fh:
        content = fh.read()
    response = Response(content, mimetype=stored.mime)
    response.headers["Content-Disposition"] = f'attachment; filename="certificate-{completion.id}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response



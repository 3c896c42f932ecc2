"""Performance reviews and the private notes (coaching, written warnings). HR sees all; a
supervisor their reports'; the employee their own review and warnings. Every read is audited."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import dates, prepared
from medoffice.auth import can, requires
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.localtime import to_local
from medoffice.models import StaffMember
from medoffice.prepared import slot
from medoffice.web.field_html import render_form
from medoffice.web.forms import blank_form_html, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import url_template

from .. import raw, reviews, rules
from ..access import my_staff_id
from ..employees import HrError, employment_of
from ..models import PEOPLE, Employment
from ..training_models import NOTES, REVIEWS, EmployeeNote, Review, ReviewCycle
from . import bp
from .training_forms import AcknowledgeForm, CycleForm, NoteForm, SelfReviewForm, SupervisorReviewForm


def _role(employment: Employment) -> str | None:
    """"hr", "supervisor", "self" or None: how the viewer stands to the employee's reviews and notes."""
    return _role_towards(employment.staff_id, employment.supervisor_id)


def _role_towards(staff_id: int, supervisor_id: int | None) -> str | None:
    """:func:`_role` of the employee ``staff_id``, supervised by ``supervisor_id``."""
    mine = my_staff_id()
    if mine is not None and staff_id == mine:
        return "self"  # HR staff too: nobody manages their own review
    if can("hr.reviews.manage"):
        return "hr"
    if mine is not None and supervisor_id == mine:
        return "supervisor"
    return None


_REVIEWS = (Review.select(Review.id, ReviewCycle.name, StaffMember.last_name, StaffMember.first_name,
                          StaffMember.credentials, Review.self_submitted_at.is_null(False),
                          Review.supervisor_submitted_at.is_null(False), Review.acknowledged_at, ReviewCycle.due_on)
            .join(ReviewCycle).switch(Review).join(Employment)
            .join(StaffMember, on=(Employment.staff == StaffMember.id))
            .order_by(ReviewCycle.due_on.desc(), StaffMember.last_name).limit(500))
_MY_REVIEWS = _REVIEWS.where((Employment.supervisor == slot("mine")) | (Employment.staff == slot("mine")))


@bp.route("/reviews", methods=["GET", "POST"])
@requires("hr.self.view")
def reviews_page():
    """HR's cycles (and a new one); everyone's reviews to write: their own and their reports'."""
    form = CycleForm() if request.method == "POST" else None
    status = 200
    if form is not None:
        if not can("hr.reviews.manage"):
            abort(403)
        status = 422
        if form.validate_on_submit():
            try:
                reviews.start_cycle(form.name.data.strip(), form.period_start.data, form.period_end.data,
                                    form.due_on.data, current_user.username)
            except HrError as refused:
                getattr(form, refused.field, form.name).errors = [str(refused)]
            else:
                notify("Review cycle started: every employee and supervisor has a deadline.")
                return redirect(url_for("hr.reviews_page"))
    manage, mine = can("hr.reviews.manage"), my_staff_id() or 0
    rows = kept((REVIEWS.key, PEOPLE.key, STAFF_KEY, ACCESS_KEY), ("reviews list", manage, mine),
                lambda: _review_rows(prepared.run(_REVIEWS if manage else _MY_REVIEWS, ("hr.reviews", manage),
                                                  mine=mine).cursor.fetchall()))
    cycle_form = (blank_form_html(("hr", "new review cycle"), CycleForm, _cycle_form_html) if form is None
                  else _cycle_form_html(form))
    return render_page("hr/reviews.html", title="Performance reviews", rows=rows,
                       cycle_form=cycle_form if manage else None), status


def _cycle_form_html(form) -> Markup:
    return render_form(form, submit="Start cycle")


def _escaped(texts: list[str]) -> list[str]:
    """``escape`` of each text, done in one call over them all joined by NUL (which escaping leaves as it is;
    should a text hold one, each is escaped on its own): a call costs ~0.4 us, a row of the list had two."""
    parts = str(escape("\0".join(texts))).split("\0")
    return parts if len(parts) == len(texts) else [str(escape(text)) for text in texts]


def _review_rows(rows) -> Markup:
    """The reviews list's ``<tr>`` rows from raw cursor rows, built in one pass: a template loop with
    filters per cell costs several times more over a cycle of a hundred people. A cycle's name and due date
    are written once for all its reviews (a date's strftime costs ~1 us), the people's names escaped together.
    Kept by the page until reviews, employments, staff or settings (dates, the time zone) change."""
    link, day = url_template("hr.review", "review_id"), dates.pattern()
    cycles: dict = {}
    dues: dict = {}
    names = _escaped([rules.display_name(last, first, credentials) for _id, _cycle, last, first, credentials, *_rest
                      in rows])
    html = []
    for (review_id, cycle, _last, _first, _credentials, self_done, review_done, acknowledged, due), name \
            in zip(rows, names):
        if cycle not in cycles:
            cycles[cycle] = escape(cycle)
        if due not in dues:
            dues[due] = raw.day(due).strftime(day)
        seen = to_local(raw.naive_utc(acknowledged)).strftime(day) if acknowledged else ""
        html.append(f'<tr><td><a href="{link(review_id)}">{cycles[cycle]}</a></td><td>{name}</td>'
                    f'<td>{"Submitted" if self_done else "Not yet"}</td><td>{"Submitted" if review_done else "Not yet"}'
                    f'</td><td>{seen}</td><td>{dues[due]}</td></tr>')
    return Markup("".join(html))


def _review_or_404(review_id: int) -> tuple[Review, str]:
    review = Review.get_or_none(Review.id == review_id)
    if review is None:
        abort(404)
    role = _role(review.employment)
    if role is None:
        abort(404)
    return review, role


def _review_people(review_id: int) -> tuple[int, int | None] | None:
    """The reviewed employee's staff id and supervisor, or None when there is no such review: what deciding who may
    read it needs."""
    review = Review.get_or_none(Review.id == review_id)
    return (review.employment.staff_id, review.employment.supervisor_id) if review else None


def _review_content(review_id: int, role: str, forms: dict) -> tuple[str, str]:
    """The review as everyone in ``role`` to it sees it: (its title, its HTML with the CSRF token a slot). ``forms``
    are refused ones (or the problem refusing an acknowledgment), shown again."""
    review = Review.get_by_id(review_id)
    title = f"{review.cycle.name}: {review.employment.staff.display_name}"
    html = render_template("hr/_review.html", title=title, review=review, role=role,
                           self_form=forms.get("self_form") or SelfReviewForm(formdata=None, obj=review),
                           supervisor_form=forms.get("supervisor_form") or SupervisorReviewForm(formdata=None,
                                                                                                obj=review),
                           ack_form=AcknowledgeForm(formdata=None), problem=forms.get("problem"))
    return title, slotted(html)


def _review_page(review_id: int, staff_id: int, role: str, status: int = 200, **forms):
    """A review as the viewer's ``role`` lets them see it, the read audited on every view: its content kept until
    reviews, employments, the staff or the users change; built afresh to show refused ``forms``."""
    reviews.record_read("hr.review.view", "hr_review", review_id, staff_id)
    if forms:
        title, html = _review_content(review_id, role, forms)
    else:
        title, html = kept_part((REVIEWS.key, PEOPLE.key, STAFF_KEY), ("review", review_id, role),
                                lambda: _review_content(review_id, role, {}))
    response = render_page("hr/review.html", title=title, content=with_csrf_token(html),
                           breadcrumbs=[("Performance reviews", url_for("hr.reviews_page"))])
    return response, status, {"Cache-Control": "no-store"}


@bp.route("/reviews/<int:review_id>")
@requires("hr.self.view")
def review(review_id: int):
    """A review: what the viewer may read and write of it (the read is audited)."""
    people = kept((REVIEWS.key, PEOPLE.key), ("review people", review_id), lambda: _review_people(review_id))
    role = _role_towards(*people) if people else None
    if role is None:
        abort(404)
    return _review_page(review_id, people[0], role)


@bp.route("/reviews/<int:review_id>/self", methods=["POST"])
@requires("hr.self.view")
def review_self(review_id: int):
    """The employee saves or submits their self-review."""
    found, role = _review_or_404(review_id)
    if role != "self":
        abort(404)
    form = SelfReviewForm()
    if form.validate_on_submit():
        try:
            reviews.save_self(found, form.self_text.data or "", bool(form.submit_review.data))
        except HrError as refused:
            form.self_text.errors = [str(refused)]
        else:
            notify("Self-review submitted." if form.submit_review.data else "Self-review saved.")
            return redirect(url_for("hr.review", review_id=found.id))
    return _review_page(found.id, found.employment.staff_id, role, 422, self_form=form)


@bp.route("/reviews/<int:review_id>/supervisor", methods=["POST"])
@requires("hr.self.view")
def review_supervisor(review_id: int):
    """The supervisor (or HR) saves or submits the review."""
    found, role = _review_or_404(review_id)
    if role not in ("hr", "supervisor"):
        abort(404)
    form = SupervisorReviewForm()
    if form.validate_on_submit():
        try:
            reviews.save_supervisor(found, form.supervisor_text.data or "", form.rating.data,
                                    bool(form.submit_review.data), current_user.username)
        except HrError as refused:
            getattr(form, refused.field, form.supervisor_text).errors = [str(refused)]
        else:
            notify("Review submitted." if form.submit_review.data else "Review saved.")
            return redirect(url_for("hr.review", review_id=found.id))
    return _review_page(found.id, found.employment.staff_id, role, 422, supervisor_form=form)


@bp.route("/reviews/<int:review_id>/acknowledge", methods=["POST"])
@requires("hr.self.view")
def review_acknowledge(review_id: int):
    """The employee acknowledges having read the submitted review."""
    found, role = _review_or_404(review_id)
    if role != "self" or not AcknowledgeForm().validate_on_submit():
        abort(404)
    try:
        reviews.acknowledge_review(found)
    except HrError as refused:
        return _review_page(found.id, found.employment.staff_id, role, 422, problem=str(refused))
    notify("Acknowledged.")
    return redirect(url_for("hr.review", review_id=found.id))


def _notes_content(staff_id: int, role: str, form: NoteForm | None) -> tuple[str, str]:
    """A person's notes as everyone in ``role`` to them sees them (the employee their warnings only): (their name,
    the notes and the form with the CSRF token a slot). ``form`` is a refused note, shown again."""
    staff = StaffMember.get_by_id(staff_id)
    query = EmployeeNote.select().join(Employment).where(Employment.staff == staff_id)
    if role == "self":
        query = query.where(EmployeeNote.kind == "warning")
    html = render_template("hr/_notes.html", title=f"Coaching and warnings: {staff.display_name}", staff=staff,
                           notes=list(query.order_by(EmployeeNote.created_at.desc())), role=role,
                           form=form or NoteForm(formdata=None), ack_form=AcknowledgeForm(formdata=None),
                           kinds=dict(reviews.NOTE_KINDS))
    return staff.display_name, slotted(html)


def _notes_page(staff_id: int, employment_id: int, role: str, status: int = 200, form=None):
    """A person's notes as ``role`` lets the viewer see them, the read audited on every view: kept until notes,
    employments, the staff or the users change; built afresh to show a refused ``form``."""
    reviews.record_read("hr.notes.view", "hr_employment", employment_id, staff_id)
    if form is not None:
        name, html = _notes_content(staff_id, role, form)
    else:
        name, html = kept_part((NOTES.key, PEOPLE.key, STAFF_KEY), ("notes", staff_id, role),
                               lambda: _notes_content(staff_id, role, None))
    response = render_page("hr/notes.html", title=f"Coaching and warnings: {name}", content=with_csrf_token(html),
                           breadcrumbs=[(name, url_for("hr.employee", staff_id=staff_id))])
    return response, status, {"Cache-Control": "no-store"}


def _employment_ids(staff_id: int) -> tuple[int, int | None] | None:
    """The id and supervisor of the employment of ``staff_id``, or None when HR has no file for them."""
    employment = employment_of(staff_id)
    return (employment.id, employment.supervisor_id) if employment else None


def _notes_access(staff_id: int) -> tuple[StaffMember, Employment, str]:
    staff = StaffMember.get_or_none(StaffMember.id == staff_id)
    employment = employment_of(staff_id) if staff else None
    role = _role(employment) if employment else None
    if role is None:
        abort(404)
    return staff, employment, role


@bp.route("/employees/<int:staff_id>/notes")
@requires("hr.self.view")
def notes(staff_id: int):
    """Coaching notes and written warnings: HR and the supervisor; the employee their warnings."""
    found = kept(PEOPLE.key, ("employment ids", staff_id), lambda: _employment_ids(staff_id))
    role = _role_towards(staff_id, found[1]) if found else None
    if role is None:
        abort(404)
    return _notes_page(staff_id, found[0], role)


@bp.route("/employees/<int:staff_id>/notes", methods=["POST"])
@requires("hr.self.view")
def note_add(staff_id: int):
    """HR or the supervisor writes a coaching note or a written warning."""
    staff, employment, role = _notes_access(staff_id)
    if role not in ("hr", "supervisor"):
        abort(404)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            reviews.add_note(employment, form.kind.data, form.text.data, current_user.username)
        except HrError as refused:
            form.text.errors = [str(refused)]
        else:
            notify("Saved.")
            return redirect(url_for("hr.notes", staff_id=staff.id))
    return _notes_page(staff.id, employment.id, role, 422, form)


@bp.route("/employees/<int:staff_id>/notes/<int:note_id>/acknowledge", methods=["POST"])
@requires("hr.self.view")
def note_acknowledge(staff_id: int, note_id: int):
    """The employee acknowledges a written warning."""
    staff, employment, role = _notes_access(staff_id)
    note = EmployeeNote.get_or_none((EmployeeNote.id == note_id) & (EmployeeNote.employment == employment))
    if role != "self" or note is None or note.kind != "warning" or not AcknowledgeForm().validate_on_submit():
        abort(404)
    reviews.acknowledge_warning(note)
    notify("Warning acknowledged.")
    return redirect(url_for("hr.notes", staff_id=staff.id))

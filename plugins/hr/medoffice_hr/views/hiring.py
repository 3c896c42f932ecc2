"""Hiring pages: openings, the pipeline board (a candidate moved in place with htmx), a
candidate's page (résumé, scorecards, offer, offer letter PDF, hire)."""
from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import files, prepared
from medoffice.auth import can, requires
from medoffice.markdown_service import render as render_markdown
from medoffice.models import Location, StaffMember
from medoffice.money import parse_cents
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.data_versions import STAFF_KEY
from medoffice.web.field_html import render_form
from medoffice.web.forms import choices, form_values, slotted_form_html, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import parse_id
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import fn

from .. import hiring, hiring_rules, rules
from ..employees import HrError
from ..hiring_models import HIRING, Candidate, Interview, Opening
from ..models import PEOPLE
from ..pdf import html_to_pdf
from . import bp
from .choice_rows import active_departments, active_locations
from .hiring_forms import CandidateForm, HireForm, InterviewForm, MoveForm, OfferForm, OpeningForm


def _id_or_none(text: str) -> int | None:
    return parse_id(text) if text else None


def staff_choices(blank: str = "Nobody", exclude: int | None = None):
    """Active staff as select options (id as text)."""
    query = StaffMember.select().where(StaffMember.active == True)  # noqa: E712
    if exclude is not None:
        query = query.where(StaffMember.id != exclude)
    return choices([("", blank)] + [(str(s.id), s.display_name) for s in
                                    query.order_by(StaffMember.last_name, StaffMember.first_name)])


def _opening_choices(form: OpeningForm, locations: tuple[tuple[int, str], ...]) -> None:
    """The department choices (kept until departments change) and ``locations``' as the opening form's options."""
    form.department.choices = choices([("", "—")] + [(str(i), name) for i, name in active_departments()])
    form.location.choices = choices([("", "—")] + [(str(i), name) for i, name in locations])


# The openings list's query, built once and compiled once per sort (medoffice.prepared): the columns it shows
# as plain rows, with how many candidates each has in its pipeline.
_IN_PIPELINE = (Candidate.select(fn.COUNT(Candidate.id)).where((Candidate.opening == Opening.id)
                                                              & Candidate.stage.in_(hiring_rules.OPEN_STAGES)))
_OPENINGS = PlainSelect(Opening, [Opening.id, Opening.title, Opening.job_title, Opening.status, Opening.opened_on,
                                  _IN_PIPELINE.alias("active_candidates")])


@bp.route("/hiring")
@requires("hr.hiring.view")
def openings():
    """Every opening with how many candidates are still in its pipeline."""
    link = url_template("hr.opening", "opening_id")
    table = paginate(_OPENINGS, id="openings-table", columns=[
        TableColumn("title", "Opening", sort=Opening.title, link=lambda o: link(o.id)),
        TableColumn("job_title", "Job title", sort=Opening.job_title),
        TableColumn("status", "Status", sort=Opening.status, kind="status"),
        TableColumn("opened_on", "Opened", sort=Opening.opened_on, kind="date"),
        TableColumn("active_candidates", "In the pipeline", kind="number"),
    ], search=lambda text: Opening.title ** f"%{text}%", default_sort="opened_on", endpoint="hr.openings",
        key="hr.openings", noun="opening", search_placeholder="Title", empty_message="No openings yet.")
    return render_page("hr/openings.html", title="Hiring", table=table)


@bp.route("/hiring/new", methods=["GET", "POST"])
@bp.route("/hiring/<int:opening_id>/edit", methods=["GET", "POST"])
@requires("hr.hiring.manage")
def opening_edit(opening_id: int | None = None):
    """Open a position, or change one: the form as GET shows it is kept until openings or departments change, for the
    active locations read on every view."""
    if request.method == "GET":
        locations = active_locations()
        form_html = kept_part((HIRING.key, PEOPLE.key), ("opening form", opening_id, locations),
                              lambda: _opening_form_html(opening_id, locations))
        if form_html is None:
            abort(404)
        return _opening_form_page(opening_id, with_csrf_token(form_html), 200)
    opening = Opening.get_or_none(Opening.id == opening_id) if opening_id else None
    if opening_id and opening is None:
        abort(404)
    form = OpeningForm()
    _opening_choices(form, active_locations())
    if form.validate_on_submit():
        values = form_values(form)
        values["department"], values["location"] = _id_or_none(values["department"]), _id_or_none(values["location"])
        try:
            opening = hiring.save_opening(opening, values, current_user.username)
        except HrError as refused:
            getattr(form, refused.field, form.title).errors = [str(refused)]
        else:
            notify("Opening saved.")
            return redirect(url_for("hr.opening", opening_id=opening.id))
    return _opening_form_page(opening_id, _opening_form_render(form, opening_id), 422)


def _opening_form_render(form: OpeningForm, opening_id: int | None) -> Markup:
    cancel = url_for("hr.opening", opening_id=opening_id) if opening_id else url_for("hr.openings")
    return render_form(form, submit="Save", cancel=cancel)


def _opening_form_html(opening_id: int | None, locations: tuple[tuple[int, str], ...]) -> str | None:
    """The opening form as GET shows it (the opening's values, or blank for a new one), its CSRF token a slot; None
    when there is no such opening."""
    opening = Opening.get_or_none(Opening.id == opening_id) if opening_id else None
    if opening_id and opening is None:
        return None
    form = OpeningForm(formdata=None, obj=opening)
    _opening_choices(form, locations)
    if opening:
        form.department.data = str(opening.department_id or "")
        form.location.data = str(opening.location_id or "")
    return slotted_form_html(form, lambda f: _opening_form_render(f, opening_id))


def _opening_form_page(opening_id: int | None, form_html: Markup, status: int):
    return render_page("hr/form_html_page.html", title="Edit opening" if opening_id else "New opening",
                       breadcrumbs=[("Hiring", url_for("hr.openings"))], form_html=form_html), status


def _opening_or_404(opening_id: int) -> Opening:
    opening = Opening.get_or_none(Opening.id == opening_id)
    if opening is None:
        abort(404)
    return opening


def _board(opening: Opening) -> dict:
    """The opening's candidates by stage, with their interview counts and average scores."""
    interviews = (Interview.select(Interview.candidate, fn.COUNT(Interview.id), fn.AVG(Interview.score))
                  .join(Candidate).where(Candidate.opening == opening).group_by(Interview.candidate).tuples())
    scores = {cid: (count, round(float(avg), 1)) for cid, count, avg in interviews}
    columns = {key: [] for key, _ in hiring_rules.STAGES}
    for candidate in opening.candidates.order_by(Candidate.created_at):
        candidate.scores = scores.get(candidate.id)
        columns[candidate.stage].append(candidate)
    return {"columns": columns, "move_form": MoveForm(formdata=None)}


LOCATION_SLOT = "\0location\0"  # what a kept opening's page shows live: core's locations have no data version
_LOCATION_NAME = Location.select(Location.name).where(Location.id == slot("id"))


def _opening_content(opening_id: int, forms: dict) -> tuple[str, str, int | None] | None:
    """The opening's page as everyone with the same hiring permission sees it: (its title, its HTML with the CSRF
    token and the location's name as slots, the location's id); None when there is no such opening. ``forms`` are
    a refused candidate form or the problem refusing a move, shown again."""
    opening = Opening.get_or_none(Opening.id == opening_id)
    if opening is None:
        return None
    html = render_template("hr/_opening.html", opening=opening, stages=hiring_rules.STAGES,
                           open_stages=hiring_rules.OPEN_STAGES, label=rules.label,
                           statuses=hiring_rules.OPENING_STATUSES, problem=forms.get("problem"),
                           location=Markup(LOCATION_SLOT) if opening.location_id else None,
                           candidate_form=forms.get("candidate_form") or CandidateForm(formdata=None),
                           **_board(opening))
    return opening.title, slotted(html), opening.location_id


def _board_response(opening_id: int, status: int = 200, **forms):
    """An opening's pipeline board: kept until openings, candidates, interviews or departments change, for who may
    manage hiring; built afresh to show refused ``forms``."""
    if forms:
        content = _opening_content(opening_id, forms)
    else:
        content = kept_part((HIRING.key, PEOPLE.key), ("opening", opening_id, can("hr.hiring.manage")),
                            lambda: _opening_content(opening_id, {}))
    if content is None:
        abort(404)
    title, html, location_id = content
    html = str(with_csrf_token(html))
    if location_id:
        html = html.replace(LOCATION_SLOT, escape(prepared.scalar(_LOCATION_NAME, "hr.location_name",
                                                                  id=location_id) or ""))
    return render_page("hr/opening.html", title=title, breadcrumbs=[("Hiring", url_for("hr.openings"))],
                       content=Markup(html)), status


@bp.route("/hiring/<int:opening_id>")
@requires("hr.hiring.view")
def opening(opening_id: int):
    """The opening's pipeline board and its candidate form."""
    return _board_response(opening_id)


@bp.route("/hiring/<int:opening_id>/candidates", methods=["POST"])
@requires("hr.hiring.manage")
def candidate_add(opening_id: int):
    """Add a candidate (with their résumé) to the opening; 422 and nothing kept on bad input."""
    opening = _opening_or_404(opening_id)
    form = CandidateForm()
    if form.validate_on_submit():
        upload = form.resume.data
        has_file = upload is not None and getattr(upload, "filename", "")
        try:
            hiring.add_candidate(opening, form_values(form, ["first_name", "last_name", "email", "phone", "note"]),
                                 upload.stream if has_file else None, upload.filename if has_file else "")
        except HrError as refused:
            getattr(form, refused.field, form.first_name).errors = [str(refused)]
        else:
            notify("Candidate added.")
            return redirect(url_for("hr.opening", opening_id=opening.id))
    return _board_response(opening.id, 422, candidate_form=form)


def _candidate_or_404(candidate_id: int) -> Candidate:
    candidate = Candidate.get_or_none(Candidate.id == candidate_id)
    if candidate is None:
        abort(404)
    return candidate


@bp.route("/candidates/<int:candidate_id>/move", methods=["POST"])
@requires("hr.hiring.manage")
def candidate_move(candidate_id: int):
    """Move a candidate on the board; from htmx the board answers in place."""
    candidate = _candidate_or_404(candidate_id)
    form = MoveForm()
    problem = None
    if not form.validate_on_submit():
        problem = "Choose a stage."
    else:
        try:
            hiring.move_candidate(candidate, form.stage.data)
        except HrError as refused:
            problem = str(refused)
    if request.headers.get("HX-Request"):
        return render_template("hr/_board.html", opening=candidate.opening, stages=hiring_rules.STAGES,
                               open_stages=hiring_rules.OPEN_STAGES, problem=problem,
                               **_board(candidate.opening)), (422 if problem else 200)
    if problem:
        return _board_response(candidate.opening_id, 422, problem=problem)
    return redirect(url_for("hr.opening", opening_id=candidate.opening_id))


RESUME_SLOT = "\0resume\0"  # what a kept candidate's page shows live: core's files have no data version


def _candidate_content(candidate_id: int, forms: dict) -> tuple[str, str, int, str, int | None] | None:
    """The candidate's page as everyone with the same hiring permission sees it: (its title, its HTML with the CSRF
    token and the résumé as slots, the opening's id and title, the résumé's file id); None when there is no such
    candidate. ``forms`` are
    refused ones (or the problem refusing an action), shown again."""
    candidate = Candidate.get_or_none(Candidate.id == candidate_id)
    if candidate is None:
        return None
    interview_form = forms.get("interview_form") or InterviewForm(formdata=None)
    interview_form.interviewer.choices = staff_choices("—")
    offer_form = forms.get("offer_form") or OfferForm(formdata=None)
    hire_form = forms.get("hire_form") or HireForm(formdata=None)
    hire_form.supervisor.choices = staff_choices()
    if candidate.offer_start_date and not hire_form.hire_date.data:
        hire_form.hire_date.data = candidate.offer_start_date
    html = render_template("hr/_candidate.html", candidate=candidate, resume=Markup(RESUME_SLOT),
                           interviews=list(candidate.interviews.order_by(Interview.held_on.desc())),
                           interview_form=interview_form, offer_form=offer_form, hire_form=hire_form,
                           move_form=MoveForm(formdata=None), label=rules.label, rules=rules,
                           hiring_rules=hiring_rules, problem=forms.get("problem"))
    return (f"{candidate.first_name} {candidate.last_name}", slotted(html), candidate.opening_id,
            candidate.opening.title, candidate.resume_attachment_id)


def _resume_html(candidate_id: int, file_id: int | None) -> str:
    """The résumé's link by its file's name, or "None" when there is none or it was removed (read on every view)."""
    resume = files.get(file_id) if file_id else None
    if resume is None or resume.deleted_at:
        return "None"
    link = url_for("hr.candidate_resume", candidate_id=candidate_id)
    return f'<a href="{link}" hx-boost="false">{escape(resume.name)}</a>'


def _candidate_page(candidate_id: int, status: int = 200, **forms):
    """A candidate's page: kept until openings, candidates, interviews or the staff change, for who may manage
    hiring; built afresh to show refused ``forms``."""
    if forms:
        content = _candidate_content(candidate_id, forms)
    else:
        content = kept_part((HIRING.key, STAFF_KEY), ("candidate", candidate_id, can("hr.hiring.manage")),
                            lambda: _candidate_content(candidate_id, {}))
    if content is None:
        abort(404)
    title, html, opening_id, opening_title, resume_id = content
    html = str(with_csrf_token(html)).replace(RESUME_SLOT, _resume_html(candidate_id, resume_id))
    return render_page("hr/candidate.html", title=title, content=Markup(html),
                       breadcrumbs=[("Hiring", url_for("hr.openings")),
                                    (opening_title, url_for("hr.opening", opening_id=opening_id))]), status


@bp.route("/candidates/<int:candidate_id>")
@requires("hr.hiring.view")
def candidate(candidate_id: int):
    """A candidate: application, résumé, scorecards, offer and hiring."""
    return _candidate_page(candidate_id)


@bp.route("/candidates/<int:candidate_id>/resume")
@requires("hr.hiring.view")
def candidate_resume(candidate_id: int):
    """Download the résumé (the read is audited by core)."""
    candidate = _candidate_or_404(candidate_id)
    stored = files.get(candidate.resume_attachment_id) if candidate.resume_attachment_id else None
    if stored is None or stored.deleted_at is not None:
        abort(404)
    with files.open(stored.id, purpose="hr.resume.open") as fh:
        content = fh.read()
    response = Response(content, mimetype=stored.mime)
    response.headers["Content-Disposition"] = f'attachment; filename="resume-{candidate.id}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/candidates/<int:candidate_id>/interviews", methods=["POST"])
@requires("hr.hiring.manage")
def interview_add(candidate_id: int):
    """Record an interview's scorecard."""
    candidate = _candidate_or_404(candidate_id)
    form = InterviewForm()
    form.interviewer.choices = staff_choices("—")
    if form.validate_on_submit():
        try:
            hiring.add_interview(candidate, form.held_on.data, _id_or_none(form.interviewer.data), form.score.data,
                                 form.recommendation.data, (form.notes.data or "").strip(), current_user.username)
        except HrError as refused:
            getattr(form, refused.field, form.score).errors = [str(refused)]
        else:
            notify("Scorecard saved.")
            return redirect(url_for("hr.candidate", candidate_id=candidate.id))
    return _candidate_page(candidate.id, 422, interview_form=form)


@bp.route("/candidates/<int:candidate_id>/offer", methods=["POST"])
@requires("hr.hiring.manage")
def offer_save(candidate_id: int):
    """Record the offer (start date and pay)."""
    candidate = _candidate_or_404(candidate_id)
    form = OfferForm()
    if form.validate_on_submit():
        try:
            hiring.record_offer(candidate, form.start_date.data, form.basis.data, parse_cents(form.amount.data))
        except HrError as refused:
            getattr(form, refused.field, form.amount).errors = [str(refused)]
        except ValueError as bad:
            form.amount.errors = [str(bad)]
        else:
            notify("Offer recorded.")
            return redirect(url_for("hr.candidate", candidate_id=candidate.id))
    return _candidate_page(candidate.id, 422, offer_form=form)


@bp.route("/candidates/<int:candidate_id>/offer-letter.pdf")
@requires("hr.hiring.manage")
def offer_letter(candidate_id: int):
    """The offer letter from the practice's template, as a PDF."""
    candidate = _candidate_or_404(candidate_id)
    try:
        text = hiring.offer_letter_markdown(candidate)
    except HrError:
        abort(404)
    pdf = html_to_pdf(f"<html><body>{render_markdown(text)}</body></html>")
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="offer-letter-{candidate.id}.pdf"'
    return response


@bp.route("/candidates/<int:candidate_id>/hire", methods=["POST"])
@requires("hr.hiring.manage")
def candidate_hire(candidate_id: int):
    """Hire: the staff record, employment, starting pay and onboarding checklist in one step."""
    candidate = _candidate_or_404(candidate_id)
    form = HireForm()
    form.supervisor.choices = staff_choices()
    if form.validate_on_submit():
        if candidate.offer_amount_cents is None:
            form.hire_date.errors = ["Record the offer (start date and pay) first."]
        else:
            try:
                staff = hiring.hire(candidate, {
                    "hire_date": form.hire_date.data, "employment_type": form.employment_type.data,
                    "flsa_exempt": bool(form.flsa_exempt.data), "supervisor": _id_or_none(form.supervisor.data),
                    "basis": candidate.offer_basis, "amount_cents": candidate.offer_amount_cents,
                }, current_user.username)
            except HrError as refused:
                getattr(form, refused.field, form.hire_date).errors = [str(refused)]
            else:
                notify("Hired: the staff record, employment and onboarding checklist are made.")
                return redirect(url_for("hr.employee", staff_id=staff.id))
    return _candidate_page(candidate.id, 422, hire_form=form)

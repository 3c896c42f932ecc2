"""HIPAA program pages: the overview (policies, training), risk assessments with their register
and remediation tasks, and the business associates register."""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import dates, prepared
from medoffice.auth import can, requires
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import kept
from medoffice.documents.status import DOCUMENTS_VERSION
from medoffice.models import User
from medoffice.settings import today
from medoffice.web.field_html import render_form
from medoffice.web.forms import blank_form_html, choices, slotted_form_html, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import parse_id
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import url_template
from peewee import fn

from .. import program as service
from ..models import ASSESSMENTS_VERSION, ASSOCIATES_VERSION, BusinessAssociate, RiskAssessment, RiskItem
from . import bp
from .forms import BusinessAssociateForm, NewAssessmentForm, RemediatedForm, RiskItemForm, TrainingForm


_ASSESSMENTS = (RiskAssessment.select(RiskAssessment.id, RiskAssessment.title, RiskAssessment.started_on,
                                      RiskAssessment.completed_on).order_by(RiskAssessment.started_on.desc()))
_ASSOCIATE_COUNT = BusinessAssociate.select(fn.COUNT(BusinessAssociate.id))


def _staff_pairs(training: list[dict]) -> list[tuple[str, str]]:
    """The training form's people: the active staff of ``training`` (``training_status``'s rows, in its order:
    by name) as (id, display name 'Last, First, Credentials')."""
    return [(str(row["staff_id"]), f"{row['name']}, {row['credentials']}" if row["credentials"] else row["name"])
            for row in training]


def _training_form(training: list[dict], form=None) -> TrainingForm:
    """The form logging a training, submitted: its people (``_staff_pairs``) are the choices it is checked against."""
    form = form or TrainingForm()
    form.staff_id.choices = choices(_staff_pairs(training))
    return form


def _escaped(texts: list[str]) -> list[str]:
    """``escape`` of each text, done in one call over them all joined by NUL (which escaping leaves as it is;
    should a text hold one, each is escaped on its own): a call costs ~0.4 us, and the staff's names and
    credentials made 240 of them."""
    parts = str(escape("\0".join(texts))).split("\0")
    return parts if len(parts) == len(texts) else [str(escape(text)) for text in texts]


def _training_html(training: list[dict], day: str) -> tuple[Markup, tuple[tuple[str, str], ...]]:
    """The training table's ``<tr>`` rows (name, last trained or "Never", due or "Now", an overdue chip) and the
    options of the form logging a training, built together in one pass over the staff: each name is escaped once
    for its row and its option (escaping goes character by character, so "name, credentials" escaped is the name
    escaped, ", ", the credentials escaped). The options are given to the select as its ``option_html``: the same
    options without a SelectChoice built for each person. A template loop with two filters a row cost several
    times more over a staff of a hundred. ``day`` is the practice's date pattern."""
    shown: dict = {}  # a date's text made once: many people trained on the same day

    def date_text(value) -> str:
        text = shown.get(value)
        if text is None:
            text = shown[value] = value.strftime(day)
        return text

    html, options = [], []
    names = _escaped([row["name"] for row in training])
    credentials = _escaped([row["credentials"] for row in training])
    for row, name, credential in zip(training, names, credentials):
        latest, due = row["latest"], row["due"]
        chip = '<span class="chip chip-overdue">Overdue</span>' if row["overdue"] else ""
        html.append(f"<tr><td>{name}</td><td>{date_text(latest) if latest else 'Never'}</td>"
                    f"<td>{date_text(due) if due else 'Now'}</td><td>{chip}</td></tr>")
        value = str(row["staff_id"])
        options.append((value, f'value="{value}">{name}, {credential}</option>' if credential
                        else f'value="{value}">{name}</option>'))
    return Markup("".join(html)), tuple(options)


def _training_table(day: dt.date, form=None, with_form: bool = True) -> tuple[Markup, Markup]:
    """The training table's rows and the form logging a training as the page shows it (``form``, a refused one,
    again, or an empty one): the rows and the empty form are the same for everyone who sees the page, kept with
    who trained when (``service.training_versions``) for the day and the date format (and the empty form with the
    settings and the plugin state, as core keeps its blank forms), the request's CSRF token put in; none without
    ``with_form`` (who may not log training)."""
    pattern = dates.pattern()
    versions = service.training_versions()

    def build():
        return _training_html(service.training_status(day), pattern)

    rows, options = build() if versions is None else kept(versions, ("training table", day, pattern), build)
    if not with_form:
        return rows, Markup("")
    if form is not None:
        form.staff_id.option_html = options
        return rows, _training_form_html(form)

    def blank() -> str:
        empty = TrainingForm(formdata=None)
        empty.staff_id.option_html = options
        return slotted_form_html(empty, _training_form_html)

    if versions is None:
        html = blank()
    else:
        from medoffice.app import medoffice_runtime

        html = kept((*versions, ACCESS_KEY), ("training form", day, pattern, medoffice_runtime().host.state_version),
                    blank)
    return rows, with_csrf_token(html)


def _training_form_html(form) -> Markup:
    """The form logging a training as the page shows it."""
    return render_form(form, action=url_for("compliance.training_add"), submit="Log training")


def _policies(day: dt.date) -> Markup:
    """The policy table's rows (``_policy_rows``), the same for everyone who sees the page: kept per process for the
    day, the date format and the links until documents, their acknowledgments or reminders, the staff, users, roles
    or settings change (what core keeps the acknowledgment counts under)."""
    link, pattern = url_template("core.document", "document_id"), dates.pattern()
    return kept((DOCUMENTS_VERSION.key, ACCESS_KEY), ("policy rows", day, pattern, link(0)),
                lambda: _policy_rows(service.policy_library(day), link, pattern))


def _policy_rows(policies: list[service.PolicyRow], link, day: str) -> Markup:
    """The policy table's ``<tr>`` rows (title linked to the document by ``link`` of its id, version in force, its
    dates in the pattern ``day``, acknowledgment counts), built here in one pass, as the training rows."""
    html = []
    for row in policies:
        effective = row.effective_on.strftime(day) if row.effective_on else ""
        review = row.review_due.strftime(day) if row.review_due else ""
        counts = row.counts
        html.append(f'<tr><td><a href="{link(row.document_id)}">{escape(row.title)}</a></td>'
                    f"<td>{row.version}</td><td>{effective}</td><td>{review}</td>\n"
                    f'<td class="numeric">{counts["acknowledged"]}</td><td class="numeric">{counts["pending"]}</td>'
                    f'<td class="numeric">{counts["overdue"]}</td></tr>')
    return Markup("".join(html))


def _assessment_form_html(form) -> Markup:
    """The form starting an assessment as the page shows it."""
    return render_form(form, action=url_for("compliance.assessment_new"), submit="Start")


def _overview(status: int = 200, **forms):
    day = today()
    refused = forms.get("assessment_form")
    rows, training_form = _training_table(day, forms.get("training_form"), can("compliance.program.manage"))
    return render_page("compliance/program.html", title="HIPAA program",
                       policies=_policies(day), training=rows, training_form=training_form,
                       assessments=list(prepared.run(_ASSESSMENTS, "compliance.assessments")),
                       assessment_form=(_assessment_form_html(refused) if refused else
                                        blank_form_html(("compliance", "new assessment"), NewAssessmentForm, _assessment_form_html)),
                       associate_count=prepared.scalar(_ASSOCIATE_COUNT, "compliance.associate_count")), status


@bp.route("/program")
@requires("compliance.program.view")
def program():
    """The program at a glance: policies and their acknowledgments, training by person, risk
    assessments and business associates."""
    return _overview()


@bp.route("/program/training", methods=["POST"])
@requires("compliance.program.manage")
def training_add():
    """Log a completed training."""
    form = _training_form(service.training_status(today()))
    if form.validate_on_submit():
        try:
            service.record_training(parse_id(form.staff_id.data) or 0, form.course.data, form.completed_on.data,
                                    by=current_user.username)
        except service.ProgramError as refused:
            getattr(form, refused.field, form.course).errors = [str(refused)]
        else:
            notify("Training logged.")
            return redirect(url_for("compliance.program"))
    return _overview(422, training_form=form)


@bp.route("/program/assessments", methods=["POST"])
@requires("compliance.program.manage")
def assessment_new():
    """Start a security risk assessment with the whole questionnaire."""
    form = NewAssessmentForm()
    if form.validate_on_submit():
        assessment = service.start_assessment(form.title.data, form.started_on.data, by=current_user.username)
        return redirect(url_for("compliance.assessment", assessment_id=assessment.id))
    return _overview(422, assessment_form=form)


def _assessment_or_404(assessment_id: int) -> RiskAssessment:
    assessment = RiskAssessment.get_or_none(RiskAssessment.id == assessment_id)
    if assessment is None:
        abort(404)
    return assessment


def _owners():
    return choices([("", "—")] + [(str(u.id), u.full_name or u.username) for u in
                                  User.select().where(User.active == True).order_by(User.full_name)])  # noqa: E712


def _assessment_content(assessment_id: int, manage: bool, errors: dict) -> tuple[str, str] | None:
    """The assessment's title and its content as the page shows it (the register with last year's answers beside,
    and, for who may ``manage``, each question's answer form with its owners), the CSRF token a slot; None when
    there is no such assessment."""
    assessment = RiskAssessment.get_or_none(RiskAssessment.id == assessment_id)
    if assessment is None:
        return None
    forms = {}
    if manage and not assessment.completed_on:
        owners = _owners()
        for item in assessment.items:
            form = RiskItemForm(formdata=None, prefix=f"q{item.id}", obj=item)
            form.owner.choices = owners
            form.likelihood.data, form.impact.data = str(item.likelihood), str(item.impact)
            form.owner.data = str(item.owner_user_id or "")
            form.due_on.data = item.remediation_due_on
            forms[item.id] = form
    html = render_template("compliance/_assessment.html", assessment=assessment, manage=manage,
                           rows=service.comparison(assessment), previous=service.previous_assessment(assessment),
                           forms=forms, errors=errors, done_form=RemediatedForm(formdata=None))
    return assessment.title, slotted(html)


def _assessment_page(assessment_id: int, status: int = 200, errors: dict | None = None):
    """The assessment's page: kept until an assessment, an answer, the users (the owners) or the settings change,
    for who may manage and who may only read; built afresh to show a refused answer's ``errors``."""
    manage = can("compliance.program.manage")
    if errors:
        content = _assessment_content(assessment_id, manage, errors)
    else:
        content = kept_part((ASSESSMENTS_VERSION.key,), ("assessment", assessment_id, manage),
                            lambda: _assessment_content(assessment_id, manage, {}))
    if content is None:
        abort(404)
    title, html = content
    return render_page("compliance/assessment.html", title=title, content=with_csrf_token(html),
                       breadcrumbs=[("HIPAA program", url_for("compliance.program"))]), status


@bp.route("/program/assessments/<int:assessment_id>")
@requires("compliance.program.view")
def assessment(assessment_id: int):
    """An assessment: every question, its rating, remediation and last year's answer beside it."""
    return _assessment_page(assessment_id)


def _item_or_404(assessment: RiskAssessment, item_id: int) -> RiskItem:
    item = RiskItem.get_or_none((RiskItem.id == item_id) & (RiskItem.assessment == assessment))
    if item is None:
        abort(404)
    return item


@bp.route("/program/assessments/<int:assessment_id>/items/<int:item_id>", methods=["POST"])
@requires("compliance.program.manage")
def assessment_answer(assessment_id: int, item_id: int):
    """Answer one question (a gap rated, with its remediation task)."""
    assessment = _assessment_or_404(assessment_id)
    item = _item_or_404(assessment, item_id)
    form = RiskItemForm(prefix=f"q{item.id}")
    form.owner.choices = _owners()
    if form.validate_on_submit():
        try:
            service.answer(item, answer_value=form.answer.data, likelihood=int(form.likelihood.data),
                           impact=int(form.impact.data), note=form.note.data or "",
                           remediation=form.remediation.data or "", owner_user_id=parse_id(form.owner.data),
                           due_on=form.due_on.data)
        except service.ProgramError as refused:
            return _assessment_page(assessment.id, 422, {item.id: str(refused)})
        notify("Answer saved.")
        return redirect(url_for("compliance.assessment", assessment_id=assessment.id) + f"#q{item.id}")
    return _assessment_page(assessment.id, 422, {item.id: "Check the answer's fields."})


@bp.route("/program/assessments/<int:assessment_id>/items/<int:item_id>/done", methods=["POST"])
@requires("compliance.program.manage")
def remediation_done(assessment_id: int, item_id: int):
    """Mark a remediation task done."""
    assessment = _assessment_or_404(assessment_id)
    item = _item_or_404(assessment, item_id)
    form = RemediatedForm()
    if form.validate_on_submit():
        try:
            service.remediate(item, form.done_on.data, form.note.data)
        except service.ProgramError as refused:
            return _assessment_page(assessment.id, 422, {item.id: str(refused)})
        notify("Remediation recorded.")
        return redirect(url_for("compliance.assessment", assessment_id=assessment.id))
    return _assessment_page(assessment.id, 422, {item.id: "Give the date and what was done."})


@bp.route("/program/assessments/<int:assessment_id>/complete", methods=["POST"])
@requires("compliance.program.manage")
def assessment_complete(assessment_id: int):
    """Close the assessment once every question is answered."""
    assessment = _assessment_or_404(assessment_id)
    try:
        service.complete_assessment(assessment, today())
    except service.ProgramError as refused:
        return _assessment_page(assessment.id, 422, {0: str(refused)})
    notify("Assessment completed.")
    return redirect(url_for("compliance.assessment", assessment_id=assessment.id))


@bp.route("/program/business-associates")
@requires("compliance.program.view")
def business_associates():
    """The business associates register."""
    return render_page("compliance/business_associates.html", title="Business associates",
                       associates=list(BusinessAssociate.select().order_by(BusinessAssociate.name)),
                       breadcrumbs=[("HIPAA program", url_for("compliance.program"))])


NEW_ASSOCIATE = "Add a business associate"


def _associate_form_html(title: str, form) -> str:
    """The business associate form as its page shows it, under ``title``, the CSRF token a slot."""
    return slotted(render_template("compliance/_business_associate_form.html", title=title, form=form))


def _associate_form_page(title: str, html: str, associate_id: int | None, status: int = 200):
    """The form's page: its form (``_associate_form_html``) and, for an associate, its agreement files."""
    return render_page("compliance/business_associate_form.html", title=title, content=with_csrf_token(html),
                       associate_id=associate_id,
                       breadcrumbs=[("Business associates", url_for("compliance.business_associates"))]), status


def _kept_associate_form(associate_id: int) -> tuple[str, str] | None:
    """The associate's name and its form filled in, kept until a business associate, the users or the settings
    change; None when there is no such associate."""
    def build() -> tuple[str, str] | None:
        associate = BusinessAssociate.get_or_none(BusinessAssociate.id == associate_id)
        if associate is None:
            return None
        return associate.name, _associate_form_html(associate.name, BusinessAssociateForm(formdata=None, obj=associate))

    return kept_part((ASSOCIATES_VERSION.key,), ("associate form", associate_id), build)


def _save_associate(associate: BusinessAssociate | None):
    """Save the posted form (a new associate when ``associate`` is None); refused, it comes back with its errors."""
    form = BusinessAssociateForm()
    if form.validate_on_submit():
        upload = form.baa.data
        values = {name: getattr(form, name).data for name in ("name", "services", "contact", "npi", "signed_on",
                                                              "review_on", "terminated_on",
                                                              "return_destroy_confirmed_on")}
        values["npi"] = (values["npi"] or "").strip()
        try:
            saved = service.save_business_associate(values, by=current_user.username, associate=associate,
                                                    baa=upload.stream if upload and upload.filename else None,
                                                    filename=upload.filename if upload else "")
        except service.ProgramError as refused:
            getattr(form, refused.field, form.name).errors = [str(refused)]
        else:
            notify("Business associate saved.")
            return redirect(url_for("compliance.business_associate_edit", associate_id=saved.id))
    title = associate.name if associate else NEW_ASSOCIATE
    return _associate_form_page(title, _associate_form_html(title, form), associate.id if associate else None, 422)


@bp.route("/program/business-associates/new", methods=["GET", "POST"])
@requires("compliance.program.manage")
def business_associate_new():
    """Add a business associate with its BAA."""
    if request.method == "POST":
        return _save_associate(None)
    html = kept_part((), ("new associate form",),
                     lambda: _associate_form_html(NEW_ASSOCIATE, BusinessAssociateForm(formdata=None)))
    return _associate_form_page(NEW_ASSOCIATE, html, None)


@bp.route("/program/business-associates/<int:associate_id>", methods=["GET", "POST"])
@requires("compliance.program.manage")
def business_associate_edit(associate_id: int):
    """Change a business associate: review date, termination, return-or-destroy, its files."""
    if request.method == "GET":
        shown = _kept_associate_form(associate_id)
        if shown is None:
            abort(404)
        name, html = shown
        return _associate_form_page(name, html, associate_id)
    associate = BusinessAssociate.get_or_none(BusinessAssociate.id == associate_id)
    if associate is None:
        abort(404)
    return _save_associate(associate)

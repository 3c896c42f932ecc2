"""Checklist templates, a person's checklists, and leaving: the separation, the exit interview and
the company property still to collect."""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from medoffice import prepared
from medoffice.auth import requires
from medoffice.data_versions import STAFF_KEY
from medoffice.settings import today
from medoffice.web.field_html import render_form
from medoffice.web.forms import blank_form_html, form_values, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page

from .. import checklists, hiring_rules, rules, separations
from ..employees import HrError, employment_of
from ..hiring_models import (CHECKLISTS, LEAVING, Checklist, ChecklistTask, ChecklistTemplate, ChecklistTemplateTask,
                             PropertyItem)
from ..models import PEOPLE, Employment
from . import bp
from .hiring_forms import (ExitInterviewForm, PropertyForm, ReturnForm, SeparationForm, TaskDoneForm, TemplateForm,
                           TemplateTaskForm)


_TEMPLATES = ChecklistTemplate.select().order_by(ChecklistTemplate.kind, ChecklistTemplate.job_title,
                                                 ChecklistTemplate.name)  # built once


def _template_form_html(form) -> Markup:
    return render_form(form, submit="Add template")


@bp.route("/checklist-templates", methods=["GET", "POST"])
@requires("hr.employees.edit")
def checklist_templates():
    """The onboarding and separation templates, and a form for a new one."""
    form_html = blank_form_html(("hr", "new checklist template"), TemplateForm, _template_form_html)
    if request.method == "POST":
        form = TemplateForm()
        if form.validate_on_submit():
            values = form_values(form)
            template = checklists.create_template(values["name"], values["kind"], values["job_title"])
            notify("Template added: now give it tasks.")
            return redirect(url_for("hr.checklist_template", template_id=template.id))
        form_html = _template_form_html(form)
    return render_page("hr/checklist_templates.html", title="Checklist templates",
                       breadcrumbs=[("Hiring", url_for("hr.openings"))],
                       templates=list(prepared.run(_TEMPLATES, "hr.checklist_templates")), form=form_html,
                       label=rules.label, kinds=hiring_rules.CHECKLIST_KINDS), (422 if request.method == "POST" else 200)



def _template_content(template_id: int, form: TemplateTaskForm | None) -> tuple[str, str] | None:
    """A checklist template's page content: (its name, its tasks and the task form, the CSRF token a slot); None
    when there is no such template. ``form`` is a refused one, shown again (a blank one when None)."""
    template = ChecklistTemplate.get_or_none(ChecklistTemplate.id == template_id)
    if template is None:
        return None
    html = render_template("hr/_checklist_template.html", checklist_template=template,
                           tasks=list(template.tasks.order_by(ChecklistTemplateTask.position)),
                           form=form or TemplateTaskForm(formdata=None), label=rules.label,
                           assignees=hiring_rules.ASSIGNEES, kinds=hiring_rules.CHECKLIST_KINDS)
    return template.name, slotted(html)


@bp.route("/checklist-templates/<int:template_id>", methods=["GET", "POST"])
@requires("hr.employees.edit")
def checklist_template(template_id: int):
    """A template's tasks, and a form to add one: kept until templates or checklists change."""
    if request.method == "GET":
        content = kept_part((CHECKLISTS.key,), ("checklist template", template_id),
                            lambda: _template_content(template_id, None))
    else:
        template = ChecklistTemplate.get_or_none(ChecklistTemplate.id == template_id)
        if template is None:
            abort(404)
        form = TemplateTaskForm()
        if form.validate_on_submit():
            try:
                checklists.add_template_task(template, form.title.data.strip(), form.assignee_role.data,
                                             form.due_offset.data or 0, bool(form.business_days.data))
            except HrError as refused:
                getattr(form, refused.field, form.title).errors = [str(refused)]
            else:
                notify("Task added.")
                return redirect(url_for("hr.checklist_template", template_id=template.id))
        content = _template_content(template_id, form)
    if content is None:
        abort(404)
    title, html = content
    return render_page("hr/checklist_template.html", title=title, content=with_csrf_token(html),
                       breadcrumbs=[("Checklist templates", url_for("hr.checklist_templates"))]), \
        (422 if request.method == "POST" else 200)


def _checklist_or_404(checklist_id: int) -> Checklist:
    checklist = Checklist.get_or_none(Checklist.id == checklist_id)
    if checklist is None:
        abort(404)
    return checklist


@bp.route("/checklists/<int:checklist_id>")
@requires("hr.employees.view")
def checklist(checklist_id: int):
    """A person's checklist: each task, who does it, when it is due, done or not."""
    found = _checklist_or_404(checklist_id)
    tasks = list(found.tasks.order_by(ChecklistTask.due, ChecklistTask.position))
    staff = found.employment.staff
    return render_page("hr/checklist.html", title=f"{rules.label(hiring_rules.CHECKLIST_KINDS, found.kind)} of "
                       f"{staff.display_name}",
                       breadcrumbs=[("Employees", url_for("hr.employees")),
                                    (staff.display_name, url_for("hr.employee", staff_id=staff.id))],
                       checklist=found, tasks=tasks, done_form=TaskDoneForm(formdata=None), label=rules.label,
                       assignees=hiring_rules.ASSIGNEES, today=today())


@bp.route("/checklists/tasks/<int:task_id>/done", methods=["POST"])
@requires("hr.employees.edit")
def checklist_task_done(task_id: int):
    """Tick a task done, or open it again."""
    task = ChecklistTask.get_or_none(ChecklistTask.id == task_id)
    if task is None:
        abort(404)
    form = TaskDoneForm()
    if not form.validate_on_submit():
        abort(400)
    checklists.set_done(task, bool(form.done.data), current_user.username)
    return redirect(url_for("hr.checklist", checklist_id=task.checklist_id))


def _employment_or_404(staff_id: int) -> Employment:
    employment = employment_of(staff_id)
    if employment is None:
        abort(404)
    return employment


def _separation_content(staff_id: int, day: dt.date, forms: dict) -> tuple[str, str] | None:
    """A person's leaving page content on ``day``: (their name, the separation or its form, the exit interview,
    the company property, with the CSRF token a slot); None when HR has no file for them. ``forms`` are refused
    ones, shown again."""
    employment = employment_of(staff_id)
    if employment is None:
        return None
    separation = separations.separation_of(employment)
    exit_form = forms.get("exit_form")
    if exit_form is None:
        exit_form = ExitInterviewForm(formdata=None, obj=None)
        if separation and separation.exit_held_on:
            exit_form.held_on.data, exit_form.reason.data = separation.exit_held_on, separation.exit_reason
            exit_form.comments.data = separation.exit_comments
            exit_form.would_rehire.data = {True: "yes", False: "no"}.get(separation.exit_would_rehire, "")
    staff = employment.staff
    html = render_template("hr/_separation.html", title=f"Leaving: {staff.display_name}", employment=employment,
                           staff=staff, separation=separation, form=forms.get("form") or SeparationForm(formdata=None),
                           exit_form=exit_form, property_form=forms.get("property_form") or PropertyForm(formdata=None),
                           return_form=ReturnForm(formdata=None), items=separations.property_of(employment),
                           checklists=list(Checklist.select().where(Checklist.employment == employment)
                                           .order_by(Checklist.created_at)),
                           label=rules.label, reasons=hiring_rules.SEPARATION_REASONS, today=day)
    return staff.display_name, slotted(html)


def _separation_page(staff_id: int, status: int = 200, **forms):
    """A person's leaving page: kept for the day until separations, property, checklists, employments or the staff
    change; built afresh to show refused ``forms``."""
    day = today()
    if forms:
        content = _separation_content(staff_id, day, forms)
    else:
        content = kept_part((LEAVING.key, CHECKLISTS.key, PEOPLE.key, STAFF_KEY), ("separation", staff_id, day),
                            lambda: _separation_content(staff_id, day, {}))
    if content is None:
        abort(404)
    name, html = content
    return render_page("hr/separation.html", title=f"Leaving: {name}", content=with_csrf_token(html),
                       breadcrumbs=[("Employees", url_for("hr.employees")),
                                    (name, url_for("hr.employee", staff_id=staff_id))]), status


@bp.route("/employees/<int:staff_id>/separation", methods=["GET", "POST"])
@requires("hr.employees.edit")
def separation(staff_id: int):
    """Record that the person leaves (and see the separation's state, property and exit interview)."""
    if request.method == "GET":
        return _separation_page(staff_id)
    employment = _employment_or_404(staff_id)
    form = SeparationForm()
    if form.validate_on_submit():
        try:
            separations.schedule(employment, form.last_day.data, form.reason.data, (form.notes.data or "").strip(),
                                 current_user.username)
        except HrError as refused:
            getattr(form, refused.field, form.last_day).errors = [str(refused)]
        else:
            notify("Separation recorded: the login is disabled at the end of the last day.")
            return redirect(url_for("hr.separation", staff_id=staff_id))
    return _separation_page(employment.staff_id, 422, form=form)


@bp.route("/employees/<int:staff_id>/exit-interview", methods=["POST"])
@requires("hr.employees.edit")
def exit_interview(staff_id: int):
    """Record the exit interview."""
    employment = _employment_or_404(staff_id)
    found = separations.separation_of(employment)
    if found is None:
        abort(404)
    form = ExitInterviewForm()
    if form.validate_on_submit():
        separations.save_exit_interview(found, form.held_on.data, (form.reason.data or "").strip(),
                                        {"yes": True, "no": False}.get(form.would_rehire.data),
                                        (form.comments.data or "").strip())
        notify("Exit interview saved.")
        return redirect(url_for("hr.separation", staff_id=staff_id))
    return _separation_page(employment.staff_id, 422, exit_form=form)


@bp.route("/employees/<int:staff_id>/property", methods=["POST"])
@requires("hr.employees.edit")
def property_add(staff_id: int):
    """Record company property handed to the person."""
    employment = _employment_or_404(staff_id)
    form = PropertyForm()
    if form.validate_on_submit():
        separations.add_property(employment, form.item.data.strip(), (form.identifier.data or "").strip(),
                                 form.issued_on.data)
        notify("Property recorded.")
        return redirect(url_for("hr.separation", staff_id=staff_id))
    return _separation_page(employment.staff_id, 422, property_form=form)


@bp.route("/employees/<int:staff_id>/property/<int:item_id>/return", methods=["POST"])
@requires("hr.employees.edit")
def property_return(staff_id: int, item_id: int):
    """Record that an item came back."""
    employment = _employment_or_404(staff_id)
    item = PropertyItem.get_or_none((PropertyItem.id == item_id) & (PropertyItem.employment == employment))
    if item is None:
        abort(404)
    form = ReturnForm()
    if form.validate_on_submit():
        try:
            separations.return_property(item, form.returned_on.data)
        except HrError as refused:
            notify(str(refused), "error")
            return _separation_page(employment.staff_id, 422)
        notify("Marked as returned.")
        return redirect(url_for("hr.separation", staff_id=staff_id))
    return _separation_page(employment.staff_id, 422)

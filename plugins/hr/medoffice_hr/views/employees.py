"""Employee files: the list, one person's file (HR in full, the person their own, a supervisor
their reports'), its forms, the sensitive fields' reveal and the org chart."""
from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape
from medoffice import documents, files, prepared
from medoffice.auth import can, requires
from medoffice.data_versions import STAFF_KEY, kept
from medoffice.models import Location, StaffMember
from medoffice.money import parse_cents
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.web.field_html import render_form
from medoffice.web.forms import choices, form_values, slotted_form_html, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import parse_id
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import JOIN

from .. import employees as service
from .. import rules
from ..checklists import progress as checklist_progress
from ..hiring_models import CHECKLISTS, Checklist
from ..access import FULL, SELF, my_staff_id, require_relation
from ..models import FILES, PEOPLE, Department, EmergencyContact, EmployeeDocument, Employment
from . import bp
from .choice_rows import active_departments, active_locations
from .forms import ContactForm, DocumentForm, EmploymentForm, PayRateForm, RemoveForm, RevealForm, SensitiveForm


def _staff_or_404(staff_id: int) -> StaffMember:
    staff = StaffMember.get_or_none(StaffMember.id == staff_id)
    if staff is None:
        abort(404)
    return staff


_DIRECTORY = (PlainSelect(StaffMember, [StaffMember.id, StaffMember.last_name, StaffMember.first_name,
                                         StaffMember.credentials, StaffMember.job_title.alias("staff_job_title"),
                                         Employment.id.alias("employment_id"), Employment.job_title, Employment.status,
                                         Employment.employment_type, Employment.hire_date,
                                         Department.name.alias("department")])
              .join(Employment, JOIN.LEFT_OUTER, on=(Employment.staff == StaffMember.id))
              .join(Department, JOIN.LEFT_OUTER, on=(Employment.department == Department.id)))
# The directory counts the staff alone: its joins add columns, never rows (one employment per staff member, one
# department per employment).
_STAFF = StaffMember.select(StaffMember.id)
_TYPE_LABELS = dict(rules.TYPES)


@bp.route("/")
@requires("hr.employees.view")
def employees():
    """Every staff member with their employment (or none yet)."""
    link = url_template("hr.employee", "staff_id")
    table = paginate(
        _DIRECTORY, id="employees-table",
        columns=[
            TableColumn("name", "Name", sort=StaffMember.last_name,
                        value=lambda s: rules.display_name(s.last_name, s.first_name, s.credentials),
                        link=lambda s: link(s.id)),
            TableColumn("job_title", "Job title", sort=Employment.job_title,
                        value=lambda s: s.job_title if s.employment_id else s.staff_job_title),
            TableColumn("department", "Department", sort=Department.name, value=lambda s: s.department or ""),
            TableColumn("status", "Status", sort=Employment.status, kind="status",
                        value=lambda s: s.status if s.employment_id else "no_file"),
            TableColumn("type", "Type", value=lambda s: (_TYPE_LABELS.get(s.employment_type, s.employment_type)
                                                         if s.employment_id else "")),
            TableColumn("hire_date", "Hired", sort=Employment.hire_date, kind="date"),
        ],
        search=lambda text: (StaffMember.last_name ** f"%{text}%") | (StaffMember.first_name ** f"%{text}%"),
        default_sort="name", endpoint="hr.employees", key="hr.employees", count_query=_STAFF,
        kept_by=(PEOPLE.key, STAFF_KEY), noun="person",
        noun_plural="people", search_placeholder="Name", empty_message="No staff yet: add people on Admin → Staff first.",
    )
    return render_page("hr/employees.html", title="Employees", table=table)


@bp.route("/me")
@requires("hr.self.view")
def me():
    """The logged-in person's own file, when their login is linked to a staff record."""
    mine = my_staff_id()
    if mine is None:
        return render_page("hr/no_file.html", title="My HR file")
    return redirect(url_for("hr.employee", staff_id=mine))


def _file_facts(staff_id: int) -> tuple[str, int | None] | None:
    """The staff member's name and supervisor (None without an employment), or None when there is no such staff
    member: what deciding who may see the file needs."""
    staff = StaffMember.get_or_none(StaffMember.id == staff_id)
    if staff is None:
        return None
    employment = service.employment_of(staff_id)
    return staff.display_name, employment.supervisor_id if employment else None


# The permissions an employee file's content depends on besides the viewer's relation to it.
FILE_PERMISSIONS = ("hr.employees.edit", "hr.payroll.view", "hr.reviews.manage", "hr.sensitive.view",
                    "hr.sensitive.edit")
ACKNOWLEDGE_SLOT, LOCATION_SLOT = "\0acknowledge\0", "\0location\0"  # what a kept file shows live


def _file_content(staff_id: int, relation: str, forms: dict) -> tuple[str, int | None]:
    """The file's content as everyone with ``relation`` to it (and the same ``FILE_PERMISSIONS``) sees it: its HTML,
    the CSRF token, the location's name and the documents waiting for one's own signature as slots; and the
    employment's location id. ``forms`` are refused ones (or revealed values), shown again."""
    staff = StaffMember.get_by_id(staff_id)
    employment = service.employment_of(staff_id)
    context = {"staff": staff, "employment": employment, "relation": relation}
    if employment is not None:
        context["contacts"] = list(employment.contacts.order_by(EmergencyContact.name))
        context["reports"] = list(Employment.select(Employment, StaffMember).join(
            StaffMember, on=(Employment.staff == StaffMember.id)).where(Employment.supervisor == staff.id)
            .order_by(StaffMember.last_name))
        context["location"] = Markup(LOCATION_SLOT) if employment.location_id else ""
        if relation == FULL:
            context["checklists"] = list(Checklist.select().where(Checklist.employment == employment)
                                         .order_by(Checklist.created_at))
            context["progress"] = checklist_progress(c.id for c in context["checklists"])
        if relation in (FULL, SELF):
            context["rates"] = service.pay_rates(employment)
            context["documents"] = service.documents(employment)
            context["masked"] = service.masked(employment)
        if relation == SELF:
            context["contact_form"] = forms.get("contact_form") or ContactForm(formdata=None)
            context["contact_add_url"] = url_for("hr.my_contact_add")
            context["contact_delete_url"] = lambda c: url_for("hr.my_contact_delete", contact_id=c.id)
            context["to_acknowledge"] = Markup(ACKNOWLEDGE_SLOT)
        if relation == FULL and can("hr.employees.edit"):
            context["rate_form"] = forms.get("rate_form") or PayRateForm(formdata=None)
            context["contact_form"] = forms.get("contact_form") or ContactForm(formdata=None)
            context["contact_add_url"] = url_for("hr.contact_add", staff_id=staff.id)
            context["contact_delete_url"] = lambda c: url_for("hr.contact_delete", staff_id=staff.id, contact_id=c.id)
            context["document_form"] = forms.get("document_form") or DocumentForm(formdata=None)
            context["remove_form"] = RemoveForm(formdata=None)
        context["reveal_form"] = RevealForm(formdata=None)
        context["revealed"] = forms.get("revealed")
    html = render_template("hr/_employee.html", **context, label=rules.label, rules=rules,
                           kind_title=lambda k: rules.KIND_BY_KEY[k].title if k in rules.KIND_BY_KEY else k)
    return slotted(html), employment.location_id if employment else None


_LOCATION_NAME = Location.select(Location.name).where(Location.id == slot("id"))


def _with_live_parts(html: str, location_id: int | None) -> Markup:
    """A file's kept content with what is not kept put in: the request's CSRF token, the location's name (core's
    locations have no data version) and the documents the viewer has to acknowledge (their own, for their file)."""
    html = str(with_csrf_token(html))
    if location_id:
        html = html.replace(LOCATION_SLOT, escape(prepared.scalar(_LOCATION_NAME, "hr.location_name",
                                                                  id=location_id) or ""))
    if ACKNOWLEDGE_SLOT in html:
        html = html.replace(ACKNOWLEDGE_SLOT, _to_acknowledge_html(documents.pending_documents(current_user.id)))
    return Markup(html)


def _to_acknowledge_html(pending) -> str:
    """The list of documents waiting for the viewer's acknowledgment, or the line saying none does."""
    if not pending:
        return "<p>Nothing waits for your signature.</p>"
    link = url_template("core.document_read", "document_id")
    return "<ul>" + "".join(f'<li><a href="{link(d.id)}">{escape(d.title)}</a></li>' for d in pending) + "</ul>"


def _employee_page(staff_id: int, status: int = 200, **forms):
    """A person's file as the viewer may see it: its content kept until the employment, the file's rates, contacts
    and documents, its checklists or the staff change, per relation and permissions; built afresh to show refused
    ``forms`` or revealed values."""
    facts = kept((PEOPLE.key, STAFF_KEY), ("file facts", staff_id), lambda: _file_facts(staff_id))
    if facts is None:
        abort(404)
    name, supervisor_id = facts
    relation = require_relation(staff_id, supervisor_id)
    if forms:
        html, location_id = _file_content(staff_id, relation, forms)
    else:
        flags = tuple(can(permission) for permission in FILE_PERMISSIONS)
        html, location_id = kept_part((PEOPLE.key, FILES.key, CHECKLISTS.key, STAFF_KEY),
                                      ("file", staff_id, relation, flags),
                                      lambda: _file_content(staff_id, relation, {}))
    crumbs = [("Employees", url_for("hr.employees"))] if relation == FULL else []
    return render_page("hr/employee.html", title=name, breadcrumbs=crumbs,
                       content=_with_live_parts(html, location_id)), status


@bp.route("/employees/<int:staff_id>")
@requires("hr.self.view")
def employee(staff_id: int):
    """One person's file: what the viewer may see of it."""
    return _employee_page(staff_id)


def _id_or_none(text: str) -> int | None:
    return parse_id(text) if text else None


# Active staff as (id, last, first, credentials) rows: the supervisor choices, built and compiled once.
_ACTIVE_STAFF = (StaffMember.select(StaffMember.id, StaffMember.last_name, StaffMember.first_name,
                                    StaffMember.credentials).where(StaffMember.active == True)  # noqa: E712
                 .order_by(StaffMember.last_name, StaffMember.first_name).tuples())


def _employment_choices(form: EmploymentForm, staff_id: int, locations: tuple[tuple[int, str], ...]) -> None:
    """The employment form's department, ``locations`` and supervisor options (anyone active but the person)."""
    form.department.choices = choices([("", "—")] + [(str(i), name) for i, name in active_departments()])
    form.location.choices = choices([("", "—")] + [(str(i), name) for i, name in locations])
    form.supervisor.choices = choices([("", "Nobody")] + [
        (str(i), rules.display_name(last, first, credentials))
        for i, last, first, credentials in prepared.rows(_ACTIVE_STAFF, "hr.active_staff") if i != staff_id])


def _employment_form_html(staff_id: int, locations: tuple[tuple[int, str], ...]) -> tuple[str, str] | None:
    """The employment form as GET shows it (the employment's values, or the staff record's job title and location
    to start one), its CSRF token a slot, with the person's name; None when there is no such staff member."""
    staff = StaffMember.get_or_none(StaffMember.id == staff_id)
    if staff is None:
        return None
    employment = service.employment_of(staff.id)
    form = EmploymentForm(formdata=None, obj=employment)
    _employment_choices(form, staff.id, locations)
    if employment:
        for name in ("department", "location", "supervisor"):
            value = getattr(employment, f"{name}_id")
            getattr(form, name).data = str(value) if value else ""
    else:
        form.job_title.data = staff.job_title
        form.location.data = str(staff.location_id) if staff.location_id else ""
    return staff.display_name, slotted_form_html(form, lambda f: _employment_form_render(f, staff.id))


def _employment_form_render(form: EmploymentForm, staff_id: int) -> Markup:
    return render_form(form, submit="Save employment", cancel=url_for("hr.employee", staff_id=staff_id))


def _employment_form_page(staff_id: int, name: str, form_html: Markup, status: int):
    return render_page("hr/form_html_page.html", title=f"Employment of {name}", form_html=form_html,
                       breadcrumbs=[("Employees", url_for("hr.employees")),
                                    (name, url_for("hr.employee", staff_id=staff_id))]), status


@bp.route("/employees/<int:staff_id>/employment", methods=["GET", "POST"])
@requires("hr.employees.edit")
def employment_edit(staff_id: int):
    """Start or change the person's employment; bad input comes back with 422. The form as GET shows it is kept
    until employments, departments or the staff change, for the active locations read on every view."""
    if request.method == "GET":
        locations = active_locations()
        found = kept_part((PEOPLE.key, STAFF_KEY), ("employment form", staff_id, locations),
                          lambda: _employment_form_html(staff_id, locations))
        if found is None:
            abort(404)
        name, form_html = found
        return _employment_form_page(staff_id, name, with_csrf_token(form_html), 200)
    staff = _staff_or_404(staff_id)
    form = EmploymentForm()
    _employment_choices(form, staff.id, active_locations())
    if form.validate_on_submit():
        values = form_values(form)
        values["hire_date"], values["end_date"] = form.hire_date.data, form.end_date.data
        values["flsa_exempt"] = bool(form.flsa_exempt.data)
        for name in ("department", "location", "supervisor"):
            values[name] = _id_or_none(values[name])
        try:
            service.save_employment(staff, values)
        except service.HrError as refused:
            getattr(form, refused.field, form.hire_date).errors = [str(refused)]
        else:
            notify("Employment saved.")
            return redirect(url_for("hr.employee", staff_id=staff.id))
    return _employment_form_page(staff.id, staff.display_name, _employment_form_render(form, staff.id), 422)


def _employment_or_404(staff_id: int) -> tuple[StaffMember, Employment]:
    staff = _staff_or_404(staff_id)
    employment = service.employment_of(staff.id)
    if employment is None:
        abort(404)
    return staff, employment


@bp.route("/employees/<int:staff_id>/pay-rates", methods=["POST"])
@requires("hr.employees.edit")
def pay_rate_add(staff_id: int):
    """Add a pay rate from a date on."""
    staff, employment = _employment_or_404(staff_id)
    form = PayRateForm()
    if form.validate_on_submit():
        try:
            cents = parse_cents(form.amount.data)
            service.add_pay_rate(employment, form.effective_on.data, form.basis.data, cents,
                                 (form.reason.data or "").strip(), current_user.username)
        except service.HrError as refused:
            getattr(form, refused.field, form.amount).errors = [str(refused)]
        except ValueError as bad:
            form.amount.errors = [str(bad)]
        else:
            notify("Pay rate added.")
            return redirect(url_for("hr.employee", staff_id=staff.id))
    return _employee_page(staff.id, 422, rate_form=form)


def _add_contact(staff: StaffMember, employment: Employment):
    """Add the posted emergency contact to ``employment`` (the page again with 422 on bad input)."""
    form = ContactForm()
    if form.validate_on_submit():
        values = form_values(form)
        service.add_contact(employment, values["name"], values["relationship"], values["phone"], values["email"])
        notify("Emergency contact added.")
        return redirect(url_for("hr.employee", staff_id=staff.id))
    return _employee_page(staff.id, 422, contact_form=form)


def _remove_contact(staff: StaffMember, employment: Employment, contact_id: int):
    """Remove one of ``employment``'s emergency contacts (404 when it is not theirs)."""
    if not service.remove_contact(employment, contact_id):
        abort(404)
    notify("Emergency contact removed.")
    return redirect(url_for("hr.employee", staff_id=staff.id))


@bp.route("/employees/<int:staff_id>/contacts", methods=["POST"])
@requires("hr.employees.edit")
def contact_add(staff_id: int):
    """Add an emergency contact."""
    staff, employment = _employment_or_404(staff_id)
    return _add_contact(staff, employment)


@bp.route("/employees/<int:staff_id>/contacts/<int:contact_id>/delete", methods=["POST"])
@requires("hr.employees.edit")
def contact_delete(staff_id: int, contact_id: int):
    """Remove an emergency contact."""
    staff, employment = _employment_or_404(staff_id)
    return _remove_contact(staff, employment, contact_id)


def _my_employment() -> tuple[StaffMember, Employment]:
    mine = my_staff_id()
    if mine is None:
        abort(404)
    return _employment_or_404(mine)


@bp.route("/me/contacts", methods=["POST"])
@requires("hr.self.view")
def my_contact_add():
    """An employee adds an emergency contact to their own file."""
    staff, employment = _my_employment()
    return _add_contact(staff, employment)


@bp.route("/me/contacts/<int:contact_id>/delete", methods=["POST"])
@requires("hr.self.view")
def my_contact_delete(contact_id: int):
    """An employee removes one of their own emergency contacts."""
    staff, employment = _my_employment()
    return _remove_contact(staff, employment, contact_id)


@bp.route("/employees/<int:staff_id>/documents", methods=["POST"])
@requires("hr.employees.edit")
def document_add(staff_id: int):
    """File a document (checked by core's files service); bad input answers 422, nothing kept."""
    staff, employment = _employment_or_404(staff_id)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            service.add_document(employment, form.kind.data, form.expires_on.data, (form.note.data or "").strip(),
                                 upload.stream, upload.filename or "document", current_user.username)
        except service.HrError as refused:
            getattr(form, refused.field, form.file).errors = [str(refused)]
        else:
            notify("Document filed.")
            return redirect(url_for("hr.employee", staff_id=staff.id))
    return _employee_page(staff.id, 422, document_form=form)


def _document_or_404(employment: Employment, document_id: int) -> EmployeeDocument:
    document = EmployeeDocument.get_or_none((EmployeeDocument.id == document_id)
                                            & (EmployeeDocument.employment == employment)
                                            & EmployeeDocument.removed_at.is_null())
    if document is None or not document.attachment_id:
        abort(404)
    return document


@bp.route("/employees/<int:staff_id>/documents/<int:document_id>")
@requires("hr.self.view")
def document_download(staff_id: int, document_id: int):
    """Download a document of the file: HR, or the employee their own (the read is audited by core)."""
    staff, employment = _employment_or_404(staff_id)
    require_relation(staff.id, employment.supervisor_id, allowed=(FULL, SELF))
    document = _document_or_404(employment, document_id)
    stored = files.get(document.attachment_id)
    with files.open(stored.id, purpose="hr.document.open") as fh:
        content = fh.read()
    response = Response(content, mimetype=stored.mime)
    response.headers["Content-Disposition"] = f'attachment; filename="hr-document-{document.id}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/employees/<int:staff_id>/documents/<int:document_id>/remove", methods=["POST"])
@requires("hr.employees.edit")
def document_remove(staff_id: int, document_id: int):
    """Take a document out of the file, with the reason."""
    staff, employment = _employment_or_404(staff_id)
    document = _document_or_404(employment, document_id)
    form = RemoveForm()
    if not form.validate_on_submit():
        notify("Say why the document is removed.", "error")
        return _employee_page(staff.id, 422)
    service.remove_document(document, form.reason.data.strip())
    notify("Document removed.")
    return redirect(url_for("hr.employee", staff_id=staff.id))


@bp.route("/employees/<int:staff_id>/sensitive", methods=["GET", "POST"])
@requires("hr.sensitive.edit")
def sensitive_edit(staff_id: int):
    """Enter or change the sealed fields; the values already kept are never put in the form."""
    staff, employment = _employment_or_404(staff_id)
    form = SensitiveForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                changed = service.set_sensitive(employment, {f: form[f].data for f in
                                                             ("ssn", "date_of_birth", "bank_routing", "bank_account")
                                                             if form[f].data or request.form.get(f"clear_{f}")})
            except service.HrError as refused:
                form[refused.field].errors = [str(refused)] if refused.field else []
            else:
                notify(f"{len(changed)} field{'s' if len(changed) != 1 else ''} saved." if changed
                       else "Nothing changed.")
                return redirect(url_for("hr.employee", staff_id=staff.id))
        status = 422
    return render_page("hr/sensitive_form.html", title=f"Sensitive details of {staff.display_name}",
                       breadcrumbs=[("Employees", url_for("hr.employees")),
                                    (staff.display_name, url_for("hr.employee", staff_id=staff.id))],
                       form=form, staff=staff, masked=service.masked(employment)), status


@bp.route("/employees/<int:staff_id>/reveal", methods=["POST"])
@requires("hr.sensitive.view")
def reveal(staff_id: int):
    """Show the sealed fields in plaintext once, the read audited."""
    staff, employment = _employment_or_404(staff_id)
    if not RevealForm().validate_on_submit():
        abort(400)
    response, status = _employee_page(staff.id, revealed=service.reveal(employment))
    return response, status, {"Cache-Control": "no-store"}


# The org chart's people, built once: ids and text, read as the driver gives them (prepared.rows) rather than
# through peewee's converter per cell of a hundred rows.
_ORG_CHART = (Employment.select(StaffMember.id, StaffMember.first_name, StaffMember.last_name, Employment.job_title,
                                Employment.supervisor)
              .join(StaffMember, on=(Employment.staff == StaffMember.id))
              .where(Employment.status != "ended"))


@bp.route("/org-chart")
@requires("hr.self.view")
def org_chart():
    """Who reports to whom, drawn from the supervisors on the employment records; drawn once and kept until
    employments or the staff list change."""
    return render_page("hr/org_chart.html", title="Org chart",
                       tree=kept((PEOPLE.key, STAFF_KEY), "org chart", _org_chart_html))


def _org_chart_html() -> Markup | None:
    tree = rules.org_tree([(sid, f"{first} {last}", title, sup)
                           for sid, first, last, title, sup in prepared.rows(_ORG_CHART, "hr.org_chart")])
    return Markup(_branch(tree)) if tree else None


def _branch(nodes: list[dict]) -> str:
    """A level of the org chart as a nested list, built here: a recursive template macro costs a call
    per person."""
    items = []
    for node in nodes:
        title = f" · {escape(node['title'])}" if node["title"] else ""
        reports = _branch(node["reports"]) if node["reports"] else ""
        items.append(f"<li><strong>{escape(node['name'])}</strong>{title}\n{reports}</li>")
    return f'<ul class="org-chart">\n{"".join(items)}\n</ul>'

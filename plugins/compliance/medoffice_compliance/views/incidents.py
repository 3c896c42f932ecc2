"""Incident pages: the log, one incident (the patients it names are recorded as shown), its
four-factor assessment and decision, the breach clocks, and the notice letters."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user
from medoffice.auth import can, requires
from medoffice.data_versions import PATIENTS_KEY, STAFF_KEY
from medoffice.models import Patient
from medoffice.patients import record_shown
from medoffice.settings import today
from medoffice.web.forms import with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template

from .. import incidents as service
from .. import rules
from ..models import INCIDENT_PEOPLE_VERSION, INCIDENTS_VERSION, Incident, IncidentPatient
from . import bp
from .forms import AssessmentForm, IncidentForm, NoticeDateForm, NoticeForm, PatientsForm
from .privacy import _patient_id


# The columns the log shows, not every column of the incident (its description, the four factors...): peewee maps
# each column it reads to its field before the first row. Compiled once per sort (``paginate``'s ``key``).
_INCIDENTS = Incident.select(Incident.id, Incident.title, Incident.discovered_on, Incident.decision)


@bp.route("/incidents")
@requires("compliance.incidents.view")
def incidents():
    """The incident log, newest discovery first."""
    link = url_template("compliance.incident", "incident_id")
    table = paginate(
        _INCIDENTS, id="incidents-table",
        columns=[
            TableColumn("id", "#", sort=Incident.id, link=lambda i: link(i.id)),
            TableColumn("title", "Incident", sort=Incident.title, link=lambda i: link(i.id)),
            TableColumn("discovered_on", "Discovered", sort=Incident.discovered_on, kind="date"),
            TableColumn("decision", "Decision", sort=Incident.decision, kind="status",
                        value=lambda i: i.decision or "to_assess"),
        ],
        search=lambda text: Incident.title.contains(text), default_sort="discovered_on",
        endpoint="compliance.incidents", key=("compliance.incidents",), kept_by=INCIDENTS_VERSION.key,
        noun="incident", noun_plural="incidents", empty_message="No incident logged.")
    return render_page("compliance/incidents.html", title="Incidents", table=table)


@bp.route("/incidents/new", methods=["GET", "POST"])
@requires("compliance.incidents.edit")
def incident_new():
    """Log an incident; bad input comes back with 422 and nothing saved."""
    form = IncidentForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            affected = service.parse_affected(form.affected.data or "")
            incident = service.log(title=form.title.data, description=form.description.data or "",
                                   occurred_on=form.occurred_on.data, discovered_on=form.discovered_on.data,
                                   reported_by=form.reported_by.data or "", phi_involved=bool(form.phi_involved.data),
                                   affected_by_state=affected, by=current_user.username, today=today())
        except service.IncidentError as refused:
            getattr(form, refused.field, form.title).errors = [str(refused)]
        else:
            notify("Incident logged: assess it next.")
            return redirect(url_for("compliance.incident", incident_id=incident.id))
    status = 422 if request.method == "POST" else 200
    return render_page("compliance/form.html", title="Log an incident", form=form, submit="Log incident",
                       cancel=url_for("compliance.incidents"),
                       breadcrumbs=[("Incidents", url_for("compliance.incidents"))]), status


def _incident_or_404(incident_id: int) -> Incident:
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None:
        abort(404)
    return incident


def _content(incident_id: int, edit: bool) -> tuple[str, tuple[int, ...]] | None:
    """The incident's content as its page shows it (details, clocks, assessment, the patients named and, for who
    may ``edit``, the forms; the CSRF token a slot) and the ids of the patients it names; None when there is no
    such incident."""
    incident = Incident.get_or_none(Incident.id == incident_id)
    if incident is None:
        return None
    named = list(IncidentPatient.select(IncidentPatient, Patient).join(Patient)
                 .where(IncidentPatient.incident == incident).order_by(Patient.last_name, Patient.first_name))
    html = render_template("compliance/_incident.html", incident=incident, edit=edit,
                           affected=service.affected(incident), clocks=service.clocks(incident), named=named,
                           assess_form=AssessmentForm(formdata=None, obj=incident), rules=rules,
                           patients_form=PatientsForm(formdata=None), notice_form=NoticeForm(formdata=None),
                           notice_date_form=NoticeDateForm(formdata=None))
    return slotted(html), tuple(row.patient_id for row in named)


@bp.route("/incidents/<int:incident_id>")
@requires("compliance.incidents.view")
def incident(incident_id: int):
    """One incident: what happened, the assessment, the clocks and the notices. Its content is kept until an
    incident, its states or patients, a patient's record, the staff or the users change; the patients it names
    are recorded as shown on every view."""
    edit = can("compliance.incidents.edit")
    content = kept_part((INCIDENTS_VERSION.key, INCIDENT_PEOPLE_VERSION.key, PATIENTS_KEY, STAFF_KEY),
                        ("incident", incident_id, edit), lambda: _content(incident_id, edit))
    if content is None:
        abort(404)
    html, patient_ids = content
    if patient_ids:
        record_shown("compliance.incident.view", Incident(id=incident_id), patient_ids)
    return render_page("compliance/incident.html", title=f"Incident #{incident_id}", content=with_csrf_token(html),
                       breadcrumbs=[("Incidents", url_for("compliance.incidents"))])


def _refused(form, title: str, endpoint: str, incident_id: int, submit: str):
    """A refused form on its own page (422), without the patients the incident names: a refused
    change writes nothing, not even the audit entry of showing them again."""
    back = url_for("compliance.incident", incident_id=incident_id)
    return render_page("compliance/form.html", title=f"Incident #{incident_id}: {title}", form=form, submit=submit,
                       action=url_for(endpoint, incident_id=incident_id), cancel=back,
                       breadcrumbs=[("Incidents", url_for("compliance.incidents")), (f"#{incident_id}", back)]), 422


@bp.route("/incidents/<int:incident_id>/assess", methods=["POST"])
@requires("compliance.incidents.edit")
def incident_assess(incident_id: int):
    """Record the four-factor risk assessment and the decision; a breach starts its clocks."""
    incident = _incident_or_404(incident_id)
    form = AssessmentForm()
    if form.validate_on_submit():
        try:
            service.assess(incident, {name: getattr(form, name).data or "" for name, _ in rules.FACTORS},
                           form.decision.data, form.decision_reasoning.data or "", by=current_user.username,
                           today=today())
        except service.IncidentError as refused:
            getattr(form, refused.field, form.decision).errors = [str(refused)]
        else:
            notify("Assessment recorded.")
            return redirect(url_for("compliance.incident", incident_id=incident.id))
    return _refused(form, "Four-factor risk assessment", "compliance.incident_assess", incident.id, "Record the assessment")


@bp.route("/incidents/<int:incident_id>/patients", methods=["POST"])
@requires("compliance.incidents.edit")
def incident_patients(incident_id: int):
    """Name the patients the incident affects (by record number)."""
    incident = _incident_or_404(incident_id)
    form = PatientsForm()
    if form.validate_on_submit():
        numbers = [n.strip() for n in form.patient_ids.data.split(",") if n.strip()]
        ids = [_patient_id(n) for n in numbers]
        unknown = [n for n, pid in zip(numbers, ids) if pid is None]
        if unknown:
            form.patient_ids.errors = [f"No patient has the record number {unknown[0][:20]}."]
        else:
            added = service.add_patients(incident, ids)
            notify(f"{added} patient(s) added.")
            return redirect(url_for("compliance.incident", incident_id=incident.id))
    return _refused(form, "Patients affected", "compliance.incident_patients", incident.id, "Add patients")


@bp.route("/incidents/<int:incident_id>/notices", methods=["POST"])
@requires("compliance.incidents.edit")
def incident_notices(incident_id: int):
    """Queue the breach notice letter to every named patient not yet sent one."""
    incident = _incident_or_404(incident_id)
    form = NoticeForm()
    if form.validate_on_submit():
        try:
            sent = service.send_notices(incident, {name: getattr(form, name).data for name in
                                                   ("what_happened", "information", "our_steps", "your_steps")},
                                        by=current_user.username, today=today())
        except service.IncidentError as refused:
            getattr(form, refused.field, form.what_happened).errors = [str(refused)]
        else:
            notify(f"{sent} notice letter(s) queued: print and post them from the outbox.")
            return redirect(url_for("compliance.incident", incident_id=incident.id))
    return _refused(form, "Breach notice letters", "compliance.incident_notices", incident.id, "Queue the letters")


@bp.route("/incidents/<int:incident_id>/notified", methods=["POST"])
@requires("compliance.incidents.edit")
def incident_notified(incident_id: int):
    """Record the day HHS or the media were notified."""
    incident = _incident_or_404(incident_id)
    form = NoticeDateForm()
    if form.validate_on_submit():
        try:
            service.record_notice(incident, form.notice.data, form.on.data)
        except service.IncidentError as refused:
            form.on.errors = [str(refused)]
        else:
            notify("Notice recorded.")
            return redirect(url_for("compliance.incident", incident_id=incident.id))
    return _refused(form, "Notice sent", "compliance.incident_notified", incident.id, "Record notice")

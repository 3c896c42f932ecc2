"""On the patient page: where they came from, visits, recalls and experience; the source and visit
forms; handing the next kiosk survey to them. Every read and change is audited naming the patient."""
from __future__ import annotations

from flask import redirect, url_for
from medoffice import prepared
from medoffice.auth import requires
from medoffice.patients import load_for_change, load_for_display
from medoffice.plain import PlainSelect
from medoffice.settings import practice_timezone, today
from medoffice.web.forms import choices, form_values
from medoffice.web.query import parse_id
from medoffice.prepared import slot
from medoffice.web.shell import notify, render_page
from peewee import JOIN, SQL, Select, fn

from .. import kiosk
from ..models import (CHANNELS, Campaign, KioskDevice, PatientSource, RecallEntry, RecallList, RecallRule, RecoveryItem,
                      ReferringProvider, SurveyResponse, Visit)
from ..recall import OUTCOMES, add_visit, as_date
from ..sources import SourceError, record_source, source_of
from . import bp
from .common import username
from .forms import HandoffForm, SourceForm, VisitForm


def _crumbs(patient, *tail):
    return [("Patients", url_for("core.patients")), (patient.display_name,
                                                        url_for("core.patient", patient_id=patient.id)), *tail]


# The panel's reads, compiled once (peewee built these six statements on every view: over half of the
# panel's time), each reading only what the card shows, as plain named tuples (``_dated`` reads their day).
_MINE = slot("patient")
_SOURCE = (PlainSelect(PatientSource, [PatientSource.channel, PatientSource.detail, PatientSource.new_on,
                        Campaign.code.alias("campaign_code"), ReferringProvider.name.alias("referrer")])
           .join(ReferringProvider, JOIN.LEFT_OUTER).switch(PatientSource).join(Campaign, JOIN.LEFT_OUTER)
           .where(PatientSource.patient == _MINE).limit(1))
_VISITS = (PlainSelect(Visit, [Visit.visit_on, Visit.visit_type]).where(Visit.patient == _MINE)
           .order_by(Visit.visit_on.desc()).limit(5))
_RECALLS = (PlainSelect(RecallEntry, [RecallRule.name.alias("rule_name"), RecallEntry.due_on, RecallEntry.contact,
                         RecallEntry.outcome]).join(RecallList).join(RecallRule)
            .where(RecallEntry.patient == _MINE).order_by(RecallEntry.id.desc()).limit(5))
_SURVEYS = (PlainSelect(SurveyResponse, [SurveyResponse.answered_on, SurveyResponse.nps, SurveyResponse.comment])
            .where(SurveyResponse.patient == _MINE).order_by(SurveyResponse.answered_on.desc()).limit(3))
_OPEN_ITEMS = (PlainSelect(RecoveryItem, [RecoveryItem.id, RecoveryItem.due_on])
               .where((RecoveryItem.patient == _MINE) & (RecoveryItem.state == "open")))


def _dated(query, key: str, day: str, **values) -> list:
    """The rows of a panel read with their ``day`` column as a date (plain rows read it as text on SQLite)."""
    return [row._replace(**{day: as_date(getattr(row, day))}) for row in prepared.run(query, key, **values)]


_KIOSKS = Select(columns=[fn.EXISTS(KioskDevice.select(SQL("1")).where(KioskDevice.active == True))])  # noqa: E712


@bp.route("/patients/<int:patient_id>/panel")
@requires("marketing.view")
def patient_panel(patient_id: int):
    """The patient page's card: source, last visits, recall entries, surveys and open recovery items."""
    patient = load_for_display(patient_id, "marketing.patient_panel.view")
    mine = {"patient": patient.id}
    source = next(iter(_dated(_SOURCE, "marketing.panel.source", "new_on", **mine)), None)
    visits = _dated(_VISITS, "marketing.panel.visits", "visit_on", **mine)
    recalls = _dated(_RECALLS, "marketing.panel.recalls", "due_on", **mine)
    surveys = _dated(_SURVEYS, "marketing.panel.surveys", "answered_on", **mine)
    open_items = _dated(_OPEN_ITEMS, "marketing.panel.open_items", "due_on", **mine)
    return render_page("marketing/_patient_panel.html", title="Source, recalls and experience", patient=patient,
                       source=source, channels=CHANNELS, visits=visits, recalls=recalls, outcomes=OUTCOMES,
                       surveys=surveys, open_items=open_items,
                       kiosks=bool(prepared.scalar(_KIOSKS, "marketing.panel.kiosks")))


def _source_form(form: SourceForm) -> SourceForm:
    providers = ReferringProvider.select(ReferringProvider.id, ReferringProvider.name).where(
        ReferringProvider.active == True).order_by(ReferringProvider.name)  # noqa: E712
    form.referring_provider.choices = choices([("", "None"), *[(str(p.id), p.name) for p in providers]])
    return form


@bp.route("/patients/<int:patient_id>/source", methods=["GET", "POST"])
@requires("marketing.edit")
def patient_source(patient_id: int):
    """Record where a new patient came from (a referrer, another patient, a campaign code...)."""
    patient = load_for_display(patient_id, "marketing.source.view")
    current = source_of(patient.id)
    if current is not None:
        form = _source_form(SourceForm(obj=current, campaign_code=current.campaign.code if current.campaign else "",
                                       referring_provider=str(current.referring_provider_id or ""),
                                       referring_account=current.referring_patient.account_number
                                       if current.referring_patient else ""))
    else:
        registered = patient.created_at.astimezone(practice_timezone()).date() if patient.created_at else today()
        form = _source_form(SourceForm(new_on=registered))
    if form.validate_on_submit():
        values = form_values(form)
        try:
            record_source(patient, channel=values["channel"], new_on=values["new_on"],
                          campaign_code=values["campaign_code"] or "",
                          referring_provider_id=parse_id(values["referring_provider"]),
                          referring_account=values["referring_account"] or "", detail=values["detail"] or "",
                          by=username())
        except SourceError as exc:
            getattr(form, exc.field, form.channel).errors.append(str(exc))
        else:
            notify("Saved where the patient came from.")
            return redirect(url_for("core.patient", patient_id=patient.id))
    return render_page("marketing/form.html", title="Where the patient came from", form=form, submit="Save",
                       cancel=url_for("core.patient", patient_id=patient.id), intro="",
                       breadcrumbs=_crumbs(patient, ("Source", None))), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/visits/new", methods=["GET", "POST"])
@requires("marketing.edit")
def visit_new(patient_id: int):
    """Enter a visit by hand, for recall lists when billing does not post visits."""
    patient = load_for_display(patient_id, "marketing.visit.form")
    form = VisitForm(visit_on=today())
    if form.validate_on_submit():
        add_visit(load_for_change(patient.id), form.visit_on.data, form.visit_type.data or "")
        notify("Added the visit.")
        return redirect(url_for("core.patient", patient_id=patient.id))
    return render_page("marketing/form.html", title="Add a visit", form=form, submit="Add visit", intro="",
                       cancel=url_for("core.patient", patient_id=patient.id),
                       breadcrumbs=_crumbs(patient, ("Add a visit", None))), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/kiosk", methods=["GET", "POST"])
@requires("marketing.experience.edit")
def kiosk_handoff(patient_id: int):
    """Hand the next survey on a kiosk to this patient (the kiosk shows nothing about them)."""
    patient = load_for_display(patient_id, "marketing.kiosk_handoff.form")
    form = HandoffForm(visit_on=today())
    devices = list(KioskDevice.select().where(KioskDevice.active == True).order_by(KioskDevice.name))  # noqa: E712
    form.device.choices = choices([(str(d.id), d.name) for d in devices])
    if form.validate_on_submit():
        device = next((d for d in devices if d.id == parse_id(form.device.data)), None)
        if device is None:
            form.device.errors.append("Choose an enrolled kiosk.")
        else:
            kiosk.hand_off(device, patient.id, form.visit_on.data)
            notify(f"The next survey on {device.name} is this patient's.")
            return redirect(url_for("core.patient", patient_id=patient.id))
    return render_page("marketing/form.html", title="Survey on a kiosk", form=form, submit="Hand over",
                       cancel=url_for("core.patient", patient_id=patient.id),
                       intro="The kiosk shows only the survey; the answer is filed under this patient.",
                       breadcrumbs=_crumbs(patient, ("Kiosk survey", None))), (422 if form.errors else 200)

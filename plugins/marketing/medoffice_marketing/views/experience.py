"""Patient experience: the dashboard and widget, surveys (staff entry, CSV import), service recovery
and the complaints log."""
from __future__ import annotations

import base64
import datetime as dt
from functools import cache, lru_cache

from dateutil.relativedelta import relativedelta
from flask import abort, redirect, render_template, request, url_for
from medoffice import ChartSpec, Column, audit, prepared, settings
from medoffice.auth import can, requires
from medoffice.data_versions import PATIENTS_KEY, STAFF_KEY, kept
from medoffice.db import is_sqlite
from medoffice.models import Patient, StaffMember, User
from medoffice.patients import load_record_for_display
from medoffice.plain import PlainSelect
from medoffice.prepared import slot
from medoffice.reports.charts import chart_svg
from medoffice.settings import today
from medoffice.sqldates import days_between
from medoffice.web.forms import choices, form_values, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import parse_id
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import JOIN, Case, Select, fn

from .. import experience, returns
from ..experience import CATEGORIES, COMPLAINT_CHANNELS, RECOVERY_OUTCOMES, SOURCES, ExperienceError
from ..models import ATTEMPTS, MARKETING_FIGURES, Complaint, ContactAttempt, RecoveryItem, SurveyResponse
from ..recall import as_date
from ..reports import nps_rows, nps_total
from . import bp
from .common import blank_form_page, form_page, newest_first, patient_by_account, username
from .forms import AssignForm, AttemptForm, CloseForm, ComplaintForm, ImportForm, ResolveForm, SurveyForm


NPS_CHART = ChartSpec("line", x="month", series=("nps",), title="Net Promoter Score by month")
NPS_COLUMNS = (Column("month", "Month"), Column("nps", "NPS", "int"))


@lru_cache(maxsize=32)
def _nps_chart(points: tuple[tuple[str, int], ...]) -> str | None:
    """The NPS chart of (month, NPS) points as a data URI. Kept per points: drawing it costs several times
    the rest of the dashboard, and the points change only when a survey comes in."""
    if not points:
        return None
    svg = chart_svg(NPS_CHART, NPS_COLUMNS, [{"month": month, "nps": nps} for month, nps in points])
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


SINCE = slot("since")
_THEMES = (Complaint.select(Complaint.category, fn.COUNT(Complaint.id).alias("n"))
           .where(Complaint.received_on >= SINCE).group_by(Complaint.category).order_by(fn.COUNT(Complaint.id).desc())
           .tuples())
_OPEN_ITEMS = RecoveryItem.select(fn.COUNT(RecoveryItem.id), fn.SUM(Case(None, [(RecoveryItem.due_on <= slot("day"), 1)], 0))
                                  ).where(RecoveryItem.state == "open").tuples()


@cache
def _response_days(sqlite: bool):  # noqa: ARG001 (days are counted per engine: one statement for each)
    """(average days to close a recovery item, average days to acknowledge a complaint) since a day."""
    closed = RecoveryItem.select(fn.AVG(days_between(RecoveryItem.opened_on, RecoveryItem.closed_on))).where(
        (RecoveryItem.state == "closed") & (RecoveryItem.closed_on >= SINCE))
    acknowledged = Complaint.select(fn.AVG(days_between(Complaint.received_on, Complaint.acknowledged_on))).where(
        Complaint.acknowledged_on.is_null(False) & (Complaint.received_on >= SINCE))
    return Select(columns=[closed.alias("closed"), acknowledged.alias("acknowledged")]).tuples()


def _summary(day: dt.date) -> dict:
    """The dashboard's figures for the 12 months to ``day``, each one grouped query compiled once; kept
    until a survey, complaint, recovery item, spend or new patient changes them."""
    return kept(MARKETING_FIGURES.key, ("dashboard", day), lambda: _summary_read(day))


def _summary_read(day: dt.date) -> dict:
    start = day - relativedelta(months=12) + dt.timedelta(days=1)
    months = nps_rows(start, day)
    responses = sum(m["responses"] for m in months)
    nps = round((sum(m["promoters"] for m in months) - sum(m["detractors"] for m in months)) * 100 / responses) \
        if responses else None
    open_items = recovery_counts(day)
    # Counts, averages and text as the driver gives them (prepared.rows: fetched at once, no wrapper per row).
    themes = prepared.rows(_THEMES, "marketing.dashboard.themes", since=start)
    [(closed_days, ack_days)] = prepared.rows(_response_days(is_sqlite()), "marketing.dashboard.days", since=start)
    return {"months": months, "responses": responses, "nps": nps, "open": open_items, "themes": themes,
            "recovery_days": round(float(closed_days), 1) if closed_days is not None else None,
            "ack_days": round(float(ack_days), 1) if ack_days is not None else None,
            "channels": returns.by_channel(start, day), "start": start}


def recovery_counts(day: dt.date) -> dict:
    """Open recovery items, and how many of them are due or overdue."""
    [row] = prepared.rows(_OPEN_ITEMS, "marketing.recovery_counts", day=day)
    return {"open": int(row[0] or 0), "due": int(row[1] or 0)}


@bp.route("/")
@requires("marketing.experience.view")
def dashboard():
    """NPS trend, open recovery items, complaint themes, response times and cost per new patient by channel."""
    summary = _summary(today())
    chart = _nps_chart(tuple((m["month"], m["nps"]) for m in summary["months"]))
    return render_page("marketing/dashboard.html", title="Patient experience", s=summary, chart=chart,
                       categories=CATEGORIES, breadcrumbs=[("Patient experience", None)])


@bp.route("/widget")
@requires("marketing.experience.view")
def widget():
    """The dashboard card: NPS over 12 months and open recovery items (an htmx fragment)."""
    day = today()
    nps, responses, counts = kept(MARKETING_FIGURES.key, ("widget", day), lambda: (
        *nps_total(day - relativedelta(months=12) + dt.timedelta(days=1), day), recovery_counts(day)))
    return render_page("marketing/_widget.html", title="Patient experience", nps=nps, responses=responses,
                       counts=counts)


# --- surveys ---------------------------------------------------------------------------------------

# The lists read only the columns they show (the patient's name, not the whole record), compiled once, as
# plain named tuples (a date column reads as text on SQLite: shown through ``_day``).
_SURVEYS = (PlainSelect(SurveyResponse, [SurveyResponse.id, SurveyResponse.patient.alias("patient_id"),
                         SurveyResponse.answered_on, SurveyResponse.source, SurveyResponse.nps, SurveyResponse.comment,
                         Patient.first_name, Patient.last_name])
            .join(Patient, JOIN.LEFT_OUTER))


def _day(value) -> dt.date | None:
    """A date column's value as read by ``plain_select`` (None stays None)."""
    return None if value is None else as_date(value)


def _name(row) -> str | None:
    """The row's patient as lists show one, or None when the row names no patient."""
    return None if row.last_name is None else f"{row.last_name}, {row.first_name}"


@bp.route("/surveys")
@requires("marketing.experience.view")
def surveys():
    """Every survey answer, newest first (the patients shown are audited)."""
    patient_link = url_template("core.patient", "patient_id")
    table = paginate(
        _SURVEYS, id="surveys-table", key="marketing.surveys", kept_by=(MARKETING_FIGURES.key, PATIENTS_KEY),
        columns=[TableColumn("answered_on", "Answered", sort=newest_first(SurveyResponse.answered_on), kind="date",
                             value=lambda s: _day(s.answered_on)),
                 TableColumn("patient", "Patient", value=lambda s: _name(s) or "Anonymous",
                             link=lambda s: patient_link(s.patient_id) if s.patient_id else None),
                 TableColumn("source", "Source", sort=SurveyResponse.source, value=lambda s: SOURCES.get(s.source)),
                 TableColumn("nps", "Score", sort=SurveyResponse.nps, kind="number"),
                 TableColumn("comment", "Comment")],
        search=lambda text: SurveyResponse.comment ** f"%{text}%", default_sort="answered_on",
        endpoint="marketing.surveys", noun="answer", noun_plural="answers", search_placeholder="Words in the comment",
        empty_message="No survey answers yet.")
    audit.record_list("marketing.surveys.list", (s.patient_id for s in table.rows))
    return render_page("marketing/surveys.html", title="Surveys", table=table, breadcrumbs=[("Surveys", None)])


@bp.route("/surveys/new", methods=["GET", "POST"])
@requires("marketing.experience.edit")
def survey_new():
    """Enter a survey from paper or the phone; a score of 6 or less opens a service-recovery item."""
    if request.method == "GET":
        return blank_form_page((), (today(),), lambda: SurveyForm(answered_on=today()), "Enter a survey",
                               [("Surveys", url_for("marketing.surveys"))], cancel=url_for("marketing.surveys"))
    form = SurveyForm(answered_on=today())
    if form.validate_on_submit():
        values = form_values(form)
        patient = patient_by_account(values["account_number"])
        if values["account_number"] and patient is None:
            form.account_number.errors.append("No patient has this account number.")
        else:
            try:
                answers = experience.clean_answers(values)
                experience.record_survey(answers, source=values["source"], patient_id=patient.id if patient else None,
                                         answered_on=values["answered_on"], visit_on=values["visit_on"], by=username())
            except ExperienceError as exc:
                getattr(form, exc.field, form.nps).errors.append(str(exc))
            else:
                notify("Saved the survey." + (" A service-recovery item is open for it." if answers["nps"] <= 6 else ""))
                return redirect(url_for("marketing.surveys"))
    return form_page(form, "Enter a survey", [("Surveys", url_for("marketing.surveys"))],
                     cancel=url_for("marketing.surveys"))


@bp.route("/surveys/import", methods=["GET", "POST"])
@requires("marketing.experience.edit")
def survey_import():
    """Import a survey tool's CSV: the whole file is checked first; any problem refuses it with nothing written."""
    form = ImportForm()
    if form.validate_on_submit():
        raw = form.file.data.read(8 * 1024 * 1024 + 1)
        if len(raw) > 8 * 1024 * 1024:
            form.file.errors.append("The file is larger than 8 MB: split it.")
        else:
            try:
                added, skipped = experience.import_surveys(raw.decode("utf-8-sig"), username())
            except UnicodeDecodeError:
                form.file.errors.append("The file is not UTF-8 text: export it again as CSV (UTF-8).")
            except ExperienceError as exc:
                form.file.errors.append(str(exc))
            else:
                notify(f"Imported {added} answer{'' if added == 1 else 's'}; {skipped} were already here.")
                return redirect(url_for("marketing.surveys"))
    page = render_page("marketing/survey_import.html", title="Import surveys", form=form,
                       columns=experience.IMPORT_COLUMNS,
                       breadcrumbs=[("Surveys", url_for("marketing.surveys")), ("Import", None)])
    return page, (422 if form.errors else 200)


# --- service recovery ------------------------------------------------------------------------------

# Rows as plain named tuples, not an item model holding a patient model: a page of 25 in a third of the time.
_RECOVERY = (PlainSelect(RecoveryItem, [RecoveryItem.id, RecoveryItem.patient.alias("patient_id"), RecoveryItem.reason,
                          RecoveryItem.owner_user_id, RecoveryItem.due_on, RecoveryItem.outcome,
                          Patient.first_name, Patient.last_name])
             .join(Patient, JOIN.LEFT_OUTER).where(RecoveryItem.state == slot("state")))
_OWNERS = User.select(User.id, User.full_name).tuples()


@bp.route("/recovery")
@requires("marketing.experience.view")
def recovery():
    """Open service-recovery items by due date (the patients shown are audited); closed ones with ?state=closed."""
    state = "closed" if request.args.get("state") == "closed" else "open"
    link = url_template("marketing.recovery_item", "item_id")
    owners = dict(prepared.run(_OWNERS, "marketing.recovery.owners"))
    table = paginate(
        _RECOVERY, id="recovery-table", key="marketing.recovery", values={"state": state},
        kept_by=(MARKETING_FIGURES.key, PATIENTS_KEY),  # the owners' names: users, in what the HTML is kept by
        columns=[TableColumn("due_on", "Due", sort=RecoveryItem.due_on, kind="date", value=lambda i: _day(i.due_on)),
                 TableColumn("patient", "Patient", value=lambda i: _name(i) or "Unknown",
                             link=lambda i: link(i.id)),
                 TableColumn("reason", "Why", sort=RecoveryItem.reason),
                 TableColumn("owner", "Owner", value=lambda i: owners.get(i.owner_user_id) or "Office manager"),
                 TableColumn("outcome", "Outcome", value=lambda i: RECOVERY_OUTCOMES.get(i.outcome, ""))],
        search=lambda text: (RecoveryItem.reason ** f"%{text}%") | RecoveryItem.survey.in_(
            SurveyResponse.select(SurveyResponse.id).where(SurveyResponse.comment ** f"%{text}%")),
        default_sort="due_on",
        endpoint="marketing.recovery", endpoint_args={"state": state}, noun="item", noun_plural="items",
        search_placeholder="Why, or words in the survey comment",
        empty_message="Nothing to recover: no unhappy patient is waiting.")
    audit.record_list("marketing.recovery.list", (i.patient_id for i in table.rows))
    return render_page("marketing/recovery.html", title="Service recovery", table=table, state=state,
                       breadcrumbs=[("Service recovery", None)])


def _item_section(item_id: int, attempt: AttemptForm | None, close: CloseForm | None) -> tuple[int | None, str] | None:
    """The item's patient id and its page without the layout (why, the patient, the attempts, the outcome, the
    forms: ``attempt`` and ``close`` or blank ones), its CSRF tokens left as slots; None when there is no such
    item or its patient is gone."""
    item = RecoveryItem.get_or_none(RecoveryItem.id == item_id)
    patient = Patient.get_or_none(Patient.id == item.patient_id) if item and item.patient_id else None
    if item is None or (item.patient_id and patient is None):
        return None
    attempts = list(item.attempts.order_by(ContactAttempt.attempted_at))
    assign = AssignForm(formdata=None, owner=str(item.owner_user_id or ""))
    users = User.select(User.id, User.full_name).where(User.active == True).order_by(User.full_name)  # noqa: E712
    assign.owner.choices = choices([("", "Office manager (role)"), *[(str(u.id), u.full_name) for u in users]])
    html = render_template(
        "marketing/_recovery_item.html", item=item, patient=patient, attempts=attempts,
        survey=item.survey if item.survey_id else None, complaint=item.complaint if item.complaint_id else None,
        attempt_form=attempt or AttemptForm(formdata=None), close_form=close or CloseForm(formdata=None),
        assign_form=assign, outcomes=RECOVERY_OUTCOMES, channels=experience.CONTACT_CHANNELS,
        owner=User.get_or_none(User.id == item.owner_user_id) if item.owner_user_id else None)
    return item.patient_id, slotted(html)


def _item_page(item_id: int, attempt: AttemptForm | None = None, close: CloseForm | None = None, status: int = 200):
    """The item's page with the audit entry of the read naming its patient; the part shown is kept for everyone
    until an item, survey, complaint, attempt, patient or user changes, except with a refused form."""
    def build():
        return _item_section(item_id, attempt, close)

    keys = (MARKETING_FIGURES.key, ATTEMPTS.key, PATIENTS_KEY)  # users, who own items and are named: the access key
    refused = attempt is not None or close is not None
    shown = build() if refused else kept_part(keys, ("recovery item", item_id, can("marketing.experience.edit")),
                                              build)
    if shown is None:
        abort(404)
    patient_id, html = shown
    if patient_id:
        audit.record_read("marketing.recovery.view", RecoveryItem._meta.table_name, item_id, patient_id=patient_id)
    return render_page("marketing/recovery_item.html", title=f"Service recovery #{item_id}",
                       section=with_csrf_token(html),
                       breadcrumbs=[("Service recovery", url_for("marketing.recovery")), (f"#{item_id}", None)]), status


@bp.route("/recovery/<int:item_id>")
@requires("marketing.experience.view")
def recovery_item(item_id: int):
    """One item: why, the patient, contact attempts, the outcome."""
    return _item_page(item_id)


@bp.route("/recovery/<int:item_id>/attempts", methods=["POST"])
@requires("marketing.experience.edit")
def recovery_attempt(item_id: int):
    """Log a contact attempt."""
    item = RecoveryItem.get_or_none(RecoveryItem.id == item_id) or abort(404)
    form = AttemptForm()
    if form.validate_on_submit():
        try:
            experience.add_attempt(item, form.channel.data, form.reached.data, form.note.data or "", username())
        except ExperienceError as exc:
            form.channel.errors.append(str(exc))
        else:
            notify("Logged the contact attempt.")
            return redirect(url_for("marketing.recovery_item", item_id=item.id))
    return _item_page(item_id, attempt=form, status=422)


@bp.route("/recovery/<int:item_id>/close", methods=["POST"])
@requires("marketing.experience.edit")
def recovery_close(item_id: int):
    """Close the item with its outcome (the deadline is marked done)."""
    item = RecoveryItem.get_or_none(RecoveryItem.id == item_id) or abort(404)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            experience.close_recovery(item, form.outcome.data, form.outcome_note.data, today(), username())
        except ExperienceError as exc:
            getattr(form, {"note": "outcome_note"}.get(exc.field, exc.field), form.outcome).errors.append(str(exc))
        else:
            notify("Closed the service-recovery item.")
            return redirect(url_for("marketing.recovery_item", item_id=item.id))
    return _item_page(item_id, close=form, status=422)


@bp.route("/recovery/<int:item_id>/owner", methods=["POST"])
@requires("marketing.experience.edit")
def recovery_assign(item_id: int):
    """Give the item to someone; the deadline's assignee follows."""
    item = RecoveryItem.get_or_none(RecoveryItem.id == item_id) or abort(404)
    form = AssignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        experience.assign_recovery(item, parse_id(form.owner.data))
    except ExperienceError as exc:
        notify(str(exc), "error")
    else:
        notify("Changed the owner.")
    return redirect(url_for("marketing.recovery_item", item_id=item.id))


# --- complaints --------------------------------------------------------------------------------------

_COMPLAINTS = (PlainSelect(Complaint, [Complaint.id, Complaint.patient.alias("patient_id"), Complaint.received_on,
                            Complaint.category, Complaint.channel, Complaint.acknowledge_by, Complaint.resolved_on,
                            Patient.first_name, Patient.last_name])
               .join(Patient, JOIN.LEFT_OUTER))


@bp.route("/complaints")
@requires("marketing.experience.view")
def complaints():
    """The complaints log (the patients shown are audited)."""
    link = url_template("marketing.complaint", "complaint_id")
    table = paginate(
        _COMPLAINTS, id="complaints-table", key="marketing.complaints", kept_by=(MARKETING_FIGURES.key, PATIENTS_KEY),
        columns=[TableColumn("received_on", "Received", sort=newest_first(Complaint.received_on), kind="date",
                             value=lambda c: _day(c.received_on), link=lambda c: link(c.id)),
                 TableColumn("patient", "Patient", value=lambda c: _name(c) or "Unknown"),
                 TableColumn("category", "Category", sort=Complaint.category, value=lambda c: CATEGORIES.get(c.category)),
                 TableColumn("channel", "Came in by", value=lambda c: COMPLAINT_CHANNELS.get(c.channel)),
                 TableColumn("acknowledge_by", "Acknowledge by", sort=Complaint.acknowledge_by, kind="date",
                             value=lambda c: _day(c.acknowledge_by)),
                 TableColumn("resolved_on", "Resolved", sort=Complaint.resolved_on, kind="date",
                             value=lambda c: _day(c.resolved_on))],
        search=lambda text: Complaint.summary ** f"%{text}%", default_sort="received_on",
        endpoint="marketing.complaints", noun="complaint", noun_plural="complaints",
        search_placeholder="Words in the complaint", empty_message="No complaints logged.")
    audit.record_list("marketing.complaints.list", (c.patient_id for c in table.rows))
    return render_page("marketing/complaints.html", title="Complaints and grievances", table=table,
                       breadcrumbs=[("Complaints", None)])


def _providers():
    rows = StaffMember.select(StaffMember.id, StaffMember.first_name, StaffMember.last_name, StaffMember.credentials) \
        .where((StaffMember.is_provider == True) & (StaffMember.active == True)).order_by(StaffMember.last_name)  # noqa: E712
    return choices([("", "None"), *[(str(s.id), s.display_name) for s in rows]])


def _complaint_form() -> ComplaintForm:
    """The complaint form dated today, the active providers to route a clinical complaint to."""
    form = ComplaintForm(received_on=today())
    form.provider.choices = _providers()
    return form


@bp.route("/complaints/new", methods=["GET", "POST"])
@requires("marketing.experience.edit")
def complaint_new():
    """Log a complaint: its clocks start and a service-recovery item opens."""
    if request.method == "GET":
        return blank_form_page((STAFF_KEY,), (today(),), _complaint_form, "Log a complaint",
                               [("Complaints", url_for("marketing.complaints"))], cancel=url_for("marketing.complaints"))
    form = _complaint_form()
    if form.validate_on_submit():
        values = form_values(form)
        patient = patient_by_account(values["account_number"])
        if values["account_number"] and patient is None:
            form.account_number.errors.append("No patient has this account number.")
        else:
            values["patient_id"] = patient.id if patient else None
            values["provider"] = parse_id(values["provider"])
            try:
                complaint = experience.log_complaint(values, username())
            except ExperienceError as exc:
                getattr(form, exc.field, form.summary).errors.append(str(exc))
            else:
                notify("Logged the complaint.")
                return redirect(url_for("marketing.complaint", complaint_id=complaint.id))
    return form_page(form, "Log a complaint", [("Complaints", url_for("marketing.complaints"))],
                     cancel=url_for("marketing.complaints"))


def _complaint_section(complaint_id: int, form: ResolveForm | None = None) -> tuple[int | None, str] | None:
    """The complaint's patient id and its page without the layout (its clocks, the recovery item, the
    resolution, ``form`` or the blank resolve form), its CSRF tokens left as slots; None when there is no such
    complaint or its patient is gone."""
    c = Complaint.get_or_none(Complaint.id == complaint_id)
    patient = Patient.get_or_none(Patient.id == c.patient_id) if c and c.patient_id else None
    if c is None or (c.patient_id and patient is None):
        return None
    c.patient = patient
    html = render_template("marketing/_complaint.html", c=c, form=form or ResolveForm(formdata=None, obj=c),
                           item=RecoveryItem.get_or_none(RecoveryItem.complaint == c.id), categories=CATEGORIES,
                           channels=COMPLAINT_CHANNELS)
    return c.patient_id, slotted(html)


def _complaint_page(complaint_id: int, form: ResolveForm | None = None, status: int = 200):
    """The complaint's page with the audit entry of the read naming its patient; the part shown is kept for
    everyone until a complaint, recovery item, patient or staff member changes, except with a refused ``form``."""
    def build():
        return _complaint_section(complaint_id, form)

    keys = (MARKETING_FIGURES.key, PATIENTS_KEY, STAFF_KEY)
    shown = build() if form is not None else kept_part(
        keys, ("complaint", complaint_id, can("marketing.experience.edit")), build)
    if shown is None:
        abort(404)
    patient_id, html = shown
    if patient_id:
        audit.record_read("marketing.complaint.view", Complaint._meta.table_name, complaint_id, patient_id=patient_id)
    return render_page("marketing/complaint.html", title=f"Complaint #{complaint_id}", section=with_csrf_token(html),
                       breadcrumbs=[("Complaints", url_for("marketing.complaints")), (f"#{complaint_id}", None)]), status


@bp.route("/complaints/<int:complaint_id>")
@requires("marketing.experience.view")
def complaint(complaint_id: int):
    """A complaint: its clocks, the recovery item, the root cause and resolution letter."""
    return _complaint_page(complaint_id)


@bp.route("/complaints/<int:complaint_id>/acknowledge", methods=["POST"])
@requires("marketing.experience.edit")
def complaint_acknowledge(complaint_id: int):
    """Record that the complaint was acknowledged today."""
    c = Complaint.get_or_none(Complaint.id == complaint_id) or abort(404)
    experience.acknowledge_complaint(c, today(), username())
    notify("Recorded the acknowledgment.")
    return redirect(url_for("marketing.complaint", complaint_id=c.id))


@bp.route("/complaints/<int:complaint_id>/resolve", methods=["POST"])
@requires("marketing.experience.edit")
def complaint_resolve(complaint_id: int):
    """Resolve with a root cause and the letter."""
    c = Complaint.get_or_none(Complaint.id == complaint_id) or abort(404)
    form = ResolveForm()
    if form.validate_on_submit():
        try:
            experience.resolve_complaint(c, form.root_cause.data, form.resolution_letter.data, today(), username())
        except ExperienceError as exc:
            getattr(form, exc.field, form.root_cause).errors.append(str(exc))
        else:
            notify("Resolved the complaint.")
            return redirect(url_for("marketing.complaint", complaint_id=c.id))
    return _complaint_page(complaint_id, form, 422)


@bp.route("/complaints/<int:complaint_id>/letter")
@requires("marketing.experience.view")
def complaint_letter(complaint_id: int):
    """The resolution letter, to print and post (audited as leaving the application)."""
    c = Complaint.get_or_none(Complaint.id == complaint_id) or abort(404)
    patient = None
    if c.patient_id:
        c, patient = load_record_for_display(Complaint, complaint_id, "marketing.complaint.letter", export=True)
    if not c.resolution_letter:
        abort(404)
    return render_page("marketing/letter.html", title="Resolution letter", c=c, patient=patient,
                       practice=settings.get("core.practice_name") or "",
                       breadcrumbs=[("Complaints", url_for("marketing.complaints")),
                                    (f"#{c.id}", url_for("marketing.complaint", complaint_id=c.id)), ("Letter", None)])

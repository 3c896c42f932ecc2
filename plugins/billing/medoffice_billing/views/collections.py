"""Collections: past-due accounts by dunning stage, the pre-collections list, placements with an agency
(placing, recalling, the CSV for the agency), bad-debt write-offs and the dunning stages."""
from __future__ import annotations

import io

from flask import Response, abort, current_app, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from medoffice import audit, settings
from medoffice.localtime import local_date
from medoffice.auth import requires
from medoffice.data_versions import PATIENTS_KEY
from medoffice.models import Patient
from medoffice.money import format_cents
from medoffice.patients import load_for_display, load_record_for_display
from medoffice.tasks import current_status, start_task
from medoffice.web.forms import choices
from medoffice.web.query import record_id
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import fn
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .. import aging, collections, ledger
from ..collections import WRITE_OFF_REASONS, CollectionsError
from ..models import COLLECTIONS, AgingSnapshot, CollectionPlacement, PatientAging
from . import bp
from .ledger import attach_patients, audit_list, needs_patient_join, patient_crumbs, patient_search
from .payments import ReasonForm, act_with_reason

TABS = {"precollections": "Pre-collections", "past_due": "Past due", "placed": "With the agency",
        "recalled": "Recalled"}


class PlaceForm(FlaskForm):
    """Placing an account with an agency."""

    agency = StringField("Agency", validators=[DataRequired(message="Name the agency."), Length(max=120)])
    note = StringField("Note", validators=[Optional(), Length(max=200)])


class WriteOffForm(FlaskForm):
    """A bad-debt write-off."""

    reason = SelectField("Reason", choices=choices([("", "Choose the reason"), *WRITE_OFF_REASONS.items()]),
                         validators=[DataRequired(message="Choose the reason.")])
    note = StringField("Note", validators=[Optional(), Length(max=120)])


class StageForm(FlaskForm):
    """A dunning stage."""

    days = IntegerField("Days past due", validators=[InputRequired(message="Enter the days past due."),
                                                      NumberRange(min=1, max=3650, message="Use 1 to 3650 days.")])
    name = StringField("Name", validators=[DataRequired(message="Name the stage."), Length(max=60)])


class ExportForm(FlaskForm):
    """The agency file."""

    include_all = BooleanField("Every account with the agency (not only those never sent)")


def _name(row) -> str:
    return f"{row.patient.last_name}, {row.patient.first_name}"


def _patient_columns(ledger_url) -> list[TableColumn]:
    return [TableColumn("patient", "Patient", sort=Patient.last_name, value=_name,
                        link=lambda r: ledger_url(r.patient_id)),
            TableColumn("account", "Account", sort=Patient.account_number,
                        value=lambda r: r.patient.account_number)]


def _list_table(query, joined_on, key: str, columns: list[TableColumn], values: dict, args: dict | None = None,
                arranged: bool = False, **options):
    """One page of a collections list, its queries compiled once per list and sort (joining the
    patients only to search or sort by them), with the page's patients attached."""
    joined = needs_patient_join("patient", "account")
    if joined:
        query = query.join(Patient, on=(Patient.id == joined_on))
    table = paginate(query, id="collections-table", columns=columns, endpoint="billing.collections_page",
                     endpoint_args=args or {"tab": key}, noun="account", noun_plural="accounts",
                     key=("billing.collections", key, joined), values=values,
                     kept_by=(COLLECTIONS.key, PATIENTS_KEY), kept_with=(settings.today(),),
                     attach=_attach_arrangements if arranged else attach_patients, **options)
    return table


def _arranged_columns() -> list[TableColumn]:
    """The plan and agency of accounts on a payment plan or with an agency (set by ``_attach_arrangements``)."""
    plan_url = url_template("billing.plan", "plan_id")

    def plan(row):
        if row.plan is None:
            return ""
        return Markup('<a href="{}">{} {}</a>').format(plan_url(row.plan.id), format_cents(row.plan.installment_cents),
                                                       row.plan.frequency)

    return [TableColumn("plan", "Payment plan", value=plan),
            TableColumn("agency", "Agency", value=lambda r: (f"{r.placement.agency} since "
                                                             f"{r.placement.placed_on.isoformat()}")
                        if r.placement else "")]


def _attach_arrangements(rows: list) -> None:
    """Set each row's patient, and its ``plan`` and ``placement`` (None when it has none): three queries for the
    page."""
    attach_patients(rows)
    found_plans, placed = collections.arrangements(r.patient_id for r in rows if r.placed_or_planned)
    for row in rows:
        row.plan, row.placement = found_plans.get(row.patient_id), placed.get(row.patient_id)


def _aging_table(key: str, stage_list: list[tuple[int, str]], ledger_url, arranged: bool = False):
    today = settings.today()
    place_url = url_template("billing.collections_place", "patient_id")

    def days(row):
        return (today - row.oldest_on).days if row.oldest_on else None

    def stage(row):
        # a plan or an agency deals with the account: no dunning stage applies to it
        return "" if getattr(row, "placed_or_planned", False) else collections.stage_for(days(row), stage_list)

    columns = [
        *_patient_columns(ledger_url),
        TableColumn("owed", "Patient owes", sort=PatientAging.patient_cents, numeric=True,
                    value=lambda r: format_cents(r.patient_cents)),
        TableColumn("oldest", "Owed since", sort=PatientAging.oldest_on,
                    kind="date", value=lambda r: r.oldest_on),
        TableColumn("days", "Days past due", sort=PatientAging.oldest_on, numeric=True, value=days),
        TableColumn("stage", "Stage", value=stage),
        *([TableColumn("place", "Place", value=lambda r: "Place with the agency",
                       link=lambda r: place_url(r.patient_id), export=False)]
          if key == "precollections" else []),
        *(_arranged_columns() if arranged else []),
    ]
    table = _list_table(
        collections.AGING_LISTS["past_due_arranged" if arranged else key], PatientAging.patient_id,
        "past_due_arranged" if arranged else key, columns, collections.aging_list_values(key, today, stage_list),
        args={"tab": key, "arranged": 1} if arranged else None, search=patient_search, default_sort="oldest",
        search_placeholder="Patient or account",
        empty_message="No account here." if key == "past_due" else "No account has reached the last dunning stage.",
        arranged=arranged)
    return table


_PLACEMENT_COLUMNS = (CollectionPlacement.id, CollectionPlacement.patient_id, CollectionPlacement.agency,
                      CollectionPlacement.placed_on, CollectionPlacement.balance_cents)
_PLACEMENTS = {
    "placed": collections.placements_query("placed", *_PLACEMENT_COLUMNS, CollectionPlacement.exported_at),
    "recalled": collections.placements_query("recalled", *_PLACEMENT_COLUMNS, CollectionPlacement.recalled_at,
                                             CollectionPlacement.recall_reason),
}


def _placement_table(status: str, ledger_url):
    def search(text):
        return patient_search(text) | (CollectionPlacement.agency ** f"%{text}%")

    columns = [
        *_patient_columns(ledger_url),
        TableColumn("agency", "Agency", sort=CollectionPlacement.agency),
        TableColumn("placed_on", "Placed", sort=CollectionPlacement.placed_on, kind="date"),
        TableColumn("balance", "Owed when placed", sort=CollectionPlacement.balance_cents, numeric=True,
                    value=lambda r: format_cents(r.balance_cents)),
    ]
    if status == "placed":
        recall_url = url_template("billing.placement_recall", "placement_id")
        columns += [TableColumn("exported", "Sent to the agency",
                                value=lambda r: local_date(r.exported_at, empty="not yet")),
                    TableColumn("recall", "Recall", value=lambda r: "Recall", link=lambda r: recall_url(r.id),
                                export=False)]
    else:
        columns += [TableColumn("recalled", "Recalled", sort=CollectionPlacement.recalled_at,
                                kind="date", value=lambda r: r.recalled_at),
                    TableColumn("reason", "Why", value=lambda r: r.recall_reason)]
    return _list_table(_PLACEMENTS[status], CollectionPlacement.patient_id, status, columns, {}, search=search,
                       default_sort="placed_on", search_placeholder="Patient, account or agency",
                       empty_message="No account here.")


@bp.route("/collections")
@requires("billing.view")
def collections_page():
    """Collections work: pre-collections, past-due accounts by stage, placements and recalls."""
    key = request.args.get("tab", "precollections")
    key = key if key in TABS else "precollections"
    stage_list = collections.stages()
    ledger_url = url_template("billing.ledger_page", "patient_id")
    arranged = key == "past_due" and request.args.get("arranged") == "1"
    if key in collections.AGING_LISTS:
        table = _aging_table(key, stage_list, ledger_url, arranged)
    else:
        table = _placement_table(key, ledger_url)
    audit_list("billing.collections.list", table.rows, tab=key)
    task_id = record_id("task")
    task = current_status(task_id) if task_id is not None else None
    return render_page("billing/collections.html", title="Collections", table=table, tabs=TABS, current=key,
                       arranged=arranged,
                       summary=collections.summary(stage_list), task=task,
                       export_form=ExportForm() if key == "placed" else None,
                       breadcrumbs=[("Collections", None)])


@bp.route("/collections/refresh", methods=["POST"])
@requires("billing.collections.manage")
def collections_refresh():
    """Refresh every patient's stored aging now (as the nightly job does), in the background."""
    app = current_app._get_current_object()

    def work(progress):
        progress(None, "Reading the ledger…")
        count = aging.refresh_patient_aging(settings.today())
        aging.take_snapshot(settings.today())
        return f"{count} accounts refreshed."

    task = start_task(app, "Refresh the accounts' aging", work, permission="billing.view",
                      created_by=current_user.username, result_url=url_for("billing.collections_page"))
    audit.record("billing.aging.refresh", "core_task", task.id)
    return redirect(url_for("billing.collections_page", task=task.id))


@bp.route("/patients/<int:patient_id>/collections/place", methods=["GET", "POST"])
@requires("billing.collections.manage")
def collections_place(patient_id: int):
    """Place the patient's account with an outside collection agency."""
    patient = load_for_display(patient_id, "billing.collections.place.view")
    form = PlaceForm(data={"agency": settings.get("billing.collection_agency", "") or ""}
                     if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            collections.place(patient.id, form.agency.data, form.note.data)
        except CollectionsError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            notify(f"The account is placed with {form.agency.data.strip()}; its statements stop.")
            return redirect(url_for("billing.collections_page", tab="placed"))
    return render_page("billing/place_form.html", title="Place with a collection agency", form=form, patient=patient,
                       balances=ledger.patient_balances(patient.id),
                       breadcrumbs=patient_crumbs(patient, ("Collections", url_for("billing.collections_page")),
                                                  ("Place", None))), (422 if form.errors else 200)


@bp.route("/placements/<int:placement_id>/recall", methods=["GET", "POST"])
@requires("billing.collections.manage")
def placement_recall(placement_id: int):
    """Take an account back from the agency, with the reason."""
    placement, patient = load_record_for_display(CollectionPlacement, placement_id, "billing.placement.recall.view")
    form = ReasonForm()
    if act_with_reason(form, lambda reason: collections.recall(placement, reason), CollectionsError)[0]:
        notify(f"The account is recalled from {placement.agency}.")
        return redirect(url_for("billing.collections_page", tab="recalled"))
    return render_page("billing/reason_form.html", title=f"Recall from {placement.agency}", form=form, patient=patient,
                       submit="Recall the account",
                       intro=f"Placed on {placement.placed_on.isoformat()} owing {format_cents(placement.balance_cents)}. "
                             "Tell the agency to stop collecting; the patient's statements resume.",
                       cancel=url_for("billing.collections_page", tab="placed"),
                       breadcrumbs=patient_crumbs(patient, ("Collections", url_for("billing.collections_page",
                                                                                   tab="placed")),
                                                  ("Recall", None))), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/write-off", methods=["GET", "POST"])
@requires("billing.collections.manage")
def write_off(patient_id: int):
    """Write off what the patient owes as bad debt, with the reason."""
    patient = load_for_display(patient_id, "billing.write_off.view")
    form = WriteOffForm()
    done, amount = act_with_reason(form, lambda reason: collections.write_off(patient.id, reason, form.note.data),
                                   CollectionsError)
    if done:
        notify(f"Wrote off {format_cents(amount)} as bad debt.")
        return redirect(url_for("billing.ledger_page", patient_id=patient.id))
    return render_page("billing/writeoff_form.html", title="Write off bad debt", form=form, patient=patient,
                       balances=ledger.patient_balances(patient.id),
                       breadcrumbs=patient_crumbs(patient, ("Ledger", url_for("billing.ledger_page",
                                                                               patient_id=patient.id)),
                                                  ("Write off", None))), (422 if form.errors else 200)


@bp.route("/collections/export", methods=["POST"])
@requires("billing.collections.manage")
def collections_export():
    """The CSV for the agency: accounts placed and not sent before (or all with the agency)."""
    form = ExportForm()
    if not form.validate_on_submit():
        abort(400)
    buffer = io.StringIO()
    count = collections.export_placements(buffer, include_all=bool(form.include_all.data))
    stamp = settings.today().isoformat()
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="collection-placements-{stamp}.csv"',
        "X-Placements": str(count)})


@bp.route("/collections/stages", methods=["GET", "POST"])
@requires("billing.collections.manage")
def dunning_stages():
    """The dunning stages: add or rename one (days past due and name)."""
    form = StageForm()
    if form.validate_on_submit():
        try:
            collections.save_stage(form.days.data, form.name.data)
        except CollectionsError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            notify("Saved the stage.")
            return redirect(url_for("billing.dunning_stages"))
    return render_page("billing/dunning_stages.html", title="Dunning stages", form=form, stages=collections.stages(),
                       breadcrumbs=[("Collections", url_for("billing.collections_page")), ("Dunning stages", None)]), \
        (422 if form.errors else 200)


@bp.route("/collections/stages/<int:days>/delete", methods=["POST"])
@requires("billing.collections.manage")
def dunning_stage_delete(days: int):
    """Remove a dunning stage."""
    try:
        collections.delete_stage(days)
    except CollectionsError as exc:
        notify(str(exc), "error")
    else:
        notify("Removed the stage.")
    return redirect(url_for("billing.dunning_stages"))


@bp.route("/widgets/aging")
@requires("billing.view")
def aging_widget():
    """Dashboard widget: AR by age from the latest nightly snapshot."""
    latest = collections.last_snapshot_date()
    rows = []
    if latest is not None:
        rows = list(AgingSnapshot.select(AgingSnapshot.party, *(fn.SUM(getattr(AgingSnapshot, k)).alias(k)
                                                               for k in aging.BUCKET_KEYS),
                                         fn.SUM(AgingSnapshot.total_cents).alias("total"))
                    .where(AgingSnapshot.snapshot_date == latest).group_by(AgingSnapshot.party)
                    .order_by(AgingSnapshot.party).dicts())
    return render_page("billing/_aging_widget.html", title="Accounts receivable", latest=latest,
                       by_party={row["party"]: row for row in rows}, bucket_keys=aging.BUCKET_KEYS,
                       bucket_labels=aging.BUCKET_LABELS)

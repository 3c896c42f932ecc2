"""Statements: the runs, starting a run (a background task), one statement's PDF, a run's PDFs zipped,
one patient's statement from the ledger, and manual holds."""
from __future__ import annotations

import tempfile

from flask import Response, abort, current_app, redirect, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from medoffice import audit, settings
from medoffice.auth import requires
from medoffice.data_versions import PATIENTS_KEY, kept
from medoffice.models import Patient
from medoffice.money import format_cents
from medoffice.patients import load_for_change, load_for_display, load_record_for_display, record_shown
from medoffice.tasks import current_status, start_task
from medoffice.web.shell import notify, render_page
from medoffice.web.query import record_id
from medoffice.prepared import slot
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, Optional

from .. import statements
from ..models import STATEMENT_RUNS, STATEMENTS, Statement, StatementRun
from ..statements import HOLD_REASONS, StatementError
from . import bp
from .ledger import attach_patients, audit_list, needs_patient_join, patient_crumbs, patient_search

TRIGGERS = {"web": "Web", "cli": "Command line", "job": "Nightly job", "patient": "One patient"}


class HoldForm(FlaskForm):
    """A manual statement hold."""

    reason = StringField("Reason", validators=[DataRequired(message="Say why the statements are held."),
                                               Length(max=200)])
    until = DateField("Until", validators=[Optional()], description="Leave blank to hold until released.")


def _pdf_response(data: bytes, name: str) -> Response:
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/statements")
@requires("billing.view")
def statements_page():
    """Statement runs, newest first, with a button to run statements now."""
    if "sort" not in request.args:  # newest run first unless the user chose an order
        return redirect(url_for("billing.statements_page", **{**request.args.to_dict(), "sort": "id", "desc": 1}))
    task_id = record_id("task")
    task = current_status(task_id) if task_id is not None else None
    table = paginate(
        StatementRun.select(), id="runs-table",
        columns=[
            TableColumn("id", "Run", sort=StatementRun.id, link=lambda r: url_for("billing.statement_run", run_id=r.id)),
            TableColumn("run_date", "Date", sort=StatementRun.run_date, kind="date"),
            TableColumn("trigger", "Started from", value=lambda r: TRIGGERS.get(r.trigger, r.trigger)),
            TableColumn("username", "By", value=lambda r: r.username),
            TableColumn("statements", "Statements", sort=StatementRun.statements, numeric=True),
            TableColumn("total", "Billed", sort=StatementRun.total_cents, numeric=True,
                        value=lambda r: format_cents(r.total_cents)),
            TableColumn("held", "Held", numeric=True,
                        value=lambda r: r.held_insurance + r.held_plan + r.held_manual + r.held_collections),
        ],
        search=None, default_sort="id", endpoint="billing.statements_page", noun="run", noun_plural="runs",
        empty_message="No statements have been run yet.", key=("billing.statement_runs",), kept_by=STATEMENT_RUNS.key)
    return render_page("billing/statements.html", title="Statements", table=table, task=task,
                       cycle=statements.cycle_days(), minimum=statements.minimum_cents(),
                       breadcrumbs=[("Statements", None)])


@bp.route("/statements/preview")
@requires("billing.view")
def statements_preview():
    """What a run would do now (a fragment loaded by the statements page): sorted out from the ledger by
    the very function a run uses, so the preview and the run that follows it agree."""
    sorting = statements.sort_patients(settings.today())
    return render_page("billing/_statements_preview.html", title="Statements", sorting=sorting,
                       hold_labels=HOLD_REASONS, due_cents=sum(r["patient_cents"] for r in sorting.due))


@bp.route("/statements/run", methods=["POST"])
@requires("billing.statements.run")
def statements_run():
    """Run statements now in the background (one PDF per patient into the instance's statements folder)."""
    app = current_app._get_current_object()
    user_id, username = current_user.id, current_user.username

    def work(progress):
        run = statements.run_statements(trigger="web", user_id=user_id, username=username, progress=progress)
        return f"Run {run.id}: {run.statements} statements for {format_cents(run.total_cents)}."

    task = start_task(app, "Statement run", work, permission="billing.view", created_by=username,
                      result_url=url_for("billing.statements_page"))
    audit.record("billing.statement.run_start", "core_task", task.id)
    return redirect(url_for("billing.statements_page", task=task.id))


@bp.route("/statements/runs/<int:run_id>")
@requires("billing.view")
def statement_run(run_id: int):
    """One run: its counts, and each patient's statement."""
    run = kept(STATEMENTS.key, ("statement run", run_id),
               lambda: StatementRun.get_or_none(StatementRun.id == run_id)) or abort(404)
    query = (Statement.select(Statement.id, Statement.patient_id, Statement.amount_cents, Statement.bucket,
                              Statement.dunning_stage, Statement.statement_date).where(Statement.run == slot("run")))
    joined = needs_patient_join("patient", "account")
    if joined:
        query = query.join(Patient, on=(Patient.id == Statement.patient_id))
    ledger_url = url_template("billing.ledger_page", "patient_id")

    table = paginate(
        query, id="statements-table",
        columns=[
            TableColumn("number", "No.", sort=Statement.id, value=lambda s: s.id),
            TableColumn("patient", "Patient", sort=Patient.last_name,
                        value=lambda s: f"{s.patient.last_name}, {s.patient.first_name}",
                        link=lambda s: ledger_url(s.patient_id)),
            TableColumn("account", "Account", sort=Patient.account_number, value=lambda s: s.patient.account_number),
            TableColumn("amount", "Amount", sort=Statement.amount_cents, numeric=True,
                        value=lambda s: format_cents(s.amount_cents)),
            TableColumn("bucket", "Oldest (days)", sort=Statement.bucket, value=lambda s: s.bucket),
            TableColumn("stage", "Stage", sort=Statement.dunning_stage, value=lambda s: s.dunning_stage),
        ],
        search=patient_search, default_sort="number", endpoint="billing.statement_run", endpoint_args={"run_id": run.id},
        noun="statement", noun_plural="statements", search_placeholder="Patient or account",
        empty_message="This run sent no statements.", key=("billing.statement_run", joined), values={"run": run.id},
        kept_by=(STATEMENTS.key, PATIENTS_KEY), attach=attach_patients)
    audit_list("billing.statement_run.view", table.rows, run=run.id)
    return render_page("billing/statement_run.html", title=f"Statement run {run.id}", run=run, table=table,
                       triggers=TRIGGERS, breadcrumbs=[("Statements", url_for("billing.statements_page")),
                                                        (f"Run {run.id}", None)])


@bp.route("/statements/runs/<int:run_id>.zip")
@requires("billing.statements.run")
def statement_run_zip(run_id: int):
    """The run's statements as a zip of PDFs, one per patient. Audited."""
    run = StatementRun.get_or_none(StatementRun.id == run_id) or abort(404)
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
    count = statements.zip_run(run, spool)
    spool.seek(0)
    shown = Statement.select(Statement.patient_id).where(Statement.run == run.id).tuples()
    record_shown("billing.statement_run.download", run, (pid for (pid,) in shown), export=True, files=count)
    return send_file(spool, mimetype="application/zip", as_attachment=True,
                     download_name=f"statements-{run.run_date.isoformat()}-run{run.id}.zip")


@bp.route("/statements/<int:statement_id>.pdf")
@requires("billing.view")
def statement_pdf(statement_id: int):
    """One statement as it was sent (a PDF). Audited."""
    statement, _patient = load_record_for_display(Statement, statement_id, "billing.statement.pdf", export=True)
    data = statements.statement_pdf(statement)
    return _pdf_response(data, statements.file_name(statement))


@bp.route("/patients/<int:patient_id>/statement/preview.pdf")
@requires("billing.view")
def statement_preview(patient_id: int):
    """What the patient's statement would say today, as a PDF; nothing is recorded. Audited."""
    patient = load_for_display(patient_id, "billing.statement.preview", export=True)
    content = statements.preview_content(patient.id)
    if content is None:
        notify("The patient owes nothing: there is no statement to show.", "info")
        return redirect(url_for("billing.ledger_page", patient_id=patient.id))
    data = statements.to_pdf(statements.statement_html(content))
    return _pdf_response(data, f"statement-preview-{patient.account_number}.pdf")


@bp.route("/patients/<int:patient_id>/statement", methods=["POST"])
@requires("billing.statements.run")
def statement_record(patient_id: int):
    """Send the patient a statement now (recorded, whatever holds it) and download its PDF."""
    patient = load_for_change(patient_id)
    try:
        statement = statements.patient_statement(patient.id)
    except StatementError as exc:
        notify(str(exc), "error")
        return redirect(url_for("billing.ledger_page", patient_id=patient.id))
    audit.record("billing.statement.pdf", "billing_statement", statement.id, patient_id=patient.id)
    return _pdf_response(statements.statement_pdf(statement), statements.file_name(statement))


@bp.route("/patients/<int:patient_id>/statement-hold", methods=["GET", "POST"])
@requires("billing.statements.run")
def statement_hold(patient_id: int):
    """Hold a patient's statements by hand, with the reason (and until when)."""
    patient = load_for_display(patient_id, "billing.statement_hold.view")
    form = HoldForm(obj=statements.manual_hold(patient.id))
    if form.validate_on_submit():
        try:
            statements.set_hold(patient.id, form.reason.data, form.until.data)
        except StatementError as exc:
            getattr(form, exc.field).errors.append(str(exc))
        else:
            notify("The patient's statements are held.")
            return redirect(url_for("billing.ledger_page", patient_id=patient.id))
    return render_page("billing/reason_form.html", title="Hold statements", form=form, patient=patient,
                       submit="Hold statements", intro="Runs skip the patient while the hold lasts.",
                       cancel=url_for("billing.ledger_page", patient_id=patient.id),
                       breadcrumbs=patient_crumbs(patient, ("Ledger", url_for("billing.ledger_page",
                                                                               patient_id=patient.id)),
                                                  ("Hold statements", None))), (422 if form.errors else 200)


@bp.route("/patients/<int:patient_id>/statement-hold/release", methods=["POST"])
@requires("billing.statements.run")
def statement_release(patient_id: int):
    """Release a manual statement hold."""
    patient = load_for_change(patient_id)
    try:
        statements.release_hold(patient.id)
    except StatementError as exc:
        notify(str(exc), "error")
    else:
        notify("The statement hold is released.")
    return redirect(url_for("billing.ledger_page", patient_id=patient.id))

"""835 remittances: the import list and upload, each import's posting report, the denial and exceptions queues."""
from __future__ import annotations

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from medoffice import audit
from medoffice.auth import can, load_session_user, requires
from medoffice.models import CoreTask, Patient
from medoffice.money import format_cents
from medoffice.patients import record_shown
from medoffice.tasks import Failed, current_status, start_task
from medoffice.web.shell import notify, render_page
from medoffice.web.query import record_id
from medoffice.web.tables import TableColumn, paginate
from peewee import JOIN

from .. import posting, remit_candidates, remit_queues, x12
from ..claims import ClaimError
from ..models import REMITTANCES, Claim, Payer, ProviderAdjustment, RemitClaim, Remittance
from ..remit_matching import service_dates
from ..x12.codes import CLAIM_STATUS, PROVIDER_ADJUSTMENT_REASONS
from . import bp

MAX_BYTES = 20 * 1024 * 1024
OUTCOMES = {"paid": "Paid", "partially_paid": "Partly paid", "denied": "Denied", "reversal": "Reversal",
            "reversed": "Reversed later", "unmatched": "No claim matched", "held": "Not posted",
            "dismissed": "Dismissed"}


class UploadForm(FlaskForm):
    """An 835 file to import."""

    file = FileField("835 file", validators=[FileRequired("Choose the 835 file your clearinghouse or payer sent.")],
                     description="The remittance advice (ERA) as a text file; it is checked before anything is posted.")


def _remittances_table():
    return paginate(
        Remittance.select(Remittance, Payer.name).join(Payer), id="remits-table",
        columns=[
            TableColumn("imported_at", "Imported", sort=Remittance.imported_at,
                        kind="datetime",
                        link=lambda r: url_for("billing.remittance", remittance_id=r.id)),
            TableColumn("payer", "Payer", sort=Payer.name, value=lambda r: r.payer.name),
            TableColumn("trace_number", "Check / EFT", sort=Remittance.trace_number),
            TableColumn("payment_date", "Paid on", sort=Remittance.payment_date),
            TableColumn("total", "Payment", sort=Remittance.total_paid_cents, numeric=True,
                        value=lambda r: format_cents(r.total_paid_cents)),
            TableColumn("claims", "Claims", numeric=True, value=lambda r: r.claim_count),
            TableColumn("unmatched", "Unmatched", sort=Remittance.unmatched_count, numeric=True),
            TableColumn("imported_by", "By", sort=Remittance.imported_by),
        ],
        search=lambda text: (Remittance.trace_number ** f"%{text}%") | (Payer.name ** f"%{text}%"),
        default_sort="imported_at", endpoint="billing.remittances", noun="remittance", noun_plural="remittances",
        search_placeholder="Check number or payer", empty_message="No 835 file has been imported yet.",
        key=("billing.remittances",), kept_by=REMITTANCES.key,
    )


def _list_page(form: UploadForm, problems: list[str] = (), task: CoreTask | None = None, status: int = 200):
    return render_page("billing/remittances.html", title="Remittances", form=form, problems=list(problems),
                       task=task, table=_remittances_table(), breadcrumbs=[("Remittances", None)]), status


@bp.route("/remittances")
@requires("billing.view")
def remittances():
    """Imported 835s, newest first, the upload form and the progress of a running import."""
    if "sort" not in request.args:
        return redirect(url_for("billing.remittances", **{**request.args.to_dict(), "sort": "imported_at", "desc": 1}))
    task_id = record_id("task")
    task = current_status(task_id) if task_id is not None else None
    return _list_page(UploadForm(), task=task)


def _acting_for(app, user_id: int, address: str):
    """A request context in which the uploader is logged in, so the background import's claim
    history and audit entries name the person who posted the file, not "system"."""
    context = app.test_request_context(environ_base={"REMOTE_ADDR": address})
    context.push()
    login_user(load_session_user(user_id))
    return context


def _summary(result: posting.ImportResult) -> str:
    if result.duplicate:
        return ("Nothing was posted: this file (trace " + ", ".join(result.skipped)
                + ") was imported before.")
    totals = result.totals()
    text = (f"Posted {totals['claims_matched']} claim payment{'s' if totals['claims_matched'] != 1 else ''}: "
            f"{format_cents(totals['paid_cents'])} paid, {format_cents(totals['adjustment_cents'])} adjusted, "
            f"{format_cents(totals['patient_responsibility_cents'])} patient responsibility.")
    if totals["claims_unmatched"]:
        text += f" {totals['claims_unmatched']} not posted (no claim matched, or held): see the exceptions queue."
    if result.skipped:
        text += " Already imported before, skipped: trace " + ", ".join(result.skipped) + "."
    return text


@bp.route("/remittances", methods=["POST"])
@requires("billing.remits.post")
def remittance_upload():
    """Check an uploaded 835 now (a bad file is refused with its reasons), then post it in the background."""
    form = UploadForm()
    if not form.validate_on_submit():
        return _list_page(form, status=422)
    data = form.file.data.read(MAX_BYTES + 1)
    name = (form.file.data.filename or "upload.835")[:200]
    problems: list[str] = []
    if len(data) > MAX_BYTES:
        problems = [f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; an 835 is a text file far smaller."]
    else:
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            problems = ["This is not an 835 file: X12 files hold plain ASCII text only."]
        else:
            problems = x12.check_835(text)
    if problems:
        audit.record("billing.remit.refused", "billing_remittance", "", detail={"file": name, "problems": len(problems)})
        return _list_page(UploadForm(), problems, status=422)
    app = current_app._get_current_object()
    user_id, address = current_user.id, request.remote_addr or ""

    def work(progress):
        progress(None, "Matching the claims and posting the payments…")
        context = _acting_for(app, user_id, address)
        try:
            return _summary(posting.import_835(text, name))
        except posting.RemitRefused as exc:
            raise Failed(" ".join(exc.problems)) from None
        finally:
            context.pop()

    task = start_task(app, f"Import of {name}", work, permission="billing.view", created_by=current_user.username,
                      result_url=url_for("billing.remittance_file", digest=posting.file_digest(text)))
    return redirect(url_for("billing.remittances", task=task.id, _anchor=f"task-{task.id}"))


@bp.route("/remittances/file/<digest>")
@requires("billing.view")
def remittance_file(digest: str):
    """The posting report of the file with this SHA-256 (where a finished import task points)."""
    first = (Remittance.select().where(Remittance.file_sha256 == digest).order_by(Remittance.position).first())
    if first is None:
        notify("That file was not posted (it was refused, or imported before under another name).", "warning")
        return redirect(url_for("billing.remittances"))
    return redirect(url_for("billing.remittance", remittance_id=first.id))


@bp.route("/remittances/<int:remittance_id>")
@requires("billing.view")
def remittance(remittance_id: int):
    """The posting report of one import: paid, adjusted, denied, moved to patients, PLB and unmatched. Audited."""
    record = Remittance.get_or_none(Remittance.id == remittance_id) or abort(404)
    rows = list(RemitClaim.select(RemitClaim, Claim).join(Claim, join_type=JOIN.LEFT_OUTER)
                .where(RemitClaim.remittance == record).order_by(RemitClaim.position))
    plb = list(ProviderAdjustment.select().where(ProviderAdjustment.remittance == record)
               .order_by(ProviderAdjustment.id))
    totals = posting.remittance_totals([record.id])
    by_outcome: dict[str, int] = {}
    for row in rows:
        by_outcome[row.outcome] = by_outcome.get(row.outcome, 0) + 1
    record_shown("billing.remit.view", record, (r.claim.patient_id for r in rows if r.claim_id), claims=len(rows))
    return render_page("billing/remittance.html", title=f"835 {record.trace_number}", remittance=record, rows=rows,
                       plb=plb, totals=totals, by_outcome=by_outcome, outcomes=OUTCOMES,
                       next_payer=sum(r.next_payer_cents for r in rows), claim_status=CLAIM_STATUS,
                       plb_reasons=PROVIDER_ADJUSTMENT_REASONS, reason_text=posting.reason_text,
                       breadcrumbs=[("Remittances", url_for("billing.remittances")), (record.trace_number, None)])


# --- The queues (the denial queue's claims are worked from the Denials page: views/denials.py) -----------

def _queue(queue: str):
    return (RemitClaim.select(RemitClaim, Remittance, Payer, Claim, Patient)
            .join(Remittance).join(Payer).switch(RemitClaim)
            .join(Claim, join_type=JOIN.LEFT_OUTER)
            .join(Patient, join_type=JOIN.LEFT_OUTER, on=(Claim.patient_id == Patient.id), attr="patient")
            .where((RemitClaim.queue == queue) & (RemitClaim.resolved == False))  # noqa: E712
            .order_by(Remittance.imported_at, RemitClaim.position))


# --- The exceptions queue ---------------------------------------------------------------------------------

def _exceptions_page(errors: dict[int, str] | None = None, status: int = 200):
    rows = list(_queue("exception"))
    payments = {row.id: posting.claim_from_json(row.raw) for row in rows}
    paid = {entry_id: payment.paid_cents for entry_id, payment in payments.items()}
    ranked = remit_candidates.candidates(rows, {entry_id: service_dates(payment)
                                                for entry_id, payment in payments.items()})
    # the candidates name patients: the read names them (the payments themselves name no patient of ours)
    audit.record_list("billing.exceptions.view", (c.patient_id for found in ranked.values() for c in found),
                      open=len(rows))
    return render_page("billing/exceptions.html", title="835 exceptions", rows=rows, errors=errors or {}, paid=paid,
                       candidates=ranked, claim_status=CLAIM_STATUS, reason_text=posting.reason_text,
                       can_post=can("billing.remits.post"),
                       breadcrumbs=[("Remittances", url_for("billing.remittances")), ("Exceptions", None)]), status


@bp.route("/remittances/exceptions")
@requires("billing.view")
def exceptions():
    """Claim payments that matched no claim: match each to its claim by hand, or dismiss it with a reason."""
    return _exceptions_page()


@bp.route("/remittances/exceptions/<int:entry_id>/match", methods=["POST"])
@requires("billing.remits.post")
def exception_match(entry_id: int):
    """Post an unmatched claim payment against the claim with the number typed in."""
    entry = RemitClaim.get_or_none(RemitClaim.id == entry_id) or abort(404)
    number = request.form.get("claim_number", "").strip().upper()
    claim = Claim.get_or_none(Claim.claim_number == number) if number else None
    if claim is None:
        message = "Enter the claim number (such as C0000123)." if not number else f"There is no claim {number}."
        return _exceptions_page({entry.id: message}, 422)
    try:
        row = remit_queues.match_exception(entry, claim)
    except ClaimError as exc:
        return _exceptions_page({entry.id: str(exc)}, 422)
    notify(f"Posted to claim {claim.claim_number}: {format_cents(row.paid_cents)} paid"
           + (" (it is in the denial queue now)." if row.queue == "denial" else "."))
    return redirect(url_for("billing.exceptions"))


@bp.route("/remittances/exceptions/<int:entry_id>/dismiss", methods=["POST"])
@requires("billing.remits.post")
def exception_dismiss(entry_id: int):
    """Take an unmatched claim payment off the queue without posting it, saying why."""
    entry = RemitClaim.get_or_none(RemitClaim.id == entry_id) or abort(404)
    try:
        remit_queues.close_entry(entry, "exception", request.form.get("reason", ""))
    except ClaimError as exc:
        return _exceptions_page({entry.id: str(exc)}, 422)
    notify("The claim payment is dismissed; nothing was posted.")
    return redirect(url_for("billing.exceptions"))

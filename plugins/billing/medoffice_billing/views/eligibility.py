"""Eligibility: ask about one policy (from the insurance page) or about the patients with visits in the next
days (a 270, queued for the clearinghouse and downloadable), and import the payers' 271 answers."""
from __future__ import annotations

from flask import Response, abort, redirect, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from medoffice import audit, settings
from medoffice.auth import requires
from medoffice.patients import load_record_for_display, record_shown
from medoffice.web.shell import notify, render_page
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from .. import clearinghouse, eligibility
from ..eligibility import EligibilityRefused
from ..export837 import ExportError
from ..models import Coverage, EligibilityBatch, EligibilityCheck
from . import bp

MAX_BYTES = 5 * 1024 * 1024
RECENT = 30


class UpcomingForm(FlaskForm):
    """Ask about the patients with visits in the next days."""

    days = IntegerField("Patients with a visit in the next", default=3,
                        validators=[InputRequired(message="Enter a number of days."), NumberRange(0, 60)],
                        description="Days, from today. Each patient's primary policy in force is asked about.")


class AnswerUploadForm(FlaskForm):
    """A 271 file."""

    file = FileField("271 file", validators=[FileRequired("Choose the 271 file.")],
                     description="Checked before anything changes; importing it again changes nothing.")


def _page(form=None, upload=None, problems=(), status: int = 200):
    batches = list(EligibilityBatch.select().order_by(EligibilityBatch.id.desc()).limit(RECENT))
    return render_page("billing/eligibility.html", title="Eligibility", form=form or UpcomingForm(),
                       upload=upload or AnswerUploadForm(), problems=list(problems), batches=batches,
                       breadcrumbs=[("Eligibility", None)]), status


@bp.route("/eligibility")
@requires("billing.view")
def eligibility_page():
    """The 270 batches sent, the form to ask about upcoming visits and the 271 upload."""
    return _page()


def _sent(result: eligibility.Export270) -> None:
    """Queue a written 270 for the clearinghouse and say what happened."""
    if result.batch is None:
        notify("No policy could be asked about. " + " ".join(result.skipped), "warning")
        return
    clearinghouse.queue_batch("270", result.batch.id, result.batch.control_number)
    left_out = f" Left out: {' '.join(result.skipped)}" if result.skipped else ""
    notify(f"Asked about {result.batch.inquiries} polic{'ies' if result.batch.inquiries != 1 else 'y'}: the 270 "
           f"goes out with the next clearinghouse sync (or download it).{left_out}")


@bp.route("/eligibility/upcoming", methods=["POST"])
@requires("billing.eligibility.check")
def eligibility_upcoming():
    """Write a 270 about the primary policies of the patients with a visit in the next days."""
    form = UpcomingForm()
    if not form.validate_on_submit():
        return _page(form, status=422)
    ids = eligibility.upcoming_coverages(settings.today(), form.days.data)
    if not ids:
        notify("No patient has a visit (an open encounter) in those days.", "warning")
        return redirect(url_for("billing.eligibility_page"))
    try:
        _sent(eligibility.export_270(ids))
    except ExportError as exc:
        return _page(form, problems=exc.problems, status=422)
    return redirect(url_for("billing.eligibility_page"))


@bp.route("/insurance/<int:coverage_id>/eligibility", methods=["POST"])
@requires("billing.eligibility.check")
def coverage_eligibility(coverage_id: int):
    """Ask the payer about one policy (from the patient's insurance page)."""
    coverage, patient = load_record_for_display(Coverage, coverage_id, "billing.eligibility.ask")
    try:
        _sent(eligibility.export_270([coverage.id]))
    except ExportError as exc:
        notify(" ".join(exc.problems), "error")
    return redirect(url_for("billing.insurance", patient_id=patient.id))


@bp.route("/eligibility/batches/<int:inquiry_batch_id>/download")
@requires("billing.eligibility.check")
def eligibility_batch_download(inquiry_batch_id: int):
    """A 270 exactly as written (names patients: audited)."""
    batch = EligibilityBatch.get_or_none(EligibilityBatch.id == inquiry_batch_id) or abort(404)
    patients = [pid for (pid,) in EligibilityCheck.select(EligibilityCheck.patient_id)
                .where(EligibilityCheck.batch == batch).tuples()]
    record_shown("billing.eligibility.download", batch, patients, export=True)
    return Response(bytes(batch.content), mimetype="application/edi-x12",
                    headers={"Content-Disposition": f'attachment; filename="{batch.file_name}"'})


@bp.route("/eligibility/answers", methods=["POST"])
@requires("billing.eligibility.check")
def eligibility_answers():
    """Import a 271 (checked first: a bad file changes nothing)."""
    upload = AnswerUploadForm()
    if not upload.validate_on_submit():
        return _page(upload=upload, status=422)
    data = upload.file.data.read(MAX_BYTES + 1)
    name = (upload.file.data.filename or "upload.271")[:200]
    try:
        if len(data) > MAX_BYTES:
            raise EligibilityRefused([f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."])
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise EligibilityRefused(["This is not an X12 file: X12 files hold plain ASCII text only."]) from None
        result = eligibility.import_271(text, name)
    except EligibilityRefused as exc:
        audit.record("billing.eligibility.refused", "billing_eligibility", "", detail={"file": name,
                                                                                      "problems": len(exc.problems)})
        return _page(upload=AnswerUploadForm(), problems=exc.problems, status=422)
    if result.duplicate:
        notify("Nothing changed: this 271 was imported before.", "warning")
    else:
        notify(f"{result.answered} answer(s): {result.active} active, {result.inactive} inactive, "
               f"{result.unknown} without an answer. They show on each patient's page and at the desk.")
    return redirect(url_for("billing.eligibility_page"))


"""Exclusion screening pages: the lists imported, the review queue, past runs; importing a list,
screening now, and clearing or confirming a possible match."""
from __future__ import annotations

from flask import abort, redirect, url_for
from flask_login import current_user
from medoffice import prepared
from medoffice.auth import requires
from medoffice.web.shell import notify, render_page

from .. import screening as service
from ..models import ExclusionList, ScreeningMatch, ScreeningRun
from . import bp
from .forms import ImportForm, ReviewForm, RunForm


def _review_form(match_id: int, submitted: bool = False) -> ReviewForm:
    """One match's review form; its prefix keeps each row's field ids (and so its labels) its own."""
    prefix = f"match-{match_id}"
    return ReviewForm(prefix=prefix) if submitted else ReviewForm(formdata=None, prefix=prefix)


# The page's four reads, built once and compiled once (prepared.run): peewee built and compiled them on every
# view, several times what SQLite takes to answer them.
_QUEUE = service.open_matches().order_by(ScreeningMatch.id)
_LISTS = ExclusionList.select().order_by(ExclusionList.imported_at.desc()).limit(12)
_REVIEWED = (ScreeningMatch.select().where(ScreeningMatch.status != "open")
             .order_by(ScreeningMatch.reviewed_at.desc()).limit(50))
_RUNS = ScreeningRun.select().order_by(ScreeningRun.run_at.desc()).limit(24)


def _page(status: int = 200, reviewed: tuple[int, ReviewForm] | None = None, **forms):
    queue = list(prepared.run(_QUEUE, "compliance.screening_queue"))
    review_forms = {m.id: _review_form(m.id) for m in queue}
    if reviewed is not None:  # the form just refused, with its errors
        review_forms[reviewed[0]] = reviewed[1]
    return render_page(
        "compliance/screening.html", title="Exclusion screening", sources=service.SOURCES,
        lists=list(prepared.run(_LISTS, "compliance.screening_lists")),
        queue=queue,
        reviewed=list(prepared.run(_REVIEWED, "compliance.screening_reviewed")),
        runs=list(prepared.run(_RUNS, "compliance.screening_runs")),
        import_form=forms.get("import_form") or ImportForm(formdata=None), run_form=RunForm(formdata=None),
        review_forms=review_forms,
        problems=forms.get("problems", [])), status


@bp.route("/screening")
@requires("compliance.screening.view")
def screening():
    """The lists, the review queue and the screening history."""
    return _page()


@bp.route("/screening/import", methods=["POST"])
@requires("compliance.screening.run")
def screening_import():
    """Import an exclusion list: every row checked first; nothing written when one is wrong."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = service.import_list(form.source.data, upload.read(), list_date=form.list_date.data,
                                         file_name=upload.filename or "", by=current_user.username)
        except service.ImportRefused as refused:
            form.file.errors = ["The file was refused; nothing was imported."]
            return _page(422, import_form=form, problems=refused.problems)
        notify(f"{service.SOURCES[result.source]}: already imported, nothing changed." if result.unchanged
               else f"{service.SOURCES[result.source]}: {result.rows} entries imported.")
        return redirect(url_for("compliance.screening"))
    return _page(422, import_form=form)


@bp.route("/screening/run", methods=["POST"])
@requires("compliance.screening.run")
def screening_run():
    """Screen everyone now against the current lists."""
    run = service.run(by=current_user.username)
    notify(f"{run.screened} screened; {run.possible_matches} possible match(es).")
    return redirect(url_for("compliance.screening"))


@bp.route("/screening/matches/<int:match_id>/review", methods=["POST"])
@requires("compliance.screening.run")
def screening_review(match_id: int):
    """Clear or confirm a possible match, with a note."""
    match = ScreeningMatch.get_or_none(ScreeningMatch.id == match_id)
    if match is None:
        abort(404)
    form = _review_form(match.id, submitted=True)
    if form.validate_on_submit():
        try:
            service.review(match, form.decision.data, form.note.data, by=current_user.username)
        except ValueError as refused:
            form.note.errors = [str(refused)]
        else:
            notify("Match " + ("cleared." if form.decision.data == "cleared" else "confirmed: act on it now."))
            return redirect(url_for("compliance.screening"))
    return _page(422, reviewed=(match.id, form))

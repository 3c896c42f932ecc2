"""The scheduled jobs page: each enabled job with its schedule and last run, run history, run now."""
from __future__ import annotations

import datetime as dt
import functools
import math
import re

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from .. import audit, prepared
from ..auth.access import can, requires
from ..auth.access_version import KEY as ACCESS_KEY
from ..data_versions import OPERATIONS_KEY, kept
from ..dates import pattern
from ..jobs import describe_schedule, job_specs, latest_runs, next_run, run_job
from ..models import JobRun
from ..plain import PlainSelect
from ..prepared import slot
from ..scheduler import running_scheduler
from ..settings import practice_timezone
from ..tasks import Failed, current_status, start_task
from . import core_blueprint as bp
from .query import page_number, record_id
from .shell import csrf_token, render_page
from .tables import count_for_page, count_label


_next_runs: dict[tuple, tuple] = {}  # (job, schedule, zone): (from when, its next run) as last computed


def _next_run(job_id: str, spec, timezone, now: dt.datetime) -> dt.datetime | None:
    """``next_run``, computed again only once the run it gave is due: the first fire time at or after a
    moment is also the first one at or after any later moment up to it (~0.1 ms a job, 26 on the page)."""
    key = (job_id, spec.trigger, tuple(sorted(spec.schedule.items())), str(timezone))
    since, upcoming = _next_runs.get(key, (None, None))
    if since is None or not since <= now <= upcoming:
        upcoming = next_run(spec, timezone, now)
        if upcoming is not None:
            _next_runs[key] = (now, upcoming)
    return upcoming


_PLAIN_ID = re.compile(r"[A-Za-z0-9._]+")  # what url_for writes as it is, in a path or a query string


def _job_url(endpoint: str, param: str):
    """A function of a job id giving ``url_for(endpoint, **{param: id})``: built once and the id spliced in
    when it needs no quoting (every job's is a dotted name), else built for it (two a job: ~50 url_for)."""
    before, after = url_for(endpoint, **{param: "JOBID"}).split("JOBID")
    return lambda job_id: f"{before}{job_id}{after}" if _PLAIN_ID.fullmatch(job_id) else url_for(
        endpoint, **{param: job_id})


def job_rows() -> list[dict]:
    """One row per job of the enabled plugins: schedule, next run, latest run."""
    specs = job_specs(current_app.extensions["medoffice"].host)
    latest = kept(OPERATIONS_KEY, ("core.jobs.latest", tuple(specs)), lambda: latest_runs(specs))
    timezone = practice_timezone()
    scheduler = running_scheduler(current_app)
    live = scheduler.next_run_times() if scheduler is not None else {}
    now = dt.datetime.now(timezone)
    run_url, history_url = _job_url("core.run_job_now", "job_id"), _job_url("core.jobs", "job")
    rows = []
    for job_id, spec in specs.items():
        upcoming = live.get(job_id) if job_id in live else _next_run(job_id, spec, timezone, now)
        rows.append({
            "id": job_id,
            "run_url": run_url(job_id),
            "history_url": history_url(job_id),
            "title": spec.title,
            "description": spec.description,
            "schedule": describe_schedule(spec),
            "next_run": upcoming.astimezone(timezone) if upcoming else None,
            "last": latest.get(job_id),
        })
    return rows


PER_PAGE = 25


_RUN_COLUMNS = (JobRun.id, JobRun.job_id, JobRun.started_at, JobRun.finished_at, JobRun.status, JobRun.message,
                JobRun.error, JobRun.trigger)


@functools.lru_cache(maxsize=2)
def _history_query(one_job: bool):
    """The runs, of every job or of one (``job`` slot), as plain rows: built once per shape."""
    query = PlainSelect(JobRun, _RUN_COLUMNS)
    return query.where(JobRun.job_id == slot("job")) if one_job else query


def run_history(job_id: str | None, page: int) -> dict:
    """One page of the run history, newest first, optionally for one job (count and page in SQL, each compiled
    once per shape)."""
    query, key, values = _history_query(bool(job_id)), ("core.jobs.history", bool(job_id)), {"job": job_id}
    # jobs run every few minutes: years of runs pile up
    total, more = count_for_page(query, page, PER_PAGE, is_prepared=True, key=key, values=values)
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(max(1, page), pages)
    runs = list(prepared.run(query.order_by(JobRun.id.desc()).limit(slot("limit")).offset(slot("offset")),
                             (key, "page"), limit=PER_PAGE, offset=(page - 1) * PER_PAGE, **values))
    return {"runs": runs, "total": total, "label": count_label(total, more, "run", "runs"), "more": more,
            "page": page, "pages": pages, "job": job_id or ""}


def _when(timezone):
    """``localtime(zone=False)`` with the practice's zone and date format read once for the page's ~80 times."""
    shown = f"{pattern()} %H:%M"

    def when(value: dt.datetime | None) -> str:
        if not value:
            return ""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(timezone).strftime(shown)
    return when


_RUN_LABELS = {"ok": "OK", "failed": "Failed", "running": "Running"}


def _run_status(status: str) -> str:
    """A run's status as ``ui.chip`` draws it."""
    label = _RUN_LABELS.get(status, status) or status.replace("_", " ").capitalize()
    return f'<span class="chip chip-{escape(status.replace(" ", "-").lower())}">{escape(label)}</span>'


def jobs_html(rows: list[dict], when, may_run: bool) -> Markup:
    """The jobs table's rows, written here with the template's whitespace (26 jobs of a few cells each)."""
    token = escape(csrf_token()) if may_run else ""
    html = []
    for job in rows:
        description = f"<br><small>{escape(job['description'])}</small>" if job["description"] else ""
        last = job["last"]
        if last is not None:
            message = f"<br><small>{escape(last.message)}</small>" if last.message else ""
            last_html = f"{_run_status(last.status)} <small>{escape(when(last.started_at))}</small>\n        {message}"
        else:
            last_html = "<small>Never ran</small>"
        form = (f'\n      <form method="post" action="{escape(job["run_url"])}" class="inline">\n'
                f'        <input type="hidden" name="csrf_token" value="{token}">\n'
                f'        <button type="submit" class="secondary">Run now</button>\n      </form>') if may_run else ""
        html.append(
            f'\n  <tr id="job-{escape(job["id"])}">\n    <td><strong>{escape(job["title"])}</strong> '
            f'<code>{escape(job["id"])}</code>{description}</td>\n    <td>{escape(job["schedule"])}</td>\n'
            f'    <td>{escape(when(job["next_run"]) or "—")}</td>\n    <td>{last_html}</td>\n    <td>{form}\n'
            f'      <a href="{escape(job["history_url"])}#job-runs">History</a></td>\n  </tr>\n  ')
    return Markup("".join(html))


def runs_html(runs: list, titles: dict[str, str], when) -> Markup:
    """The run history's rows, written here with the template's whitespace (25 runs of six cells)."""
    html = []
    for run in runs:
        error = (f'<details class="job-error"><summary>Technical details</summary><pre>{escape(run.error)}</pre>'
                 f'</details>') if run.error else ""
        html.append(
            f'\n    <tr data-run="{run.id}">\n      <td>{escape(when(run.started_at))}</td>\n'
            f'      <td>{escape(titles.get(run.job_id, run.job_id))}</td>\n'
            f'      <td>{"By hand" if run.trigger == "manual" else "Schedule"}</td>\n'
            f'      <td>{_run_status(run.status)}</td>\n      <td>{escape(when(run.finished_at))}</td>\n'
            f'      <td>{escape(run.message)}{error}</td>\n    </tr>\n    ')
    return Markup("".join(html))


def _overview_context() -> dict:
    rows = job_rows()
    timezone = practice_timezone()
    when, titles = _when(timezone), {r["id"]: r["title"] for r in rows}
    job, page = request.args.get("job") or None, page_number()

    def history_and_html():
        history = run_history(job, page)
        return history, runs_html(history["runs"], titles, when)
    # Kept until a job runs (core.operations) or a setting (zone, date format) changes; the titles come
    # from the enabled plugins.
    history, history_html = kept((OPERATIONS_KEY, ACCESS_KEY), ("core.jobs.history", job, page,
                                                                 tuple(titles.items())), history_and_html)
    return {"rows": rows, "titles": titles, "history": history, "timezone": timezone, "when": when,
            "jobs_html": jobs_html(rows, when, can("core.jobs.run")), "runs_html": history_html}


@bp.route("/admin/jobs")
@requires("core.jobs.view")
def jobs():
    """The jobs of enabled modules with their last runs, the run history and any task being watched."""
    task = None
    task_id = record_id("task")
    if task_id is not None:
        task = current_status(task_id)
        if task is not None and not can(task.permission):
            task = None
    return render_page("admin/jobs.html", title="Scheduled jobs", task=task,
                       scheduler=running_scheduler(current_app), **_overview_context(),
                       breadcrumbs=[("Admin", None), ("Scheduled jobs", None)])


@bp.route("/admin/jobs/runs")
@requires("core.jobs.view")
def job_runs():
    """The jobs overview and run history as a fragment (reloaded when a watched task finishes)."""
    return render_page("admin/_job_runs.html", title="Scheduled jobs", **_overview_context())


@bp.route("/admin/jobs/<job_id>/run", methods=["POST"])
@requires("core.jobs.run")
def run_job_now(job_id: str):
    """Run a job now in the background; the jobs page then shows its progress."""
    app = current_app._get_current_object()
    specs = job_specs(app.extensions["medoffice"].host)
    spec = specs.get(job_id)
    if spec is None:
        abort(404)

    def work(progress):
        progress(None, f"Running {spec.title}…")
        run = run_job(app, job_id, trigger="manual")
        if run.status == "failed":
            raise Failed(run.message)
        return run.message

    audit.record("job.run", "job", job_id)
    task = start_task(app, f"Run now: {spec.title}", work, permission="core.jobs.view",
                      created_by=current_user.username)
    return redirect(url_for("core.jobs", task=task.id, _anchor=f"task-{task.id}"))

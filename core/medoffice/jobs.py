"""Scheduled jobs: the jobs of enabled plugins, running one and recording its run (core_job_run).

A job's function runs inside an app context with its own database connection and returns a
message for the jobs page. To fail with a message for staff, raise ``medoffice.tasks.Failed``;
any other exception fails the run and is recorded by type and code location only (see
``medoffice.tasks.failure_text``). The latest run of a job that failed raises a Today item.
"""
from __future__ import annotations

import datetime as dt
import functools
import logging

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app, url_for

from . import audit, prepared
from .data_versions import OPERATIONS_KEY, kept
from .contributions import JobSpec, WorkItem
from .db import utcnow
from .models import JobRun
from .tasks import Failed, app_thread_context, failure_text

log = logging.getLogger("medoffice.jobs")

INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


class UnknownJob(LookupError):
    """No enabled plugin contributes a job with that id."""


def job_specs(host) -> dict[str, JobSpec]:
    """The jobs of the enabled plugins by id, core's first, then by id."""
    specs = sorted(host.call("medoffice_jobs"), key=lambda s: (not s.id.startswith("core."), s.id))
    return {spec.id: spec for spec in specs}


def run_job(app, job_id: str, trigger: str = "schedule") -> JobRun:
    """Run one job now and record the run (running, then ok or failed with its message).

    Safe to call from any thread: it pushes an app context and opens (and then closes) this
    thread's database connection unless one is open already.
    :param trigger: what started it: ``schedule`` or ``manual``.
    :raises UnknownJob: the job does not exist or its plugin is disabled.
    """
    with app_thread_context(app):
        runtime = app.extensions["medoffice"]
        runtime.refresh()  # a plugin disabled in another process takes its jobs with it
        spec = job_specs(runtime.host).get(job_id)
        if spec is None:
            raise UnknownJob(f"no enabled module has a job {job_id!r}")
        run = JobRun.create(job_id=job_id, trigger=trigger, started_at=utcnow(), status="running")
        try:
            message = spec.func()
            values = {"status": "ok", "message": message or "Done."}
        except Exception as exc:
            text, detail = failure_text(exc)
            log.error("job %s failed: %s", job_id, text)
            values = {"status": "failed", "message": text, "error": detail}
        JobRun.update(finished_at=utcnow(), **values).where(JobRun.id == run.id).execute()
        return JobRun.get_by_id(run.id)


def close_interrupted_runs() -> int:
    """Mark scheduled runs left "running" by a scheduler that stopped mid-run as failed.

    Only the one scheduler of a deployment starts scheduled runs, so when it starts, any such
    run still open belongs to a process that is gone. Runs started by hand are left alone:
    they may still be running in a web process.
    :return: how many runs were closed.
    """
    return (JobRun.update(status="failed", finished_at=utcnow(),
                          message="Interrupted: the scheduler stopped while this job ran.")
            .where((JobRun.status == "running") & (JobRun.trigger == "schedule")).execute())


def latest_runs(job_ids) -> dict[str, JobRun]:
    """The most recent run of each of ``job_ids`` that has run at all: one query, compiled once per number of
    jobs (Today asks on every load). Each job's run is the first entry of the (job, start) index, so the cost
    stays the same after years of runs (grouping them read every run of every job)."""
    ids = sorted(job_ids)
    if not ids:
        return {}
    rows = prepared.run(_latest_query(len(ids)), ("jobs.latest_runs", len(ids)),
                        **{f"job{number}": job_id for number, job_id in enumerate(ids)})
    return {run.job_id: run for run in rows}


@functools.lru_cache(maxsize=8)
def _latest_query(count: int):
    # By start alone (microseconds apart): a second sort key made PostgreSQL sort after reading the index.
    newest = [JobRun.select(JobRun.id).where(JobRun.job_id == prepared.slot(f"job{number}"))
              .order_by(JobRun.started_at.desc()).limit(1) for number in range(count)]
    return JobRun.select().where(JobRun.id.in_(newest))


def failed_job_items() -> list[WorkItem]:
    """A Today item for every enabled job whose latest run failed."""
    specs = job_specs(current_app.extensions["medoffice"].host)
    if not specs:
        return []
    items = []
    runs = kept(OPERATIONS_KEY, ("latest runs", tuple(sorted(specs))), lambda: latest_runs(specs))
    for job_id, run in runs.items():
        if run.status != "failed":
            continue
        items.append(WorkItem(
            title=f"Scheduled job failed: {specs[job_id].title}",
            url=url_for("core.jobs", _anchor=f"job-{job_id}"),
            permission="core.jobs.view",
            urgency=10,
            detail=run.message,
            source="Scheduled jobs",
        ))
    return items


def build_trigger(spec: JobSpec, timezone):
    """The APScheduler trigger of a job, in the practice's time zone."""
    if spec.trigger == "cron":
        return CronTrigger(timezone=timezone, **spec.schedule)
    if spec.trigger == "interval":
        return IntervalTrigger(timezone=timezone, **spec.schedule)
    raise ValueError(f"job {spec.id}: trigger must be 'cron' or 'interval', not {spec.trigger!r}")


def next_run(spec: JobSpec, timezone, now: dt.datetime | None = None) -> dt.datetime | None:
    """When a cron job fires next; None for interval jobs (they count from the scheduler's start)."""
    if spec.trigger != "cron":
        return None
    return _cron_trigger(tuple(sorted(spec.schedule.items())), timezone).get_next_fire_time(
        None, now or dt.datetime.now(timezone))


@functools.lru_cache(maxsize=256)
def _cron_trigger(schedule: tuple, timezone) -> CronTrigger:
    # Parsing a cron schedule costs ~0.1 ms; the jobs page asks for every job's next run on each view.
    return CronTrigger(timezone=timezone, **dict(schedule))


def describe_schedule(spec: JobSpec) -> str:
    """The schedule in words: "every 30 minutes", "daily at 03:15", "mon-fri at 07:00"."""
    schedule = spec.schedule
    if spec.trigger == "interval":
        parts = []
        for unit in INTERVAL_UNITS:
            amount = schedule.get(unit)
            if amount:
                parts.append(f"{amount} {unit if amount != 1 else unit[:-1]}")
        return "every " + " ".join(parts) if parts else "interval"
    clock = {"hour", "minute", "second"}
    keys = set(schedule)
    if keys <= clock | {"day_of_week"} and all(str(schedule.get(k, 0)).isdecimal() for k in clock):
        time = f"{int(schedule.get('hour', 0)):02d}:{int(schedule.get('minute', 0)):02d}"
        days = schedule.get("day_of_week")
        return f"{days} at {time}" if days is not None else f"daily at {time}"
    return "cron " + ", ".join(f"{key}={value}" for key, value in schedule.items())


def verify_audit_chain() -> str:
    """Core's nightly job: walk the audit chain; fail loudly when an entry was altered or removed."""
    result = audit.verify()
    if not result.ok:
        raise Failed(f"The audit trail is broken: {result.problem}. Ask IT to run `medoffice doctor`.")
    return f"The audit trail is intact ({result.checked} entries checked)."


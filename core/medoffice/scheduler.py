"""The job scheduler: one APScheduler BackgroundScheduler per deployment, running enabled plugins' jobs.

``medoffice serve`` starts it unless ``--no-scheduler``; ``medoffice scheduler`` runs it alone
(PostgreSQL with several web processes). Exactly one may run: an instance lock file guards
the instance folder and, on PostgreSQL, a session advisory lock guards the database, so a
second scheduler (another process, the debug reloader, a second machine) refuses to start.

Jobs follow the enabled set: a runtime listener adds and removes them when a plugin is
turned on or off in this process, and an internal job re-reads the state every 30 seconds so
toggles made elsewhere (the CLI, another web process) are noticed too.
"""
from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from filelock import FileLock, Timeout

from .db import is_sqlite
from .filemodes import FILE_MODE
from .jobs import UnknownJob, build_trigger, close_interrupted_runs, job_specs, run_job
from .settings import practice_timezone
from .tasks import app_thread_context

log = logging.getLogger("medoffice.scheduler")

LOCK_FILE = "scheduler.lock"
REFRESH_JOB = "_medoffice.refresh"  # internal; never a plugin job id (those start with a plugin name)
REFRESH_SECONDS = 30
# A run delayed by a busy pool or a sleeping computer still happens within an hour of its time.
MISFIRE_GRACE_SECONDS = 3600
ADVISORY_LOCK_KEY = 0x6D65646F66666963  # "medoffic" in ASCII: a fixed key for pg_try_advisory_lock
EXTENSION = "medoffice_scheduler"


class SchedulerBusy(RuntimeError):
    """Another scheduler already runs for this instance (or this PostgreSQL database)."""


class SchedulerLock:
    """The instance lock file plus, on PostgreSQL, a session advisory lock on a connection of its own."""

    def __init__(self, instance: Path, postgres_url: str | None):
        self.path = instance / LOCK_FILE
        self.file_lock = FileLock(str(self.path), mode=FILE_MODE, thread_local=False)
        self.postgres_url = postgres_url
        self.connection = None

    def acquire(self) -> None:
        """Take both locks at once or neither.

        :raises SchedulerBusy: when another scheduler holds either.
        """
        try:
            self.file_lock.acquire(timeout=0)
        except Timeout:
            raise SchedulerBusy(f"another scheduler is running for this instance ({self.path} is locked)") from None
        if self.postgres_url:
            import psycopg

            try:
                self.connection = psycopg.connect(self.postgres_url, autocommit=True)
                got = self.connection.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK_KEY,)).fetchone()[0]
            except BaseException:
                self.release()
                raise
            if not got:
                self.release()
                raise SchedulerBusy("another scheduler is running against this PostgreSQL database")

    def release(self) -> None:
        """Let go of both locks (closing the connection ends the advisory lock)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.file_lock.is_locked:
            self.file_lock.release()


class JobScheduler:
    """The running scheduler of this process; ``shutdown()`` stops it and frees the lock."""

    def __init__(self, app, scheduler: BackgroundScheduler, lock: SchedulerLock, timezone):
        self.app = app
        self.scheduler = scheduler
        self.lock = lock
        self.timezone = timezone
        self._sync_lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True until ``shutdown``."""
        return self.scheduler.running

    def job_ids(self) -> set[str]:
        """Ids of the plugin jobs scheduled now."""
        return {job.id for job in self.scheduler.get_jobs() if job.id != REFRESH_JOB}

    def next_run_times(self) -> dict:
        """When each scheduled plugin job fires next (aware datetimes)."""
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs() if job.id != REFRESH_JOB}

    def sync(self) -> None:
        """Schedule the jobs of enabled plugins and drop those of disabled ones (a runtime listener)."""
        with self._sync_lock:
            specs = job_specs(self.app.extensions["medoffice"].host)
            current = self.job_ids()
            for job_id in current - specs.keys():
                self.scheduler.remove_job(job_id)
                log.info("unscheduled job %s", job_id)
            for job_id in specs.keys() - current:
                spec = specs[job_id]
                try:
                    trigger = build_trigger(spec, self.timezone)
                except (TypeError, ValueError) as exc:
                    log.error("job %s has an unusable schedule and is not scheduled: %s", job_id, exc)
                    continue
                self.scheduler.add_job(_run_scheduled, trigger=trigger, args=(self.app, job_id),
                                       id=job_id, name=spec.title)
                log.info("scheduled job %s", job_id)

    def refresh(self) -> None:
        """Notice plugin toggles and time-zone changes made in other processes (the internal job)."""
        with app_thread_context(self.app):
            timezone = practice_timezone()
            if timezone != self.timezone:
                log.info("practice time zone is now %s; rescheduling jobs", timezone)
                with self._sync_lock:
                    self.timezone = timezone
                    for job_id in self.job_ids():
                        self.scheduler.remove_job(job_id)
                self.sync()
            self.app.extensions["medoffice"].refresh()

    def shutdown(self, wait: bool = False) -> None:
        """Stop scheduling (``wait``: let running jobs finish first) and release the lock."""
        runtime = self.app.extensions["medoffice"]
        if self.sync in runtime.listeners:
            runtime.listeners.remove(self.sync)
        if self.app.extensions.get(EXTENSION) is self:
            del self.app.extensions[EXTENSION]
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.lock.release()


def _run_scheduled(app, job_id: str) -> None:
    try:
        run_job(app, job_id, trigger="schedule")
    except UnknownJob:
        log.info("job %s was skipped: its module was turned off", job_id)


def under_reloader_parent(app) -> bool:
    """True in the Werkzeug debug reloader's watcher process (its child serves and schedules)."""
    return bool(app.debug) and os.environ.get("WERKZEUG_RUN_MAIN") != "true"


def running_scheduler(app) -> JobScheduler | None:
    """The scheduler running in this process for ``app``, if any."""
    return app.extensions.get(EXTENSION)


def start_scheduler(app, *, strict: bool = False) -> JobScheduler | None:
    """Start the scheduler for ``app`` in background threads.

    :param strict: raise ``SchedulerBusy`` when another scheduler runs (``medoffice scheduler``);
        otherwise log it and return None, and this process just serves pages.
    :return: the running scheduler, or None when it must not run here (the reloader's watcher
        process, or another scheduler holds the lock).
    """
    if under_reloader_parent(app):
        log.info("the scheduler runs in the reloader's child process, not in its watcher")
        return None
    postgres_url = None if is_sqlite() else app.config["DATABASE_URL"]
    lock = SchedulerLock(Path(app.instance_path), postgres_url)
    try:
        lock.acquire()
    except SchedulerBusy as exc:
        if strict:
            raise
        log.warning("not starting the scheduler: %s", exc)
        return None
    try:
        with app_thread_context(app):
            closed = close_interrupted_runs()
            if closed:
                log.warning("%d scheduled runs were left unfinished by a stopped scheduler", closed)
            timezone = practice_timezone()
            scheduler = BackgroundScheduler(timezone=timezone, job_defaults={
                "coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS,
            })
            service = JobScheduler(app, scheduler, lock, timezone)
            service.sync()
        scheduler.add_job(service.refresh, "interval", seconds=REFRESH_SECONDS, id=REFRESH_JOB,
                          name="Notice module changes")
        scheduler.start()
    except BaseException:
        lock.release()
        raise
    app.extensions["medoffice"].listeners.append(service.sync)
    app.extensions[EXTENSION] = service
    log.info("scheduler started with %d jobs (time zone %s)", len(service.job_ids()), timezone)
    return service

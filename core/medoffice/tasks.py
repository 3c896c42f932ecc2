"""Long-running work started from a page: run it in a background thread, record its progress.

The progress pattern of core: a view calls ``start_task`` and shows the task with the
``task_status`` macro of ``core/_task.html``, which polls ``/tasks/<id>`` every 2 seconds
until the task is done. Status lives in the ``core_task`` table, so any web process can
answer the poll. While the work runs a heartbeat is written; a task whose heartbeat stops
(the server was stopped) is shown as interrupted instead of polling forever.

Failure messages are shown to staff: raise ``Failed("...")`` for an expected failure (with no
patient data in the text). Any other exception is recorded by type and code location only,
since its text may quote patient data (a database error echoes the values it refused).
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from contextlib import contextmanager
from typing import Callable

from .db import db, utcnow
from .models import CoreTask

log = logging.getLogger("medoffice.tasks")

HEARTBEAT_SECONDS = 10
STALE_AFTER = dt.timedelta(seconds=6 * HEARTBEAT_SECONDS)
DONE = ("ok", "failed")


@contextmanager
def app_thread_context(app):
    """An app context with this thread's database connection open (and closed after, if opened here).

    For work outside a request: background tasks, scheduled jobs, the scheduler itself.
    """
    with app.app_context():
        opened = db.is_closed()
        if opened:
            db.connect()
        try:
            yield
        finally:
            if opened and not db.is_closed():
                db.close()


class Failed(Exception):
    """Raise from a task or a scheduled job to fail it with a message for staff (no patient data)."""


def failure_text(exc: BaseException) -> tuple[str, str]:
    """(message, technical detail) to record for a failed task or job.

    A ``Failed`` keeps its message; any other exception is described by its type and the code
    locations it passed through, never by its text.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = "\n".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-8:])
    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
    if isinstance(exc, Failed):
        return str(exc), where
    return f"It stopped with an unexpected error ({type(exc).__name__}).", f"{kind}\n{where}"


class Progress:
    """Handed to a task's function: ``progress(percent, message)`` records how far it got."""

    def __init__(self, task_id: int):
        self.task_id = task_id

    def __call__(self, percent: int | None = None, message: str = "") -> None:
        """Record progress (0..100, None when unknown) and a short status line."""
        values = {CoreTask.heartbeat_at: utcnow()}
        if message:
            values[CoreTask.message] = message
        if percent is not None:
            values[CoreTask.percent] = max(0, min(100, int(percent)))
        CoreTask.update(values).where(CoreTask.id == self.task_id).execute()


def start_task(app, title: str, func: Callable[[Progress], str | None], *, permission: str,
               created_by: str = "", result_url: str = "") -> CoreTask:
    """Record a task and run ``func(progress)`` in a background thread with the database open.

    :param permission: what a user needs to watch the task at ``/tasks/<id>``.
    :param result_url: a page to offer once the task is done (e.g. the finished report).
    :return: the queued task row (its id goes into the page that polls it).
    """
    task = CoreTask.create(title=title, permission=permission, created_by=created_by,
                           result_url=result_url, heartbeat_at=utcnow())
    thread = threading.Thread(target=_run, args=(app, task.id, func), name=f"medoffice-task-{task.id}",
                              daemon=True)
    thread.start()
    return task


def _run(app, task_id: int, func) -> None:
    with app_thread_context(app):
        stop = threading.Event()
        beat = threading.Thread(target=_heartbeat, args=(app, task_id, stop), daemon=True,
                                name=f"medoffice-task-{task_id}-heartbeat")
        try:
            CoreTask.update(status="running", started_at=utcnow(), heartbeat_at=utcnow()) \
                .where(CoreTask.id == task_id).execute()
            beat.start()
            try:
                message = func(Progress(task_id))
                values = {"status": "ok", "message": message or "Done.", "percent": 100}
            except Exception as exc:
                text, detail = failure_text(exc)
                log.error("task %s failed: %s", task_id, text)
                values = {"status": "failed", "message": text, "error": detail}
            CoreTask.update(finished_at=utcnow(), **values).where(CoreTask.id == task_id).execute()
        finally:
            stop.set()


def _heartbeat(app, task_id: int, stop: threading.Event) -> None:
    with app.app_context():
        while not stop.wait(HEARTBEAT_SECONDS):
            with db.connection_context():
                CoreTask.update(heartbeat_at=utcnow()).where(
                    (CoreTask.id == task_id) & CoreTask.status.not_in(DONE)).execute()


def current_status(task_id: int) -> CoreTask | None:
    """The task as it stands, marking it failed when its heartbeat stopped (server restarted)."""
    task = CoreTask.get_or_none(CoreTask.id == task_id)
    if task is None or task.status in DONE:
        return task
    beat = task.heartbeat_at or task.created_at
    if utcnow() - beat > STALE_AFTER:
        CoreTask.update(status="failed", finished_at=utcnow(),
                        message="It was interrupted: the server stopped while it ran. Start it again.") \
            .where((CoreTask.id == task_id) & CoreTask.status.not_in(DONE)).execute()
        task = CoreTask.get_by_id(task_id)
    return task

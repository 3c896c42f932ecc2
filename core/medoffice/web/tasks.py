"""``/tasks/<id>``: the status fragment of a background task, polled by the ``task_status`` macro."""
from __future__ import annotations

from flask import abort, render_template

from ..auth.access import require, requires
from ..tasks import current_status
from . import core_blueprint as bp


@bp.route("/tasks/<int:task_id>")
@requires("core.dashboard.view")
def task(task_id: int):
    """A task's progress; the task itself names the permission needed to watch it.

    Once the task is done the response carries ``HX-Trigger: task-done`` so the page can
    reload what the task changed (listen with ``hx-trigger="task-done from:body"``).
    """
    record = current_status(task_id)
    if record is None:
        abort(404)
    require(record.permission)
    response = render_template("core/_task.html", task=record)
    headers = {"HX-Trigger": "task-done"} if record.done else {}
    return response, 200, headers

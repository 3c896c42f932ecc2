"""Onboarding and separation checklists: templates per job title, copied onto a person's
checklist with due dates counted from the start (or the last day), each open task kept as a core
deadline for its assignee (the person, their supervisor's login, or a role), closed when done."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, deadlines, documents
from medoffice.db import transaction, utcnow
from medoffice.models import User

from . import hiring_rules
from .employees import HrError
from .hiring_models import Checklist, ChecklistTask, ChecklistTemplate, ChecklistTemplateTask
from .manual import KIND as MANUAL_KIND
from .models import Employment

TASK_KIND = "hr.checklist_task"


def create_template(name: str, kind: str, job_title: str) -> ChecklistTemplate:
    """A new, empty template of ``kind`` for ``job_title`` ("" for everyone)."""
    if kind not in dict(hiring_rules.CHECKLIST_KINDS):
        raise HrError("Choose onboarding or separation.", "kind")
    with transaction():
        template = ChecklistTemplate.create(name=name, kind=kind, job_title=job_title)
        audit.record("hr.checklist_template.create", "hr_checklist_template", template.id,
                     detail={"kind": kind, "job_title": job_title})
    return template


def add_template_task(template: ChecklistTemplate, title: str, assignee: str, offset: int,
                      business_days: bool) -> ChecklistTemplateTask:
    """Add a task to a template (at the end)."""
    if assignee not in dict(hiring_rules.ASSIGNEES):
        raise HrError("Choose who does the task.", "assignee_role")
    if not -365 <= offset <= 365:
        raise HrError("Count at most a year before or after.", "due_offset")
    with transaction():
        position = (ChecklistTemplateTask.select().where(ChecklistTemplateTask.template == template).count())
        task = ChecklistTemplateTask.create(template=template, title=title, assignee_role=assignee, due_offset=offset,
                                            business_days=business_days, position=position)
        audit.record("hr.checklist_template.task_add", "hr_checklist_template", template.id,
                     detail={"task_id": task.id})
    return task


def templates_for(kind: str, job_title: str) -> list[ChecklistTemplate]:
    """The active templates of ``kind`` that apply to ``job_title``: everyone's and the title's own."""
    return list(ChecklistTemplate.select().where((ChecklistTemplate.kind == kind) & ChecklistTemplate.active
                                                 & ChecklistTemplate.job_title.in_(("", job_title or "")))
                .order_by(ChecklistTemplate.job_title, ChecklistTemplate.id))


def _login_of(staff_id: int | None) -> int | None:
    if staff_id is None:
        return None
    row = User.select(User.id).where((User.staff == staff_id) & (User.active == True)).first()  # noqa: E712
    return row.id if row else None


def _assignee(task: ChecklistTask, employment: Employment) -> dict:
    """The deadline's assignee: the person's or supervisor's login, else HR; or the task's role."""
    if task.assignee_role in dict(hiring_rules.PERSON_ASSIGNEES):
        person = employment.staff_id if task.assignee_role == "employee" else employment.supervisor_id
        login = _login_of(person)
        return {"assignee_user": login} if login else {"assignee_role": "hr"}
    return {"assignee_role": task.assignee_role}


def _key(task: ChecklistTask) -> str:
    return f"checklist-task:{task.id}"


def sync_task(task: ChecklistTask, employment: Employment) -> None:
    """Keep an open task as a core deadline (idempotent); a done task's deadline is closed."""
    key = _key(task)
    if task.done_at is not None:
        found = deadlines.find("hr", key)
        if found is not None and found.state not in ("done", "waived", "superseded"):
            deadlines.complete(found.id, note="Done on the HR checklist", by=task.done_by or None)
        return
    staff = employment.staff
    kind_title = dict(hiring_rules.CHECKLIST_KINDS)[task.checklist.kind]
    deadlines.upsert("hr", key, title=f"{kind_title} of {staff.first_name} {staff.last_name}: {task.title}",
                     due=task.due, kind=TASK_KIND,
                     concerns=("hr_checklist", task.checklist_id, "hr.checklist", {"checklist_id": task.checklist_id}),
                     **_assignee(task, employment))


def start(employment: Employment, kind: str, starts_on: dt.date) -> Checklist:
    """Make the person's checklist of ``kind`` from every template that applies to their job title
    (due dates from ``starts_on``); a new hire's also asks them to sign the current employee manual."""
    with transaction():
        checklist = Checklist.create(employment=employment, kind=kind, starts_on=starts_on)
        rows = []
        for template in templates_for(kind, employment.job_title):
            for t in template.tasks.order_by(ChecklistTemplateTask.position):
                rows.append((t.title, t.assignee_role, hiring_rules.task_due(starts_on, t.due_offset, t.business_days)))
        if kind == "onboarding":
            for manual in documents.published(MANUAL_KIND):
                rows.append((f"Read and acknowledge {manual.title}, version {manual.current_number}", "employee",
                             hiring_rules.task_due(starts_on, 5, True)))
        for position, (title, assignee, due) in enumerate(rows):
            task = ChecklistTask.create(checklist=checklist, title=title[:160], assignee_role=assignee, due=due,
                                        position=position)
            sync_task(task, employment)
        audit.record("hr.checklist.create", "hr_checklist", checklist.id,
                     detail={"staff_id": employment.staff_id, "kind": kind, "tasks": len(rows)})
    return checklist


def set_done(task: ChecklistTask, done: bool, by: str) -> None:
    """Tick a task done (its deadline closes) or open it again (its deadline reopens)."""
    if (task.done_at is not None) == done:
        return
    with transaction():
        task.done_at, task.done_by = (utcnow(), by) if done else (None, "")
        task.save()
        employment = task.checklist.employment
        if not done and deadlines.find("hr", _key(task)) is not None:
            deadlines.supersede("hr", _key(task), reason="Task opened again")
        sync_task(task, employment)
        audit.record("hr.checklist.task_done" if done else "hr.checklist.task_reopen", "hr_checklist_task", task.id,
                     detail={"checklist_id": task.checklist_id})


def progress(checklist_ids) -> dict[int, tuple[int, int]]:
    """Checklist id -> (tasks done, tasks in all), counted in SQL."""
    from peewee import fn

    rows = (ChecklistTask.select(ChecklistTask.checklist, fn.COUNT(ChecklistTask.done_at), fn.COUNT(ChecklistTask.id))
            .where(ChecklistTask.checklist.in_(list(checklist_ids))).group_by(ChecklistTask.checklist).tuples())
    return {cid: (done, total) for cid, done, total in rows}

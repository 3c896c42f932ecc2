"""The daily job: move open deadlines to the stage of the day and send each stage's reminder once.

A reminder goes to the assignee (the user, or every active user holding the role); at the
``escalated`` stage also to everyone holding the escalation role. It is recorded per (deadline, due
date, stage) before anything is queued, in the same transaction, so a stage is never sent twice; a
new due date starts the stages again. Reminders go through the messages gate as staff messages
(``messages.queue_staff``): they need no patient consent, and carry the title, kind and dates only.
A missed day sends only the stage reached, not the ones skipped.
"""
from __future__ import annotations

import json
import re

from flask import current_app

from .. import messages, settings
from ..db import transaction, utcnow
from ..models import Role, User, UserRole
from .api import record
from .kinds import kind_title
from .models import Deadline, DeadlineNotice
from .stages import COMING, ESCALATED, OVERDUE, stage_label, stage_on

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~])")


def _escape(text: str) -> str:
    """Text shown as itself in a markdown body (a title can never add a link or markup)."""
    return _MARKDOWN.sub(r"\\\1", text)


def role_holders(role: str) -> list[User]:
    """Active users holding ``role``, by name."""
    if not role:
        return []
    return list(User.select().join(UserRole).join(Role)
                .where((Role.name == role) & (User.active == True)).order_by(User.username))  # noqa: E712


def recipients(deadline: Deadline, stage: str) -> list[User]:
    """Who is told of ``stage``: the assignee, plus the escalation role once escalated (each once)."""
    if deadline.assignee_user_id:
        people = [u for u in User.select().where(User.id == deadline.assignee_user_id) if u.active]
    else:
        people = role_holders(deadline.assignee_role)
    if stage == ESCALATED:
        people += role_holders(deadline.escalation_role)
    unique = {}
    for user in people:
        unique.setdefault(user.id, user)
    return list(unique.values())


def compose(deadline: Deadline, stage: str, today) -> tuple[str, str]:
    """(subject, markdown body) of the reminder of ``stage``."""
    days = (deadline.due - today).days
    when = "today" if days == 0 else f"in {days} day{'' if days == 1 else 's'}" if days > 0 \
        else f"{-days} day{'' if days == -1 else 's'} ago"
    subject = f"{stage_label(stage)}: {deadline.title} (due {deadline.due.isoformat()})"
    assignee = (User.get_by_id(deadline.assignee_user_id).full_name if deadline.assignee_user_id
                else f"the {deadline.assignee_role.replace('_', ' ')} role")
    lines = [f"**{_escape(deadline.title)}** ({_escape(kind_title(deadline.kind))}) is due on "
             f"{deadline.due.isoformat()}, {when}.", "", f"It is assigned to {_escape(assignee)}."]
    if stage == ESCALATED:
        lines += ["", f"It is still open {-days} days after its due date, so it is escalated to the "
                      f"{_escape(deadline.escalation_role.replace('_', ' '))} role."]
    elif stage == OVERDUE:
        lines += ["", "Its due date has passed: please see to it today."]
    lines += ["", "Open *Deadlines* in medoffice to see it and mark it done."]
    return subject, "\n".join(lines) + "\n"


def _notify(deadline: Deadline, stage: str, today) -> int:
    """Record the stage's notice and queue its messages (in the caller's transaction); returns how many."""
    subject, body = compose(deadline, stage, today)
    sent = []
    for user in recipients(deadline, stage):
        try:
            message = messages.queue_staff(messages.user(user.id), subject, body, by="system")
            outcome = f"queued as message {message.id}"
        except messages.Refused as refused:
            outcome = f"not sent: {refused.reason}"
        sent.append({"user_id": user.id, "username": user.username, "outcome": outcome})
    queued = sum(1 for s in sent if s["outcome"].startswith("queued"))
    DeadlineNotice.create(deadline=deadline, due=deadline.due, stage=stage, sent_at=utcnow(),
                          recipients=json.dumps(sent), queued=queued)
    record(deadline, "notified", "system", stage=stage, recipients=[s["username"] for s in sent],
           queued=queued)
    return queued


def run(today=None) -> dict:
    """Bring every open deadline of an enabled module to today's stage; send what is due.

    :return: counts: ``checked``, ``changed`` (stage), ``notices`` (stages told), ``messages`` (queued).
    """
    today = today or settings.today()
    owners = sorted(current_app.extensions["medoffice"].host.enabled())
    counts = {"checked": 0, "changed": 0, "notices": 0, "messages": 0}
    open_ids = [d.id for d in Deadline.select(Deadline.id)
                .where((Deadline.state == "open") & Deadline.owner.in_(owners)).order_by(Deadline.id)]
    for deadline_id in open_ids:
        with transaction():
            deadline = Deadline.get_or_none((Deadline.id == deadline_id) & (Deadline.state == "open"))
            if deadline is None:  # closed since the list was read
                continue
            counts["checked"] += 1
            stage = stage_on(deadline.due, today, deadline.lead_tuple,
                             escalate_after_days=deadline.escalate_after_days,
                             escalates=bool(deadline.escalation_role))
            if stage != deadline.stage:
                Deadline.update(stage=stage).where(Deadline.id == deadline.id).execute()
                record(deadline, "stage", "system", before=deadline.stage, after=stage, due=deadline.due)
                counts["changed"] += 1
            already = DeadlineNotice.select().where(
                (DeadlineNotice.deadline == deadline) & (DeadlineNotice.due == deadline.due)
                & (DeadlineNotice.stage == stage)).exists()
            if stage != COMING and not already:
                counts["messages"] += _notify(deadline, stage, today)
                counts["notices"] += 1
    return counts


def daily_job() -> str:
    """Core's job ``core.deadlines_daily``: the run's message (counts only)."""
    done = run()
    return (f"{done['checked']} open deadline{'' if done['checked'] == 1 else 's'} checked: "
            f"{done['changed']} changed stage, {done['notices']} reminder{'' if done['notices'] == 1 else 's'} "
            f"recorded, {done['messages']} message{'' if done['messages'] == 1 else 's'} queued.")

"""The deadlines service's tables: the obligations (core_deadline), every change to one
(core_deadline_history) and the reminders sent for each stage (core_deadline_notice)."""
from __future__ import annotations

import json

import peewee as pw

from ..db import BaseModel, UTCDateTimeField, utcnow
from ..models import User
from .stages import stage_on

STATES = {"open": "Open", "done": "Done", "waived": "Waived", "superseded": "Superseded"}


class Deadline(BaseModel):
    """One obligation a plugin tracks, unique per (owner, key) so the plugin can recompute and upsert it.

    ``stage`` is where the daily job last saw it (``medoffice.deadlines.stages``); ``announce_on`` is
    the day of its farthest reminder, kept so Today can find what is coming in SQL.
    """

    owner = pw.CharField(max_length=60)
    key = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=120)
    title = pw.CharField(max_length=300)
    concerns_kind = pw.CharField(max_length=60, default="")
    concerns_id = pw.CharField(max_length=60, default="")
    concerns_endpoint = pw.CharField(max_length=120, default="")
    concerns_args = pw.TextField(default="{}")
    due = pw.DateField()
    announce_on = pw.DateField()
    assignee_user = pw.ForeignKeyField(User, null=True, on_delete="SET NULL")
    assignee_role = pw.CharField(max_length=40, default="")
    lead_days = pw.CharField(max_length=80)  # "90,60,30,7"
    escalation_role = pw.CharField(max_length=40, default="")
    escalate_after_days = pw.IntegerField(default=3)
    evidence = pw.CharField(max_length=12, default="none")
    state = pw.CharField(max_length=12, default="open")
    stage = pw.CharField(max_length=20, default="coming")
    closed_at = UTCDateTimeField(null=True)
    closed_by = pw.CharField(max_length=60, default="")
    close_note = pw.TextField(default="")  # the evidence note, the reason it was waived or superseded
    created_at = UTCDateTimeField(default=utcnow)
    updated_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "core_deadline"
        indexes = (
            (("owner", "key"), True),
            (("state", "due"), False),
        )

    @property
    def lead_tuple(self) -> tuple[int, ...]:
        """The lead times in days, as declared (farthest first)."""
        return tuple(int(d) for d in self.lead_days.split(",") if d)

    def stage_on(self, today) -> str:
        """The stage of this deadline on ``today`` if open, else its state (``done``, ...)."""
        if self.state != "open":
            return self.state
        return stage_on(self.due, today, self.lead_tuple, escalate_after_days=self.escalate_after_days,
                        escalates=bool(self.escalation_role))

    @property
    def concerns_values(self) -> dict:
        """The url_for arguments of the object this deadline concerns."""
        return json.loads(self.concerns_args or "{}")


class DeadlineHistory(BaseModel):
    """One change to a deadline: created, changed (before and after), stage, notified, done, waived,
    superseded, reopened. Only ever added to."""

    deadline = pw.ForeignKeyField(Deadline, backref="history")
    at = UTCDateTimeField(default=utcnow)
    by = pw.CharField(max_length=60)
    action = pw.CharField(max_length=20)
    detail = pw.TextField(default="{}")

    class Meta:
        table_name = "core_deadline_history"
        indexes = ((("deadline", "at"), False),)


class DeadlineNotice(BaseModel):
    """The reminder of one stage of one due date: recorded once, so no stage is sent twice.

    ``recipients`` is JSON: one ``{"user_id", "username", "outcome"}`` per person told (the outbox
    message, or why the messages gate refused it).
    """

    deadline = pw.ForeignKeyField(Deadline, backref="notices")
    due = pw.DateField()
    stage = pw.CharField(max_length=20)
    sent_at = UTCDateTimeField(default=utcnow)
    recipients = pw.TextField(default="[]")
    queued = pw.IntegerField(default=0)

    class Meta:
        table_name = "core_deadline_notice"
        indexes = ((("deadline", "due", "stage"), True),)


DEADLINE_MODELS = [Deadline, DeadlineHistory, DeadlineNotice]

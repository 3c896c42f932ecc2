"""HR's tables for hiring and leaving: openings, candidates and their interviews, checklist
templates and the onboarding and separation checklists made from them, separations with the
exit interview, and the company property an employee holds."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow
from medoffice.models import Location, StaffMember

from .models import Department, Employment


class Opening(BaseModel):
    """A position the practice is hiring for."""

    title = pw.CharField(max_length=120)
    job_title = pw.CharField(max_length=80)
    department = pw.ForeignKeyField(Department, null=True, on_delete="SET NULL")
    location = pw.ForeignKeyField(Location, null=True, on_delete="SET NULL")
    description = pw.TextField(default="")
    status = pw.CharField(max_length=10, default="open")
    opened_on = pw.DateField()
    closed_on = pw.DateField(null=True)
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_opening"


class Candidate(BaseModel):
    """Someone who applied to an opening, where they stand in the pipeline, and the offer made."""

    opening = pw.ForeignKeyField(Opening, backref="candidates", on_delete="CASCADE")
    first_name = pw.CharField(max_length=60)
    last_name = pw.CharField(max_length=60)
    email = pw.CharField(max_length=120, default="")
    phone = pw.CharField(max_length=30, default="")
    stage = pw.CharField(max_length=12, default="applied", index=True)
    note = pw.TextField(default="")
    resume_attachment_id = pw.IntegerField(null=True)
    offer_start_date = pw.DateField(null=True)
    offer_basis = pw.CharField(max_length=10, default="")
    offer_amount_cents = pw.BigIntegerField(null=True)
    hired_staff = pw.ForeignKeyField(StaffMember, null=True, on_delete="SET NULL")
    closed_on = pw.DateField(null=True, index=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_candidate"


class Interview(BaseModel):
    """One interview of a candidate and its scorecard (1 to 5 and a recommendation)."""

    candidate = pw.ForeignKeyField(Candidate, backref="interviews", on_delete="CASCADE")
    held_on = pw.DateField()
    interviewer = pw.ForeignKeyField(StaffMember, null=True, on_delete="SET NULL")
    score = pw.SmallIntegerField()
    recommendation = pw.CharField(max_length=12)
    notes = pw.TextField(default="")
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_interview"


class ChecklistTemplate(BaseModel):
    """The tasks of an onboarding or separation for one job title ("" for every job title)."""

    kind = pw.CharField(max_length=12)
    job_title = pw.CharField(max_length=80, default="")
    name = pw.CharField(max_length=120)
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "hr_checklist_template"


class ChecklistTemplateTask(BaseModel):
    """A task of a template: who does it and when, counted from the start or the last day."""

    template = pw.ForeignKeyField(ChecklistTemplate, backref="tasks", on_delete="CASCADE")
    title = pw.CharField(max_length=160)
    assignee_role = pw.CharField(max_length=40)
    due_offset = pw.IntegerField(default=0)
    business_days = pw.BooleanField(default=False)
    position = pw.IntegerField(default=0)

    class Meta:
        table_name = "hr_checklist_template_task"


class Checklist(BaseModel):
    """One person's onboarding or separation checklist, counted from ``starts_on``."""

    employment = pw.ForeignKeyField(Employment, backref="checklists", on_delete="CASCADE")
    kind = pw.CharField(max_length=12)
    starts_on = pw.DateField()
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_checklist"


class ChecklistTask(BaseModel):
    """A task of a checklist, kept as a core deadline until done."""

    checklist = pw.ForeignKeyField(Checklist, backref="tasks", on_delete="CASCADE")
    title = pw.CharField(max_length=160)
    assignee_role = pw.CharField(max_length=40)
    due = pw.DateField()
    position = pw.IntegerField(default=0)
    done_at = UTCDateTimeField(null=True)
    done_by = pw.CharField(max_length=150, default="")

    class Meta:
        table_name = "hr_checklist_task"


class Separation(BaseModel):
    """An employee's leaving: the last day, why, when the login was disabled, the exit interview."""

    employment = pw.ForeignKeyField(Employment, unique=True, on_delete="CASCADE")
    last_day = pw.DateField(index=True)
    reason = pw.CharField(max_length=20)
    notes = pw.TextField(default="")
    completed_at = UTCDateTimeField(null=True)
    exit_held_on = pw.DateField(null=True)
    exit_reason = pw.TextField(default="")
    exit_would_rehire = pw.BooleanField(null=True)
    exit_comments = pw.TextField(default="")
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_separation"


class PropertyItem(BaseModel):
    """Company property issued to an employee (keys, badge, laptop), returned or still held."""

    employment = pw.ForeignKeyField(Employment, backref="property_items", on_delete="CASCADE")
    item = pw.CharField(max_length=120)
    identifier = pw.CharField(max_length=60, default="")
    issued_on = pw.DateField()
    returned_on = pw.DateField(null=True)

    class Meta:
        table_name = "hr_property_item"


HIRING_MODELS = (Opening, Candidate, Interview, ChecklistTemplate, ChecklistTemplateTask, Checklist, ChecklistTask,
                 Separation, PropertyItem)
# The hiring board and a candidate's page: openings, candidates and their interviews.
HIRING = DataVersion("hr.hiring", [Opening, Candidate, Interview])
# Checklist templates and the checklists made from them (an employee file shows each checklist's progress).
CHECKLISTS = DataVersion("hr.checklists", [ChecklistTemplate, ChecklistTemplateTask, Checklist, ChecklistTask])
# A person's leaving: the separation with its exit interview, and the company property issued and returned.
LEAVING = DataVersion("hr.leaving", [Separation, PropertyItem])

"""HR's tables for training, certifications and reviews: courses required by job title with a
repeat interval, completions with certificates, certifications and licences with expiry,
performance review cycles and reviews, and coaching notes and written warnings."""
from __future__ import annotations

import peewee as pw
from medoffice.data_versions import DataVersion
from medoffice.db import BaseModel, UTCDateTimeField, utcnow

from .models import Employment


class Course(BaseModel):
    """A required course (HIPAA, OSHA bloodborne pathogens, BLS): for which job title ("" for
    everyone), due how many days after hire, repeated every so many months (None: once)."""

    name = pw.CharField(max_length=120, unique=True)
    description = pw.TextField(default="")
    job_title = pw.CharField(max_length=80, default="")
    due_days_after_hire = pw.IntegerField(default=30)
    repeat_months = pw.IntegerField(null=True)
    active = pw.BooleanField(default=True)

    class Meta:
        table_name = "hr_course"


class CourseCompletion(BaseModel):
    """An employee completed a course on a date, with the certificate in core's files."""

    employment = pw.ForeignKeyField(Employment, backref="completions", on_delete="CASCADE")
    course = pw.ForeignKeyField(Course, backref="completions", on_delete="CASCADE")
    completed_on = pw.DateField()
    certificate_attachment_id = pw.IntegerField(null=True)
    recorded_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_course_completion"
        indexes = ((("employment", "course", "completed_on"), False),)


class Certification(BaseModel):
    """A certification or licence an employee holds, with its expiry (kept as core deadlines for the
    employee and for HR)."""

    employment = pw.ForeignKeyField(Employment, backref="certifications", on_delete="CASCADE")
    name = pw.CharField(max_length=120)
    number = pw.CharField(max_length=60, default="")
    issuer = pw.CharField(max_length=120, default="")
    issued_on = pw.DateField(null=True)
    expires_on = pw.DateField(null=True)
    removed_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_certification"


class ReviewCycle(BaseModel):
    """A round of performance reviews (the year 2026) with the date they are due."""

    name = pw.CharField(max_length=120)
    period_start = pw.DateField()
    period_end = pw.DateField()
    due_on = pw.DateField()
    created_by = pw.CharField(max_length=150, default="")
    created_at = UTCDateTimeField(default=utcnow)

    class Meta:
        table_name = "hr_review_cycle"


class Review(BaseModel):
    """One employee's review in a cycle: their self-review, the supervisor's review and rating, and
    their acknowledgment. Private to HR, the supervisor and (once shared) the employee."""

    cycle = pw.ForeignKeyField(ReviewCycle, backref="reviews", on_delete="CASCADE")
    employment = pw.ForeignKeyField(Employment, backref="reviews", on_delete="CASCADE")
    self_text = pw.TextField(default="")
    self_submitted_at = UTCDateTimeField(null=True)
    supervisor_text = pw.TextField(default="")
    rating = pw.SmallIntegerField(null=True)
    supervisor_submitted_at = UTCDateTimeField(null=True)
    supervisor_by = pw.CharField(max_length=150, default="")
    acknowledged_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "hr_review"
        indexes = ((("cycle", "employment"), True),)


class EmployeeNote(BaseModel):
    """A coaching note (private to HR and the supervisor) or a written warning (shown to the
    employee, who acknowledges it)."""

    employment = pw.ForeignKeyField(Employment, backref="notes", on_delete="CASCADE")
    kind = pw.CharField(max_length=10)
    text = pw.TextField()
    author = pw.CharField(max_length=150)
    created_at = UTCDateTimeField(default=utcnow)
    acknowledged_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "hr_employee_note"


TRAINING_MODELS = (Course, CourseCompletion, Certification, ReviewCycle, Review, EmployeeNote)

# What who is due for which course is worked out from: kept per process until one of these changes
# (medoffice.data_versions), with core's staff list for the names.
TRAINING_FIGURES = DataVersion("hr.training", [Employment, Course, CourseCompletion, Certification])
# The review cycles and reviews the reviews list shows: kept per process until one changes.
REVIEWS = DataVersion("hr.reviews", [ReviewCycle, Review])
# Coaching notes and written warnings, as a person's notes page shows them.
NOTES = DataVersion("hr.notes", [EmployeeNote])

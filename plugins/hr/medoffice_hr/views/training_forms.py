"""Forms of training, certifications, reviews and notes."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from medoffice.limits import DateInRange
from medoffice.web.forms import choices
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..reviews import NOTE_KINDS


class CourseForm(FlaskForm):
    """A required course."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])
    job_title = StringField("For job title (empty: everyone)", validators=[Optional(), Length(max=80)])
    due_days_after_hire = IntegerField("Due, days after hire", default=30,
                                       validators=[DataRequired("Give the days."), NumberRange(0, 3650)])
    repeat_months = IntegerField("Repeat every (months; empty: once)", validators=[Optional(), NumberRange(1, 120)])
    active = BooleanField("Active", default=True)


class CompletionForm(FlaskForm):
    """A completed course."""

    course = SelectField("Course", choices=[])
    completed_on = DateField("Completed on", validators=[DataRequired("Give the date."), DateInRange()])
    certificate = FileField("Certificate")


class CertificationForm(FlaskForm):
    """A certification or licence."""

    name = StringField("Certification or licence", validators=[DataRequired("Name it."), Length(max=120)])
    number = StringField("Number", validators=[Optional(), Length(max=60)])
    issuer = StringField("Issued by", validators=[Optional(), Length(max=120)])
    issued_on = DateField("Issued on", validators=[Optional(), DateInRange()])
    expires_on = DateField("Expires on", validators=[Optional(), DateInRange()])


class CycleForm(FlaskForm):
    """A review cycle."""

    name = StringField("Name", validators=[DataRequired("Name the cycle."), Length(max=120)])
    period_start = DateField("Period from", validators=[DataRequired("Give the start."), DateInRange()])
    period_end = DateField("Period to", validators=[DataRequired("Give the end."), DateInRange()])
    due_on = DateField("Reviews due", validators=[DataRequired("Give the due date."), DateInRange()])


class SelfReviewForm(FlaskForm):
    """The employee's self-review."""

    self_text = TextAreaField("Self-review", validators=[Optional(), Length(max=20000)])
    submit_review = BooleanField("Submit (no more changes)")


class SupervisorReviewForm(FlaskForm):
    """The supervisor's review."""

    supervisor_text = TextAreaField("Review", validators=[Optional(), Length(max=20000)])
    rating = IntegerField("Rating (1 to 5)", validators=[Optional(), NumberRange(1, 5)])
    submit_review = BooleanField("Submit and share with the employee")


class NoteForm(FlaskForm):
    """A coaching note or written warning."""

    kind = SelectField("Kind", choices=choices(NOTE_KINDS))
    text = TextAreaField("Text", validators=[DataRequired("Write the note."), Length(max=20000)])


class AcknowledgeForm(FlaskForm):
    """Acknowledge (a review or a warning)."""

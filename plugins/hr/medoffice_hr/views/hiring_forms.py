"""Forms of hiring and leaving. Select fields hold ids as text; the views turn them into ids."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from medoffice.limits import DateInRange
from medoffice.web.forms import choices
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from .. import hiring_rules, rules


class OpeningForm(FlaskForm):
    """An opening."""

    title = StringField("Title of the posting", validators=[DataRequired("Give the opening a title."), Length(max=120)])
    job_title = StringField("Job title", validators=[DataRequired("Give the job title."), Length(max=80)])
    department = SelectField("Department", choices=[])
    location = SelectField("Location", choices=[])
    status = SelectField("Status", choices=choices(hiring_rules.OPENING_STATUSES))
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])


class CandidateForm(FlaskForm):
    """A new candidate with their résumé."""

    first_name = StringField("First name", validators=[DataRequired("Give the first name."), Length(max=60)])
    last_name = StringField("Last name", validators=[DataRequired("Give the last name."), Length(max=60)])
    email = StringField("E-mail", validators=[Optional(), Email(), Length(max=120)])
    phone = StringField("Phone", validators=[Optional(), Length(max=20)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])
    resume = FileField("Résumé")


class MoveForm(FlaskForm):
    """Move a candidate to another stage."""

    stage = SelectField("Stage", choices=choices([s for s in hiring_rules.STAGES if s[0] != "hired"]))


class InterviewForm(FlaskForm):
    """An interview's scorecard."""

    held_on = DateField("Held on", validators=[DataRequired("Give the date."), DateInRange()])
    interviewer = SelectField("Interviewer", choices=[])
    score = IntegerField("Score (1 to 5)", validators=[DataRequired("Give a score."), NumberRange(1, 5)])
    recommendation = SelectField("Recommendation", choices=choices(hiring_rules.RECOMMENDATIONS))
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=5000)])


class OfferForm(FlaskForm):
    """The offer made: start date and pay."""

    start_date = DateField("Start date", validators=[DataRequired("Give the start date."), DateInRange()])
    basis = SelectField("Basis", choices=choices(rules.BASES))
    amount = StringField("Pay (an hour, or a year for salary)", validators=[DataRequired("Give the pay.")])


class HireForm(FlaskForm):
    """What hiring needs beyond the application and the offer."""

    hire_date = DateField("First day", validators=[DataRequired("Give the first day."), DateInRange()])
    employment_type = SelectField("Type", choices=choices(rules.TYPES))
    flsa_exempt = BooleanField("Exempt from overtime (FLSA)")
    supervisor = SelectField("Supervisor", choices=[])


class TemplateForm(FlaskForm):
    """A checklist template."""

    name = StringField("Name", validators=[DataRequired("Give the template a name."), Length(max=120)])
    kind = SelectField("Kind", choices=choices(hiring_rules.CHECKLIST_KINDS))
    job_title = StringField("For job title (empty: everyone)", validators=[Optional(), Length(max=80)])


class TemplateTaskForm(FlaskForm):
    """A task of a template."""

    title = StringField("Task", validators=[DataRequired("Say what is to be done."), Length(max=160)])
    assignee_role = SelectField("Done by", choices=choices(hiring_rules.ASSIGNEES))
    due_offset = IntegerField("Due, days from the first (or last) day", default=0,
                              validators=[Optional(), NumberRange(-365, 365)])
    business_days = BooleanField("Count business days (Monday to Friday)")


class TaskDoneForm(FlaskForm):
    """Tick a checklist task done or open it again."""

    done = BooleanField("Done")


class SeparationForm(FlaskForm):
    """A person leaving."""

    last_day = DateField("Last day", validators=[DataRequired("Give the last day."), DateInRange()])
    reason = SelectField("Reason", choices=choices(hiring_rules.SEPARATION_REASONS))
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])


class ExitInterviewForm(FlaskForm):
    """The exit interview."""

    held_on = DateField("Held on", validators=[DataRequired("Give the date."), DateInRange()])
    reason = TextAreaField("Why they are leaving", validators=[Optional(), Length(max=2000)])
    would_rehire = SelectField("Would we hire them again?", choices=choices([("", "Not said"), ("yes", "Yes"),
                                                                            ("no", "No")]))
    comments = TextAreaField("Comments", validators=[Optional(), Length(max=5000)])


class PropertyForm(FlaskForm):
    """Company property handed out."""

    item = StringField("Item", validators=[DataRequired("Name the item."), Length(max=120)])
    identifier = StringField("Serial or tag", validators=[Optional(), Length(max=60)])
    issued_on = DateField("Issued on", validators=[DataRequired("Give the date."), DateInRange()])


class ReturnForm(FlaskForm):
    """An item given back."""

    returned_on = DateField("Returned on", validators=[DataRequired("Give the date."), DateInRange()])

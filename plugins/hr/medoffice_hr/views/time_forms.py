"""Forms of the time clock, timesheets and leave."""
from __future__ import annotations

from flask_wtf import FlaskForm
from medoffice.limits import DateInRange
from medoffice.web.forms import choices
from wtforms import BooleanField, DateField, DateTimeLocalField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import time_rules
from ..timeclock import ACTIONS


class PunchForm(FlaskForm):
    """Clock in, out or a break (the button pressed says which)."""

    action = SelectField("Action", choices=choices(ACTIONS))


class KioskForm(FlaskForm):
    """The front-desk kiosk: who, their PIN, and what they do."""

    staff = SelectField("Your name", choices=[])
    pin = PasswordField("PIN", validators=[DataRequired("Type your PIN."), Length(max=8)])
    action = SelectField("Action", choices=choices(ACTIONS))


class PinForm(FlaskForm):
    """One's own kiosk PIN."""

    pin = PasswordField("New kiosk PIN (4 to 8 digits)", validators=[DataRequired("Type a PIN."), Length(max=8)])


class CorrectForm(FlaskForm):
    """A supervisor's correction of an entry."""

    started_at = DateTimeLocalField("Start", format="%Y-%m-%dT%H:%M", validators=[DataRequired("Give the start.")])
    ended_at = DateTimeLocalField("End", format="%Y-%m-%dT%H:%M", validators=[DataRequired("Give the end.")])
    reason = StringField("Reason", validators=[DataRequired("Say why."), Length(max=200)])


class AddTimeForm(CorrectForm):
    """Time entered by hand."""

    kind = SelectField("Kind", choices=choices([("work", "Work"), ("break", "Unpaid break")]))


class ReasonForm(FlaskForm):
    """A reason (reopening a timesheet)."""

    reason = StringField("Reason", validators=[DataRequired("Say why."), Length(max=200)])


class ApproveForm(FlaskForm):
    """Approve a timesheet."""


class LeaveRequestForm(FlaskForm):
    """A request for leave."""

    policy = SelectField("Kind of leave", choices=[])
    starts_on = DateField("First day", validators=[DataRequired("Give the first day."), DateInRange()])
    ends_on = DateField("Last day", validators=[DataRequired("Give the last day."), DateInRange()])
    hours = StringField("Hours", validators=[DataRequired("Give the hours.")])
    note = StringField("Note", validators=[Optional(), Length(max=200)])


class DecideForm(FlaskForm):
    """Approve or deny a leave request."""

    decision = SelectField("Decision", choices=choices([("approve", "Approve"), ("deny", "Deny")]))
    note = StringField("Note", validators=[Optional(), Length(max=200)])


class PolicyForm(FlaskForm):
    """A leave policy."""

    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    accrual_method = SelectField("Earned", choices=choices(time_rules.ACCRUAL_METHODS))
    earn_minutes = IntegerField("Minutes earned (per unit, per period, or per year)",
                                validators=[DataRequired("Give the minutes earned."), NumberRange(1, 366 * 24 * 60)])
    per_worked_minutes = IntegerField("Per minutes worked (per hour worked only; 1800 = every 30 hours)", default=0,
                                      validators=[Optional(), NumberRange(0, 100_000)])
    cap_minutes = IntegerField("Balance cap in minutes (0: none)", default=0,
                               validators=[Optional(), NumberRange(0, 366 * 24 * 60)])
    carryover_minutes = IntegerField("Most minutes carried into a new year (empty: all)",
                                     validators=[Optional(), NumberRange(0, 366 * 24 * 60)])
    waiting_days = IntegerField("Waiting period (days after hire)", default=0,
                                validators=[Optional(), NumberRange(0, 3650)])
    applies_to = SelectField("Covers", choices=choices(time_rules.APPLIES_TO))
    paid = BooleanField("Paid leave (uses a balance)", default=True)
    active = BooleanField("Active", default=True)

    def validate_per_worked_minutes(self, field):
        """Per-hour accrual needs the hours it is earned per."""
        from wtforms.validators import ValidationError

        if self.accrual_method.data == "per_hour_worked" and not field.data:
            raise ValidationError("Say per how many minutes worked the leave is earned.")

"""Forms of payroll and benefits."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_wtf import FlaskForm
from medoffice.limits import DateInRange
from medoffice.web.forms import choices
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from .. import paycheck
from ..benefits import KINDS
from ..payroll import DEDUCTION_KINDS


def percent_bp(text: str) -> int:
    """A percent typed as "5" or "4.25" in basis points (hundredths of a percent); ValueError otherwise."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError("Give the percent as a number such as 5 or 4.25.") from None
    if not value.is_finite() or value < 0 or value > 100 or value != value.quantize(Decimal("0.01")):
        raise ValueError("A percent is 0 to 100 with at most two decimals.")
    return int(value * 100)


class RunForm(FlaskForm):
    """A new pay run."""

    period_day = DateField("A day in the pay period", validators=[DataRequired("Give a day of the period."),
                                                                  DateInRange()])
    pay_date = DateField("Pay date", validators=[DataRequired("Give the pay date."), DateInRange()])


class RunActionForm(FlaskForm):
    """Post, delete or correct a run (a button and its CSRF token)."""


class BonusForm(FlaskForm):
    """A bonus on a draft run."""

    employment = SelectField("Employee", choices=[])
    amount = StringField("Amount", validators=[DataRequired("Give the amount.")])
    note = StringField("Note", validators=[Optional(), Length(max=120)])


class W4Form(FlaskForm):
    """Form W-4 (2020 or later)."""

    filing_status = SelectField("Step 1(c): filing status", choices=choices(paycheck.FILING_STATUSES))
    step2 = BooleanField("Step 2(c): multiple jobs box checked")
    step3 = StringField("Step 3: dependents credit (a year)", default="0")
    step4a = StringField("Step 4(a): other income (a year)", default="0")
    step4b = StringField("Step 4(b): deductions (a year)", default="0")
    step4c = StringField("Step 4(c): extra withholding (each pay period)", default="0")
    state_allowances = IntegerField("State allowances", default=0, validators=[Optional(), NumberRange(0, 99)])


class DeductionForm(FlaskForm):
    """A standing deduction."""

    kind = SelectField("Kind", choices=choices(DEDUCTION_KINDS))
    description = StringField("Description", validators=[Optional(), Length(max=120)])
    amount = StringField("Amount each paycheck (or leave empty)", validators=[Optional()])
    percent = StringField("Or, for a 401(k), percent of gross", validators=[Optional()])
    starts_on = DateField("From", validators=[DataRequired("Give the start."), DateInRange()])
    ends_on = DateField("Until", validators=[Optional(), DateInRange()])


class PlanForm(FlaskForm):
    """A benefit plan."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Kind", choices=choices(KINDS))
    pretax = BooleanField("Pre-tax (section 125)", default=True)
    active = BooleanField("Offered", default=True)


class TierForm(FlaskForm):
    """A tier of a plan."""

    name = StringField("Tier", validators=[DataRequired("Name the tier."), Length(max=60)])
    employee_monthly = StringField("Employee pays a month", validators=[DataRequired("Give the amount.")])
    employer_monthly = StringField("Practice pays a month", default="0")


class WindowForm(FlaskForm):
    """An open enrollment window."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    opens_on = DateField("Opens", validators=[DataRequired(), DateInRange()])
    closes_on = DateField("Closes", validators=[DataRequired(), DateInRange()])
    effective_on = DateField("Coverage from", validators=[DataRequired(), DateInRange()])


class EnrollForm(FlaskForm):
    """An enrollment or a change of one."""

    plan = SelectField("Plan", choices=[])
    tier = SelectField("Tier (none: waive)", choices=[])
    percent = StringField("Retirement: percent of gross", validators=[Optional()])
    starts_on = DateField("From", validators=[Optional(), DateInRange()])

"""Marketing's forms (Flask-WTF); field names match the services' value names."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from medoffice.limits import DateInRange, WholeNumberInRange
from medoffice.web.forms import choices
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from ..authorizations import USES
from ..experience import CATEGORIES, COMPLAINT_CHANNELS, CONTACT_CHANNELS, QUESTIONS, RECOVERY_OUTCOMES
from ..materials import KINDS as MATERIAL_KINDS
from ..models import CHANNELS
from ..recall import KINDS as RULE_KINDS
from ..recall import OUTCOMES, SEND_CHANNELS
from ..reviews import SITES
from .fields import MoneyField

ACCOUNT_HELP = "The patient's account number (leave blank when the patient is not known)."


class CampaignForm(FlaskForm):
    """A campaign's name, channel, code, dates, target and budget."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    channel = SelectField("Channel", choices=choices(CHANNELS.items()), default="web_search")
    code = StringField("Code", validators=[DataRequired(), Length(max=30)],
                       description="What new patients say or type (FLU2027): ties them to this campaign.")
    starts_on = DateField("Starts", validators=[DataRequired("Give the start date."), DateInRange()])
    ends_on = DateField("Ends", validators=[Optional(), DateInRange()])
    target = StringField("Target audience", validators=[Optional(), Length(max=200)])
    budget_cents = MoneyField("Budget", validators=[Optional()])


class SpendForm(FlaskForm):
    """Money spent on a campaign, with its invoice."""

    spent_on = DateField("Date", validators=[DataRequired("Give the date."), DateInRange()])
    amount = MoneyField("Amount", validators=[InputRequired("Enter the amount, such as 250.00.")])
    vendor = StringField("Paid to", validators=[DataRequired(), Length(max=120)])
    description = StringField("What for", validators=[Optional(), Length(max=200)])
    invoice = FileField("Invoice (PDF or scan)", validators=[Optional()])


class ReferrerForm(FlaskForm):
    """A referring provider outside the practice."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    practice = StringField("Practice", validators=[Optional(), Length(max=120)])
    npi = StringField("NPI", validators=[Optional(), Length(max=10)])
    email = StringField("E-mail", validators=[Optional(), Email(), Length(max=200)])
    phone = StringField("Phone", validators=[Optional(), Length(max=30)])


class SourceForm(FlaskForm):
    """Where a new patient came from."""

    channel = SelectField("Heard of us through", choices=choices(CHANNELS.items()), default="web_search")
    campaign_code = StringField("Campaign code", validators=[Optional(), Length(max=30)])
    referring_provider = SelectField("Referring provider", choices=[], validate_choice=False, default="")
    referring_account = StringField("Referring patient's account number", validators=[Optional(), Length(max=30)])
    new_on = DateField("New patient since", validators=[DataRequired("Give the date."), DateInRange()])
    detail = StringField("Detail", validators=[Optional(), Length(max=200)],
                         description="Which event, sign or site; no clinical information.")


class VisitForm(FlaskForm):
    """A visit entered by hand (when billing does not post visits)."""

    visit_on = DateField("Visit date", validators=[DataRequired("Give the date."), DateInRange()])
    visit_type = StringField("Visit type", validators=[Optional(), Length(max=60)],
                             description="As your recall rules name it, such as Annual physical.")


class RuleForm(FlaskForm):
    """A recall or reactivation rule."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Kind", choices=choices(RULE_KINDS.items()), default="recall")
    visit_type = StringField("Visit type followed", validators=[Optional(), Length(max=60)],
                             description="Recall only: blank follows every visit.")
    interval_months = IntegerField("Months", validators=[InputRequired("Give the interval in months."),
                                                         WholeNumberInRange(1, 120)])
    message_label = StringField("In the message, what is due", validators=[Optional(), Length(max=120)],
                                description="Plain, non-clinical words: yearly check-up.")
    active = BooleanField("Active", default=True)


class SendForm(FlaskForm):
    """How to send a list's message."""

    channel = SelectField("Send by", choices=choices(SEND_CHANNELS.items()), default="preferred")


class OutcomeForm(FlaskForm):
    """What came of one patient on a list."""

    outcome = SelectField("Outcome", choices=choices([("", "Not yet"), *OUTCOMES.items()]), default="")


def _score_choices(low: int, high: int, blank: bool):
    pairs = [(str(n), str(n)) for n in range(low, high + 1)]
    return choices([("", "No answer"), *pairs] if blank else pairs)


class SurveyForm(FlaskForm):
    """A survey entered by staff from paper or the phone."""

    account_number = StringField("Account number", validators=[Optional(), Length(max=30)], description=ACCOUNT_HELP)
    source = SelectField("Came in by", choices=choices([("paper", "Paper form"), ("phone", "Phone")]), default="paper")
    visit_on = DateField("Visit date", validators=[Optional(), DateInRange()])
    answered_on = DateField("Answered on", validators=[DataRequired("Give the date."), DateInRange()])
    nps = SelectField("How likely to recommend us (0-10)", choices=_score_choices(0, 10, False), default="10")
    wait_time = SelectField(QUESTIONS["wait_time"], choices=_score_choices(1, 5, True), default="")
    staff = SelectField(QUESTIONS["staff"], choices=_score_choices(1, 5, True), default="")
    provider = SelectField(QUESTIONS["provider"], choices=_score_choices(1, 5, True), default="")
    facility = SelectField(QUESTIONS["facility"], choices=_score_choices(1, 5, True), default="")
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=4000)])


class ImportForm(FlaskForm):
    """A survey tool's CSV export."""

    file = FileField("CSV file", validators=[FileRequired("Choose the CSV file.")])


class AttemptForm(FlaskForm):
    """A try at reaching the patient."""

    channel = SelectField("How", choices=choices(CONTACT_CHANNELS.items()), default="phone")
    reached = BooleanField("Reached the patient")
    note = TextAreaField("Note", validators=[Optional(), Length(max=2000)])


class CloseForm(FlaskForm):
    """How a service-recovery item ended."""

    outcome = SelectField("Outcome", choices=choices(RECOVERY_OUTCOMES.items()), default="resolved")
    outcome_note = TextAreaField("What was done", validators=[DataRequired("Say what was done."), Length(max=4000)])


class AssignForm(FlaskForm):
    """Who owns a recovery item."""

    owner = SelectField("Owner", choices=[], validate_choice=False, default="")


class ComplaintForm(FlaskForm):
    """A complaint or grievance."""

    account_number = StringField("Account number", validators=[Optional(), Length(max=30)], description=ACCOUNT_HELP)
    received_on = DateField("Received", validators=[DataRequired("Give the date."), DateInRange()])
    channel = SelectField("Came in by", choices=choices(COMPLAINT_CHANNELS.items()), default="phone")
    category = SelectField("Category", choices=choices(CATEGORIES.items()), default="wait_time")
    provider = SelectField("Provider (clinical complaints)", choices=[], validate_choice=False, default="")
    summary = TextAreaField("What happened", validators=[DataRequired(), Length(max=8000)])


class ResolveForm(FlaskForm):
    """A complaint's root cause and resolution letter."""

    root_cause = TextAreaField("Root cause", validators=[DataRequired(), Length(max=4000)])
    resolution_letter = TextAreaField("Resolution letter", validators=[DataRequired(), Length(max=12000)])


class ReviewForm(FlaskForm):
    """A review seen online."""

    site = SelectField("Site", choices=choices((s, s) for s in SITES), default="Google")
    rating = SelectField("Stars", choices=choices((str(n), str(n)) for n in range(1, 6)), default="5")
    reviewed_on = DateField("Posted on", validators=[DataRequired("Give the date."), DateInRange()])
    reviewer = StringField("Reviewer's name as shown", validators=[Optional(), Length(max=120)])
    text = TextAreaField("Review", validators=[Optional(), Length(max=8000)])


class ReplyForm(FlaskForm):
    """The practice's reply draft."""

    reply = TextAreaField("Reply draft", validators=[Optional(), Length(max=4000)],
                          description="Never confirm the reviewer is a patient, nor mention care, dates or conditions.")


class MaterialForm(FlaskForm):
    """A new piece for the library."""

    title = StringField("Title", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=choices(MATERIAL_KINDS.items()), default="handout")
    clinical = BooleanField("Clinical content (a clinician approves it)")
    review_on = DateField("Review by", validators=[Optional(), DateInRange()])
    body = TextAreaField("Text (markdown)", validators=[Optional(), Length(max=100_000)])


class ReviewDateForm(FlaskForm):
    """A piece's next review date."""

    review_on = DateField("Review by", validators=[Optional(), DateInRange()])


class AuthorizationForm(FlaskForm):
    """A signed HIPAA authorization."""

    use = SelectField("Allows", choices=choices(USES.items()), default="testimonial")
    scope = TextAreaField("Scope", validators=[DataRequired(), Length(max=2000)],
                          description="What may be used, where (website, brochure) and by whom.")
    signed_on = DateField("Signed on", validators=[DataRequired("Give the date."), DateInRange()])
    expires_on = DateField("Expires on", validators=[DataRequired("A 164.508 authorization has an expiry date."),
                                                     DateInRange()])
    signed_form = FileField("Signed form (PDF or scan)", validators=[FileRequired("Attach the signed form.")])


class RevokeForm(FlaskForm):
    """A revocation."""

    revoked_on = DateField("Revoked on", validators=[DataRequired("Give the date."), DateInRange()])
    note = StringField("Note", validators=[Optional(), Length(max=200)])


class TestimonialForm(FlaskForm):
    """A testimonial or photo."""

    use = SelectField("Kind", choices=choices(USES.items()), default="testimonial")
    text = TextAreaField("Testimonial text or photo description", validators=[DataRequired(), Length(max=4000)])


class KioskForm(FlaskForm):
    """Enroll this browser as a kiosk."""

    name = StringField("Where it stands", validators=[DataRequired(), Length(max=80)])


class HandoffForm(FlaskForm):
    """Hand the next kiosk survey to a patient."""

    device = SelectField("Kiosk", choices=[], validate_choice=False)
    visit_on = DateField("Visit date", validators=[DataRequired("Give the date."), DateInRange()])

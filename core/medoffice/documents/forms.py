"""The documents pages' forms (Flask-WTF); choices are filled by the views from the database."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, MultipleFileField, PasswordField, SelectField, \
    StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ..limits import DateInRange, MAX_ID
from ..markdown_service import MAX_LENGTH
from ..web.admin_users import CheckboxesField
from ..web.field_html import TextArea
from .api import MAX_SUMMARY, MAX_TITLE


class AudienceFields(FlaskForm):
    """The owner and who the document is addressed to (any mix; everyone chosen must read it)."""

    owner = SelectField("Owner", coerce=int, validate_choice=True,
                        description="The person responsible for keeping this document up to date.")
    roles = CheckboxesField("Roles", coerce=int, validate_choice=True,
                            description="Everyone holding one of these roles.")
    locations = CheckboxesField("Locations", coerce=int, validate_choice=True,
                                description="Staff working at these locations (those with a login).")
    staff = CheckboxesField("Named staff", coerce=int, validate_choice=True,
                            description="These staff members, through their login.")
    users = CheckboxesField("Named users", coerce=int, validate_choice=True)


class NewDocumentForm(AudienceFields):
    """A new document: its kind and title first, then owner and audience."""

    kind = SelectField("Kind", validate_choice=True)
    title = StringField("Title", validators=[DataRequired("Give the document a title."), Length(max=MAX_TITLE)])


class DraftForm(FlaskForm):
    """The draft's title and markdown text."""

    title = StringField("Title", validators=[DataRequired("Give the document a title."), Length(max=MAX_TITLE)])
    body = TextAreaField("Text", validators=[Length(max=MAX_LENGTH)], widget=TextArea())


class PublishForm(FlaskForm):
    """What publishing fixes: the effective date and the summary of changes; and whether to ask again."""

    effective_on = DateField("Effective date", validators=[InputRequired("Give the date this version takes effect."),
                                                          DateInRange()])
    summary = TextAreaField("Summary of changes", validators=[DataRequired("Say what this version changes."),
                                                              Length(max=MAX_SUMMARY)],
                            description="Shown with the version and to everyone asked to acknowledge it.")
    requires_acknowledgment = BooleanField("Everyone it is addressed to must acknowledge this version",
                                           description="Leave unticked for a correction that changes nothing anyone "
                                                       "must know: acknowledgments of the earlier version then still count.")


class RetireForm(FlaskForm):
    """Retiring a document needs a reason."""

    reason = TextAreaField("Reason", validators=[DataRequired("Say why the document is retired."),
                                                 Length(max=MAX_SUMMARY)])


class AcknowledgeForm(FlaskForm):
    """An electronic signature: the version read, the statement, the password re-entered."""

    version = IntegerField(widget=HiddenField.widget, validators=[InputRequired(), NumberRange(1, MAX_ID)])
    text_sha256 = HiddenField(validators=[DataRequired(), Length(min=64, max=64)])
    confirm = BooleanField("I have read this version and I understand and will follow it",
                           validators=[DataRequired("Tick the statement to acknowledge the document.")])
    password = PasswordField("Your password", validators=[DataRequired("Enter your password to sign."),
                                                          Length(max=200)],
                             description="Your password is your signature: it is checked like a login.")


class PaperForm(FlaskForm):
    """A signature given on paper, recorded by a manager."""

    person = SelectField("Person", coerce=int, validate_choice=True)
    version = SelectField("Version signed", coerce=int, validate_choice=True)
    signed_on = DateField("Signed on", validators=[InputRequired("Give the date written on the signed page."),
                                                   DateInRange()])
    scan = MultipleFileField("Scanned page", render_kw={"accept": "application/pdf,image/*"},
                             description="A PDF or a photo of the signed page (required).")
    note = TextAreaField("Note", validators=[Length(max=MAX_SUMMARY)],
                         description="Where the paper original is kept, and anything else worth knowing.")

"""Budget lines journal lines may be charged to: core's CRUD pages."""
from __future__ import annotations

from flask_wtf import FlaskForm
from medoffice.web.crud import CrudPages
from flask import url_for
from medoffice.web.tables import TableColumn
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..models import BudgetLine
from . import bp


class BudgetLineForm(FlaskForm):
    """A budget line's name and description."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=1000)])
    active = BooleanField("Active (offered on new entries)", default=True)

    def validate_name(self, field):
        """Names are unique."""
        name = (field.data or "").strip()
        if name != field.object_data and BudgetLine.select().where(BudgetLine.name == name).exists():
            raise ValidationError("Another budget line has that name.")

BUDGET_LINES = CrudPages(bp, BudgetLine, BudgetLineForm, name="budget_line", noun="budget line",
                         view_permission="finance.view", edit_permission="finance.accounts.edit",
                         columns=[TableColumn("name", "Name", sort=BudgetLine.name,
                                              link=lambda b: url_for("finance.budget_line_detail", record_id=b.id)),
                                  TableColumn("active", "Active", kind="boolean")],
                         default_sort="name", search=lambda text: BudgetLine.name ** f"%{text}%",
                         title_of=lambda b: b.name)
BUDGET_LINES.register()

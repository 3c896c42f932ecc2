"""Departments employees belong to: core's CRUD pages."""
from __future__ import annotations

from flask import url_for
from flask_wtf import FlaskForm
from medoffice.web.crud import CrudPages
from medoffice.web.tables import TableColumn
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ..models import PEOPLE, Department
from . import bp


class DepartmentForm(FlaskForm):
    """A department's name."""

    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    active = BooleanField("Active (offered on employment forms)", default=True)

    def validate_name(self, field):
        """Names are unique."""
        name = (field.data or "").strip()
        if name != field.object_data and Department.select().where(Department.name == name).exists():
            raise ValidationError("Another department has that name.")


DEPARTMENTS = CrudPages(bp, Department, DepartmentForm, name="department", noun="department",
                        view_permission="hr.employees.view", edit_permission="hr.employees.edit",
                        columns=[TableColumn("name", "Name", sort=Department.name,
                                             link=lambda d: url_for("hr.department_detail", record_id=d.id)),
                                 TableColumn("active", "Active", kind="boolean")],
                        default_sort="name", search=lambda text: Department.name ** f"%{text}%",
                        title_of=lambda d: d.name, kept_by=PEOPLE.key)
DEPARTMENTS.register()

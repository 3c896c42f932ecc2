"""loans: equipment the practice lends (crutches, monitors) and to which patient, built entirely with
core's CRUD pages (``medoffice.web.crud``): the CRUD helper's tests."""
import peewee as pw
from flask import Blueprint
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField
from wtforms.validators import DataRequired, Length

from medoffice import Permission, PluginInfo, hookimpl
from medoffice.db import BaseModel
from medoffice.models import Patient
from medoffice.web.crud import CrudPages
from medoffice.web.tables import TableColumn

PLUGIN = PluginInfo("loans", "Loans", description="Equipment lent to patients.")


class Device(BaseModel):
    name = pw.CharField(max_length=80)
    serial = pw.CharField(max_length=40, default="")
    in_service = pw.BooleanField(default=True)

    class Meta:
        table_name = "loans_device"


class Loan(BaseModel):
    patient = pw.ForeignKeyField(Patient)
    item = pw.CharField(max_length=80)

    class Meta:
        table_name = "loans_loan"


class DeviceForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=80)])
    serial = StringField("Serial number", validators=[Length(max=40)])
    in_service = BooleanField("In service")


class LoanForm(FlaskForm):
    patient = IntegerField("Patient id", validators=[DataRequired()])
    item = StringField("Item", validators=[DataRequired(), Length(max=80)])


bp = Blueprint("loans", __name__, url_prefix="/loans")
DEVICES = CrudPages(bp, Device, DeviceForm, name="device", noun="device", view_permission="loans.view",
                    edit_permission="loans.edit", default_sort="name", title_of=lambda d: d.name,
                    columns=[TableColumn("name", "Name", sort=Device.name),
                             TableColumn("serial", "Serial number", sort=Device.serial)],
                    search=lambda text: Device.name ** f"%{text}%")
LOANS = CrudPages(bp, Loan, LoanForm, name="loan", noun="loan", view_permission="loans.view",
                  edit_permission="loans.edit", default_sort="item", title_of=lambda loan: loan.item,
                  columns=[TableColumn("item", "Item", sort=Loan.item)])
DEVICES.register()
LOANS.register()


@hookimpl
def medoffice_models():
    return [Device, Loan]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [Permission("loans.view", "See lent equipment", default_roles=("admin", "front_desk")),
            Permission("loans.edit", "Record loans", default_roles=("admin",))]

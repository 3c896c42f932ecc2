"""shoddy: loads and starts, but breaks every rule the plugin contract checks."""
import peewee as pw
from flask import Blueprint

from medoffice import (
    JobSpec, NavItem, Permission, PluginInfo, ReportParam, ReportSpec, Widget, hookimpl,
)
from medoffice.auth import requires
from medoffice.db import BaseModel

PLUGIN = PluginInfo("shoddy", "Shoddy")
bp = Blueprint("shoddy", __name__, url_prefix="/shoddy")


class Record(BaseModel):
    """A model with no migration that creates it."""

    name = pw.TextField()

    class Meta:
        table_name = "shoddy_record"


@bp.route("/open")
def open_view():
    """Forgot to declare a permission."""
    return "anyone?"


@bp.route("/secret")
@requires("shoddy.secret.view")
def secret():
    """Needs a permission nobody declared."""
    return "secret"


@bp.route("/peek", methods=["GET", "POST"])
@requires("shoddy.things.peek")
def peek():
    """Changes data under a permission declared break_glass (emergency access only reads)."""
    return "peeked"


@hookimpl
def medoffice_models():
    return [Record]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [Permission("shoddy.things.view", "See things"),
            Permission("shoddy.things.peek", "Peek at things", break_glass=True)]


@hookimpl
def medoffice_nav_items():
    return [NavItem("Lost", "shoddy.nowhere", "shoddy.things.view"),
            NavItem("Secret", "shoddy.secret", "shoddy.undeclared.view")]


@hookimpl
def medoffice_widgets():
    return [Widget("shoddy.card", "Card", "shoddy.card_view", "shoddy.things.view")]


@hookimpl
def medoffice_jobs():
    return [JobSpec("shoddy.nightly", "Nightly", func="run_nightly", trigger="weekly")]


@hookimpl
def medoffice_reports():
    return [ReportSpec("shoddy.list", "List", "shoddy.reports.view", run=None,
                       params=[ReportParam("Start Date", "From"), ReportParam("Start Date", "To")])]

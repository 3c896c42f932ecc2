"""alpha: a ledger table, a page, and a hook of its own (``alpha_payment_posted``)."""
import peewee as pw
from flask import Blueprint

from medoffice import NavItem, Permission, PluginInfo, hookimpl
from medoffice.auth import requires
from medoffice.db import BaseModel

from . import hookspecs

PLUGIN = PluginInfo("alpha", "Alpha ledger", version="2.1.0", description="Posts payments.")
bp = Blueprint("alpha", __name__, url_prefix="/alpha")


class Entry(BaseModel):
    """One ledger entry."""

    amount_cents = pw.IntegerField()

    class Meta:
        table_name = "alpha_entry"


@bp.route("/")
@requires("alpha.ledger.view")
def ledger():
    """The number of ledger entries."""
    return f"{Entry.select().count()} entries"


@hookimpl
def medoffice_add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def medoffice_models():
    return [Entry]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [Permission("alpha.ledger.view", "See the ledger")]


@hookimpl
def medoffice_nav_items():
    return [NavItem("Ledger", "alpha.ledger", "alpha.ledger.view")]

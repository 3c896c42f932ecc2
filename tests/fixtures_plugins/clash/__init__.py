"""clash: declares a permission and a table that alpha already owns."""
import peewee as pw

from medoffice import Permission, PluginInfo, hookimpl
from medoffice.db import BaseModel

PLUGIN = PluginInfo("clash", "Clash")


class Copycat(BaseModel):
    """Same table name as alpha's ledger."""

    amount_cents = pw.IntegerField()

    class Meta:
        table_name = "alpha_entry"


@hookimpl
def medoffice_permissions():
    return [Permission("alpha.ledger.view", "See alpha's ledger")]


@hookimpl
def medoffice_models():
    return [Copycat]

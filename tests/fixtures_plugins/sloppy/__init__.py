"""sloppy: every contributed name lacks the ``sloppy.`` / ``sloppy_`` prefix."""
import peewee as pw

from medoffice import (
    Column, JobSpec, Permission, PluginInfo, ReportResult, ReportSpec, SettingSpec, Widget, hookimpl,
)
from medoffice.db import BaseModel

PLUGIN = PluginInfo("sloppy", "Sloppy")


class Thing(BaseModel):
    """A table without the plugin prefix."""

    name = pw.TextField()

    class Meta:
        table_name = "thing"


def _nothing():
    return ReportResult(columns=[Column("n", "N")], rows=[])


@hookimpl
def medoffice_permissions():
    return [Permission("things.view", "See things")]


@hookimpl
def medoffice_jobs():
    return [JobSpec("nightly", "Nightly", func=lambda: "done", schedule={"hour": 1})]


@hookimpl
def medoffice_reports():
    return [ReportSpec("things", "Things", "things.view", run=_nothing)]


@hookimpl
def medoffice_settings():
    return [SettingSpec("colour", "Colour")]


@hookimpl
def medoffice_widgets():
    return [Widget("things", "Things", "core.dashboard", "things.view")]


@hookimpl
def medoffice_models():
    return [Thing]

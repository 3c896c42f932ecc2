"""The entry point: ``PLUGIN`` metadata plus one small hookimpl per contribution.

medoffice imports this module through the ``medoffice.plugins`` entry point and registers it
with pluggy; core then calls these functions while hello is enabled.
"""
from __future__ import annotations

from flask import url_for

from medoffice import (
    CheckResult, NavItem, Permission, PluginInfo, SettingSpec, Widget, WorkItem, hookimpl,
)

from . import hookspecs
from .cli import hello
from .deadlines import TIDY_UP, plan_tidy_up
from .demo import create_demo_greetings
from .greetings import GREETING_ADDED, count_future, greeted_on
from .jobs import COUNT_JOB
from .models import GREETINGS, Greeting
from .pictures import PICTURE
from .reports import PER_DAY
from .views import bp

PLUGIN = PluginInfo(
    name="hello",
    title="Hello",
    version="1.0.0",
    description="Greetings for the team: the example plugin to copy when writing your own.",
)


@hookimpl
def medoffice_add_hookspecs(pm):
    pm.add_hookspecs(hookspecs)


@hookimpl
def medoffice_event_types():
    return [GREETING_ADDED]


@hookimpl
def medoffice_models():
    return [Greeting]


@hookimpl
def medoffice_data_versions():
    return [GREETINGS]


@hookimpl
def medoffice_blueprints():
    return [bp]


@hookimpl
def medoffice_permissions():
    return [
        Permission("hello.greetings.view", "Read greetings",
                   default_roles=("admin", "office_manager", "front_desk", "billing", "hr")),
        Permission("hello.greetings.edit", "Leave greetings",
                   default_roles=("admin", "office_manager", "front_desk")),
    ]


@hookimpl
def medoffice_nav_items():
    return [NavItem("Greetings", "hello.greetings", "hello.greetings.view", group="People", order=90)]


@hookimpl
def medoffice_settings():
    return [SettingSpec("hello.max_length", "Longest greeting (characters)", kind="int", default=280,
                        minimum=1, maximum=2000)]


@hookimpl
def medoffice_widgets():
    return [Widget("hello.latest", "Greetings", "hello.widget", "hello.greetings.view", order=90)]


@hookimpl
def medoffice_work_items(user, today):
    if not user.has_permission("hello.greetings.edit") or greeted_on(today):
        return []
    return [WorkItem("Say good morning: no greeting yet today", url_for("hello.greetings"),
                     "hello.greetings.edit", urgency=90, source="Hello")]


@hookimpl
def medoffice_jobs():
    return [COUNT_JOB]


@hookimpl
def medoffice_reports():
    return [PER_DAY]


@hookimpl
def medoffice_attachment_kinds():
    return [PICTURE]


@hookimpl
def medoffice_cli_commands():
    return [hello]


@hookimpl
def medoffice_deadline_kinds():
    return [TIDY_UP]


@hookimpl
def medoffice_demo_data(ctx):
    create_demo_greetings(ctx)
    plan_tidy_up(ctx.today)


@hookimpl
def medoffice_doctor_checks():
    future = count_future()
    if future:
        return [CheckResult("hello.clock", "warn",
                            f"{future} greetings are dated in the future: check the server clock")]
    return [CheckResult("hello.clock", "ok", "no greeting is dated in the future")]

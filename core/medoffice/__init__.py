"""medoffice: the medical office manager's local server.

Plugin authors need only this module::

    from medoffice import hookimpl, PluginInfo, NavItem, Permission
"""
import pluggy

from .contributions import (
    ChartSpec,
    CheckResult,
    Column,
    DemoContext,
    JobSpec,
    NavItem,
    Permission,
    PluginInfo,
    ReportParam,
    ReportResult,
    ReportSpec,
    SettingSpec,
    Widget,
    WorkItem,
)

hookimpl = pluggy.HookimplMarker("medoffice")


def create_app(instance=None, **overrides):
    """Build the WSGI app for an instance folder (see ``medoffice.app.create_app``)."""
    from .app import create_app as _create_app

    return _create_app(instance, **overrides)


__all__ = [
    "ChartSpec", "CheckResult", "Column", "DemoContext", "JobSpec", "NavItem", "Permission",
    "PluginInfo", "ReportParam", "ReportResult", "ReportSpec", "SettingSpec", "Widget",
    "WorkItem", "create_app", "hookimpl",
]

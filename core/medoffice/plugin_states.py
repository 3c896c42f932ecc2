"""What each installed plugin's state means to the practice, for the modules page and ``plugins list``.

Installing a plugin's code is IT's job and takes a restart; turning it on is the office manager's
decision on *Admin → Modules*. A plugin installed after the instance's first boot therefore starts
**installed, not enabled**: nothing of it shows (no pages, permissions or jobs) until someone turns it
on, and the modules page says it waits there. A plugin someone turned off is **disabled**.
"""
from __future__ import annotations

from .models import PluginState

ENABLED, DISABLED, NOT_ENABLED, FAILED = "enabled", "disabled", "not_enabled", "failed"
LABELS = {ENABLED: "On", DISABLED: "Off", NOT_ENABLED: "Installed, not enabled", FAILED: "Failed"}


def plugin_states(host) -> dict[str, str]:
    """Each installed plugin's state: enabled, disabled (turned off), not_enabled (never turned on
    since it was installed) or failed (it did not load)."""
    stored = {s.name for s in PluginState.select(PluginState.name)}
    states = {}
    for name, plugin in host.plugins.items():
        if not plugin.ok:
            states[name] = FAILED
        elif host.is_enabled(name):
            states[name] = ENABLED
        else:
            states[name] = DISABLED if name in stored else NOT_ENABLED
    return states

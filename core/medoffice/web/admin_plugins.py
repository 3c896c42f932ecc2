"""The admin plugins page: what is installed, enabled, failed; enable and disable live."""
from __future__ import annotations

from flask import current_app, redirect, url_for
from flask_login import current_user

from .. import prepared
from ..auth.access import requires
from ..plugin_states import LABELS, NOT_ENABLED, plugin_states
from ..plugins import CORE, PluginError
from ..models import PluginState
from . import core_blueprint as bp
from .kept import kept_template
from .shell import notify, render_page


_CHANGES = PluginState.select()  # who turned each module on or off, and when: compiled once


def plugin_rows() -> list[dict]:
    """One row per installed plugin: metadata, state, dependencies and any load error."""
    runtime = current_app.extensions["medoffice"]
    host = runtime.host
    changed = {s.name: s for s in prepared.run(_CHANGES, "core.plugin_changes")}
    states = plugin_states(host)
    rows = []
    for name, plugin in sorted(host.plugins.items(), key=lambda kv: (kv[0] != CORE, kv[0])):
        info = plugin.info
        state = changed.get(name)
        rows.append({
            "name": name,
            "title": info.title if info else name,
            "version": info.version if info else "",
            "description": info.description if info else "",
            "requires": info.requires if info else (),
            "uses": info.uses if info else (),
            "enabled": host.is_enabled(name),
            "state": states[name],
            "state_label": LABELS[states[name]],
            "ok": plugin.ok,
            "error": plugin.error,
            "core": name == CORE,
            "changed": state,
            "dependents": host.dependents(name, host.enabled()) if plugin.ok else [],
        })
    return rows


@bp.route("/admin/plugins")
@requires("core.plugins.manage")
def plugins():
    """List plugins with their state (kept until a module is turned on or off, or access changes)."""
    def modules():
        rows = plugin_rows()
        return {"rows": rows, "waiting": [r["title"] for r in rows if r["state"] == NOT_ENABLED]}
    # kept_template keys it by the plugin state too: a module turned on or off is a new key
    html = kept_template((), (), "admin/_plugins_table.html", modules)
    return render_page("admin/plugins.html", title="Modules", modules_html=html,
                       breadcrumbs=[("Admin", None), ("Modules", None)])


@bp.route("/admin/plugins/<name>/enable", methods=["POST"])
@requires("core.plugins.manage")
def enable_plugin(name: str):
    """Enable a plugin (and its hard dependencies) at once."""
    runtime = current_app.extensions["medoffice"]
    try:
        enabled = runtime.enable(name, by=current_user.username)
        notify(f"Enabled {', '.join(enabled)}." if enabled else f"{name} was already enabled.")
    except PluginError as exc:
        notify(str(exc), "error")
    return redirect(url_for("core.plugins"))


@bp.route("/admin/plugins/<name>/disable", methods=["POST"])
@requires("core.plugins.manage")
def disable_plugin(name: str):
    """Disable a plugin; refused while an enabled plugin depends on it. Data is kept."""
    runtime = current_app.extensions["medoffice"]
    try:
        runtime.disable(name, by=current_user.username)
        notify(f"Disabled {name}. Its data is kept; enable it again at any time.")
    except PluginError as exc:
        notify(str(exc), "error")
    return redirect(url_for("core.plugins"))

"""``create_app``: builds the WSGI app for one instance, with every installed plugin loaded."""
from __future__ import annotations

import gc
import json
import logging
import os
from pathlib import Path

from flask import Flask, abort, current_app, request, send_from_directory
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from htmx_flask import Htmx

from . import audit, config, themes
from .auth import sessions
from .auth.sessions import TLSSessionInterface
from .db import db, is_sqlite, open_database
from .filemodes import private_dir
from .models import Setting
from .plugins import CORE, PluginHost
from .runtime import Runtime

log = logging.getLogger("medoffice")
csrf = CSRFProtect()


def freeze_startup_objects() -> None:
    """Exempt what startup built (the app, routes, models, plugins, templates) from garbage collection.

    Call once, when the app is ready to serve. Python's collector otherwise walks those hundreds of
    thousands of long-lived objects on every full collection, which a busy page triggers every few
    requests: a pause of a millisecond or more that lands on some request (measured: p95 of list
    pages 10-30% lower with it). Objects created later are collected as usual.
    """
    gc.collect()
    gc.freeze()


def preload_plugins(app: Flask) -> None:
    """Have the enabled plugins load what their first request would otherwise wait for (``medoffice_preload``).

    ``medoffice serve`` calls it once, before it forks its workers (and before ``freeze_startup_objects``), so
    the workers share what was loaded and the collector never walks it. A plugin whose preload fails is
    logged and left to load on first use: serving starts all the same.
    """
    runtime = app.extensions["medoffice"]
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            runtime.refresh()
            for name in sorted(runtime.host.enabled()):
                try:
                    runtime.host.call_for(name, "medoffice_preload")
                except Exception:
                    log.exception("plugin %s could not preload; it loads what it needs on first use", name)
        finally:
            db.close()


def create_app(instance: str | os.PathLike | None = None, **overrides) -> Flask:
    """Build the app for an instance folder.

    :param instance: the instance folder (default: ``MEDOFFICE_INSTANCE`` or ``./instance``).
    :param overrides: Flask config values, plus ``DATABASE_URL``, ``PLUGINS`` (entry-point
        names to load; default all installed), ``EXTRA_PLUGINS`` (modules registered as if
        installed) and ``ENABLED_PLUGINS`` (what first boot enables; default all).
    """
    # peewee logs each query with its parameters (patient data) at DEBUG: keep those out of any log.
    logging.getLogger("peewee").setLevel(logging.INFO)
    inst = config.instance_path(instance)
    cfg = config.load(inst)
    app = Flask("medoffice", instance_path=str(inst), instance_relative_config=False)
    from .web.query import IdConverter

    app.url_map.converters["int"] = IdConverter  # ids beyond the database's integer match no route
    app.config.update(
        SECRET_KEY=cfg.get("secret_key"),
        DATABASE_URL=os.environ.get("MEDOFFICE_DATABASE_URL") or cfg.get("database_url"),
        BACKUP_KEY=cfg.get("backup_key"),
        PLUGINS=cfg.get("load_plugins"),
        EXTRA_PLUGINS=[],
        ENABLED_PLUGINS=cfg.get("plugins"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="medoffice_session",
        PERMANENT_SESSION_LIFETIME=12 * 3600,
        # The cookie expires 12 hours after login, as the session row does (idle and lifetime are
        # checked on the server): it is not signed and sent again on every response.
        SESSION_REFRESH_EACH_REQUEST=False,
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
        TLS=False,
    )
    app.config.update(overrides)
    # SQLite's checkpoints run from a thread of each serving process (medoffice.wal_checkpoint), not in tests.
    app.config.setdefault("WAL_CHECKPOINT_THREAD", not app.testing)
    if not app.config["SECRET_KEY"]:
        raise RuntimeError(f"instance {inst} is not initialized: run `medoffice init` first")
    audit.install_key(app, app.config["BACKUP_KEY"])
    private_dir(inst)

    db.initialize(open_database(app.config["DATABASE_URL"], inst))
    host = PluginHost(only=app.config["PLUGINS"], extra=app.config["EXTRA_PLUGINS"])
    runtime = Runtime(host, inst, app.config["ENABLED_PLUGINS"])
    app.extensions["medoffice"] = runtime

    app.session_interface = TLSSessionInterface()  # Secure cookie whenever app.config["TLS"]
    Htmx(app)
    csrf.init_app(app)
    _setup_login(app)
    _setup_templates(app, runtime)
    _register_blueprints(app, runtime)

    db.connect(reuse_if_open=True)
    try:
        runtime.bootstrap()
        for plugin in host.ordered():
            try:
                host.call_for(plugin.name, "medoffice_setup_app", app=app)
            except Exception as exc:
                log.exception("plugin %s failed to set up", plugin.name)
                host.mark_failed(plugin.name, f"setup failed: {exc!r}")
        runtime.refresh(force=True)
    finally:
        db.close()

    _setup_request_cycle(app, runtime)
    from .assets import log_problems_at_start
    from .web.errors import register_error_handlers
    from .web.fetch_metadata import register_fetch_metadata
    from .web.security_headers import register_security_headers

    register_error_handlers(app)
    register_security_headers(app)
    register_fetch_metadata(app)  # first of the before_request functions: nothing runs for a refused request
    log_problems_at_start()  # loud, but the server still starts: doctor and /healthz fail on it
    return app


def _setup_login(app: Flask) -> None:
    """Flask-Login gives ``current_user``; who it is comes from the server-side session row only
    (``sessions.load_user``), so Flask-Login's own session keys and protection are not used."""
    manager = LoginManager(app)
    manager.login_view = "core.login"
    manager.session_protection = None
    manager.request_loader(sessions.load_user)


def _setup_templates(app: Flask, runtime: Runtime) -> None:
    state = {"theme": themes.DEFAULT_THEME}

    def active_theme() -> str:
        return state["theme"]

    def on_state_change() -> None:
        row = Setting.get_or_none(Setting.name == "core.theme")
        state["theme"] = json.loads(row.value) if row else themes.DEFAULT_THEME
        app.jinja_env.cache.clear() if app.jinja_env.cache is not None else None

    runtime.listeners.append(on_state_change)
    # Core's services keep their templates in their own packages (medoffice/events/templates, ...).
    service_dirs = sorted(d for d in Path(__file__).resolve().parent.glob("*/templates") if d.is_dir())
    plugin_dirs = service_dirs + [p.package_dir / "templates" for p in runtime.host.ordered()
                                  if p.name != CORE and (p.package_dir / "templates").is_dir()]
    app.jinja_env.loader = themes.build_loader(runtime.instance, active_theme, app.jinja_loader, plugin_dirs)
    app.extensions["medoffice_theme"] = active_theme

    from .web.shell import register_shell

    register_shell(app)


def _register_blueprints(app: Flask, runtime: Runtime) -> None:
    from .web import core_blueprint

    app.register_blueprint(core_blueprint)
    runtime.blueprint_owner[core_blueprint.name] = CORE
    for plugin in runtime.host.ordered():
        if plugin.name == CORE:
            continue
        try:
            blueprints = runtime.host.call_for(plugin.name, "medoffice_blueprints")
            for bp in blueprints:
                app.register_blueprint(bp)
                runtime.blueprint_owner[bp.name] = plugin.name
        except Exception as exc:
            log.exception("plugin %s failed to register its blueprints", plugin.name)
            runtime.host.mark_failed(plugin.name, f"blueprints failed: {exc!r}")

    @app.route("/static/plugins/<plugin>/<path:filename>")
    def plugin_static(plugin: str, filename: str):
        loaded = runtime.host.plugins.get(plugin)
        if loaded is None or not loaded.ok or not runtime.host.is_enabled(plugin):
            abort(404)
        return send_from_directory(loaded.package_dir / "static", filename)

    @app.route("/static/theme/<path:filename>")
    def theme_static(filename: str):
        path = themes.theme_path(runtime.instance, app.extensions["medoffice_theme"]())
        if path is None:
            abort(404)
        return send_from_directory(path / "static", filename)

    for view in (plugin_static, theme_static, app.view_functions["static"]):
        setattr(view, "_medoffice_public", True)


def _setup_request_cycle(app: Flask, runtime: Runtime) -> None:
    from .wal_checkpoint import Checkpointer
    from .web.guard import enforce_access

    checkpointer = app.extensions["wal_checkpointer"] = Checkpointer(db.obj.database) if is_sqlite() else None

    @app.before_request
    def open_connection():
        if checkpointer is not None and app.config["WAL_CHECKPOINT_THREAD"]:
            checkpointer.ensure_running()
        db.connect(reuse_if_open=True)
        runtime.refresh()
        owner = runtime.blueprint_owner.get((request.blueprint or "").split(".")[0])
        if owner is not None and not runtime.host.is_enabled(owner):
            abort(404)
        return enforce_access()

    @app.teardown_request
    def close_connection(exc):
        if not db.is_closed():
            db.close()


def medoffice_runtime() -> Runtime:
    """The runtime of the current app."""
    return current_app.extensions["medoffice"]

"""The per-app runtime: plugin host plus the enabled state kept in the database.

Enabling and disabling happen here, effective at once in every process: the toggle bumps a
state version, and each request (and the scheduler) compares it with one cheap read.
"""
from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from flask import g, has_app_context
from peewee import fn

from . import audit, audit_anchor, data_versions, migrate, prepared, version_listener
from .auth import access_version as access_version_triggers
from .auth.accounts import ensure_roles, seed_permissions
from .db import db, is_sqlite, transaction, utcnow
from .models import CORE_MODELS, AuditHead, PluginState, StateVersion
from .plugins import CORE, PluginError, PluginHost

log = logging.getLogger("medoffice.runtime")
STATE_KEY = "state"
ACCESS_KEY = access_version_triggers.KEY  # bumped by the database itself (medoffice.auth.access_version)
_VERSIONS = StateVersion.select(StateVersion.key, StateVersion.version).tuples()
# Every counter only ever grows (triggers add 1, a new one starts at 1) and none is removed, so their sum and
# their number change together with any of them.
_VERSIONS_MOVED = StateVersion.select(fn.SUM(StateVersion.version), fn.COUNT(StateVersion.key)).tuples()
_last_read: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # database -> (sum and number, counters)


def _read_versions() -> dict:
    return dict(prepared.rows(_VERSIONS, "runtime.versions"))


def _read_versions_if_moved() -> dict:
    """The counters, as :func:`_read_versions`, for SQLite: one row read (their sum and number), and the
    seventy-odd counters themselves only when that moved since this process last read them."""
    moved = prepared.rows(_VERSIONS_MOVED, "runtime.versions_moved")[0]
    last = _last_read.get(db.obj)
    if last is not None and last[0] == moved:
        return last[1]
    versions = _read_versions()
    if not db.in_transaction():  # what a transaction reads may still be rolled back
        _last_read[db.obj] = (moved, versions)
    return versions


def access_version() -> int | None:
    """The access version read by this request's ``Runtime.refresh`` (None outside a request cycle)."""
    return g.get("medoffice_versions", {}).get(ACCESS_KEY) if has_app_context() else None


@dataclass
class Runtime:
    """Everything an app instance knows about its plugins; stored in ``app.extensions['medoffice']``."""

    host: PluginHost
    instance: Path
    first_boot_plugins: list[str] | None = None
    blueprint_owner: dict[str, str] = field(default_factory=dict)
    listeners: list = field(default_factory=list)
    kept_values: dict = field(default_factory=dict)  # medoffice.data_versions.kept
    _derived: dict = field(default_factory=dict)

    @property
    def backup_dir(self) -> Path:
        """Where backups go unless ``backup_dir`` in medoffice.toml says otherwise."""
        return self.instance / "backups"

    @property
    def pre_migrate_dir(self) -> Path:
        """Where the unencrypted copies made before a database upgrade go: a private folder of
        the instance, never the backups folder (which may be synced off-site)."""
        return self.instance / "pre-migrate"

    # --- start-up ---------------------------------------------------------------------------

    def bootstrap(self) -> None:
        """Migrate core, settle the enabled set (first boot), migrate enabled plugins, seed roles."""
        # Conflicting names must stop start-up before any plugin's migrations create tables.
        self.check_contributions()
        core = self.host.plugins[CORE]
        migrate.move_old_copies(self.backup_dir, self.pre_migrate_dir)
        if migrate.pending(core):
            audit.drop_head_trigger()
        migrate.apply([core], self.pre_migrate_dir)
        access_version_triggers.ensure_triggers()
        if not is_sqlite():
            version_listener.ensure_notify_trigger(db.obj)
        data_versions.ensure(self.host.call_for(CORE, "medoffice_data_versions"))
        if not AuditHead.select().where(AuditHead.id == 1).exists():
            AuditHead.insert(id=1, seq=0, last_hash=audit.GENESIS).on_conflict_ignore().execute()
        audit.ensure_head_trigger()
        audit_anchor.ensure_anchored(self.instance)
        StateVersion.insert(key=STATE_KEY, version=1).on_conflict_ignore().execute()
        if not PluginState.select().exists():
            self._first_boot()
        self.refresh(force=True)
        enabled = [p for p in self.host.ordered() if self.host.is_enabled(p.name) and p.name != CORE]
        for plugin in enabled:
            try:
                migrate.apply([plugin], self.pre_migrate_dir)
                data_versions.ensure(self.host.call_for(plugin.name, "medoffice_data_versions"))
            except Exception as exc:  # a broken plugin upgrade must not stop the practice
                log.exception("migrations of plugin %s failed", plugin.name)
                self.host.mark_failed(plugin.name, f"migration failed: {exc}")
        ensure_roles()
        self.refresh(force=True)
        seed_permissions(self.host.call("medoffice_permissions"))

    def _first_boot(self) -> None:
        wanted = self.first_boot_plugins
        names = [p.name for p in self.host.ordered() if p.name != CORE]
        if wanted is not None:
            closure: list[str] = []
            for name in wanted:
                if name not in names:
                    log.warning("instance config lists plugin %s, which is not installed", name)
                    continue
                for dep in [*self.host.requirements(name), name]:
                    if dep not in closure:
                        closure.append(dep)
            names = closure
        with transaction():
            # Core's row marks first boot as done even when the config lists no plugins.
            for name in [CORE, *names]:
                PluginState.create(name=name, enabled=True, changed_by="first boot")

    def check_contributions(self) -> None:
        """Refuse to start when two plugins contribute the same name or a name lacks its prefix."""
        from .contract import contribution_problems

        problems = contribution_problems(self.host)
        if problems:
            raise PluginError("plugin contributions conflict:\n  " + "\n  ".join(problems))

    # --- state -----------------------------------------------------------------------------

    def refresh(self, force: bool = False) -> bool:
        """Re-read the enabled set if another process (or this one) changed it. True if changed.

        The same single read gives this request the access version (:func:`access_version`) and the
        plugins' data versions (``medoffice.data_versions``).
        """
        listener = getattr(db.obj, "versions_listener", None)  # PostgreSQL's (medoffice.version_listener)
        versions = listener.versions(_read_versions) if listener else _read_versions_if_moved()
        if has_app_context():
            g.medoffice_versions = versions
        version = versions.get(STATE_KEY, 0)
        if not force and version == self.host.state_version:
            return False
        names = frozenset(
            s.name for s in PluginState.select(PluginState.name).where(PluginState.enabled == True)  # noqa: E712
        )
        self.host.set_enabled_state(version, names)
        for listener in self.listeners:
            listener()
        return True

    def derived(self, key, build):
        """``build()``, computed once per plugin state: for what only the enabled plugins decide
        (navigation, setting declarations), which every page would otherwise rebuild."""
        # The enabled set is part of the key: a plugin failing at run time leaves the version as it was.
        state = (self.host.state_version, self.host.enabled())
        hit = self._derived.get(key)
        if hit is not None and hit[0] == state:
            return hit[1]
        value = build()
        self._derived[key] = (state, value)
        return value

    def bump(self) -> None:
        """Tell every process that plugin state or theme changed."""
        StateVersion.update(version=StateVersion.version + 1).where(StateVersion.key == STATE_KEY).execute()

    def enable(self, name: str, by: str = "") -> list[str]:
        """Enable ``name`` and its hard dependencies, migrating them first.

        :return: the plugins newly enabled (dependencies first).
        :raises PluginError: unknown or failed plugin, or one of the migrations failed.
        """
        plugin = self._known(name)
        if not plugin.ok:
            raise PluginError(f"{name} cannot be enabled: it failed to load ({plugin.error.strip().splitlines()[-1]})")
        self.refresh()
        wanted = [n for n in [*self.host.requirements(name), name] if not self.host.is_enabled(n)]
        if not wanted:
            return []
        try:
            migrate.apply([self.host.plugins[n] for n in wanted], self.pre_migrate_dir)
            for n in wanted:
                data_versions.ensure(self.host.call_for(n, "medoffice_data_versions"))
        except Exception as exc:
            # Each migration runs in its own transaction: the failed one left nothing behind,
            # and the plugin stays off until its author ships a fix.
            log.exception("migrations for enabling %s failed", name)
            raise PluginError(f"{name} cannot be enabled: a migration failed ({type(exc).__name__}: {exc})") from exc
        with transaction():
            for n in wanted:
                self._set(n, True, by)
            audit.record("plugin.enable", "plugin", name, detail={"enabled": wanted})
            self.bump()
        self.refresh()
        seed_permissions(self.host.call("medoffice_permissions"))
        for n in wanted:
            self.host.call("medoffice_plugin_enabled", name=n)
        return wanted

    def disable(self, name: str, by: str = "") -> None:
        """Disable ``name``; its data stays. Refused while an enabled plugin requires it."""
        plugin = self._known(name)
        if name == CORE:
            raise PluginError("the core cannot be disabled")
        self.refresh()
        if not self.host.is_enabled(name):
            return
        if plugin.ok:
            blockers = self.host.dependents(name, self.host.enabled())
            if blockers:
                raise PluginError(
                    f"{name} cannot be disabled while {', '.join(blockers)} "
                    f"{'depends' if len(blockers) == 1 else 'depend'} on it; disable "
                    f"{'that' if len(blockers) == 1 else 'those'} first"
                )
        with transaction():
            self._set(name, False, by)
            audit.record("plugin.disable", "plugin", name)
            self.bump()
        if plugin.ok:
            self.host.call_for(name, "medoffice_plugin_disabled", name=name)
        self.refresh()
        self.host.call("medoffice_plugin_disabled", name=name)

    def _known(self, name: str):
        if name not in self.host.plugins:
            raise PluginError(f"no plugin named {name!r} is installed")
        return self.host.plugins[name]

    @staticmethod
    def _set(name: str, enabled: bool, by: str) -> None:
        PluginState.insert(name=name, enabled=enabled, changed_at=utcnow(), changed_by=by).on_conflict(
            conflict_target=[PluginState.name],
            update={PluginState.enabled: enabled, PluginState.changed_at: utcnow(),
                    PluginState.changed_by: by},
        ).execute()


def all_models(host: PluginHost) -> dict[str, list]:
    """Models per loaded plugin (core included), for migrations checks and doctor."""
    result = {CORE: list(CORE_MODELS)}
    for plugin in host.ordered():
        if plugin.name != CORE:
            result[plugin.name] = host.call_for(plugin.name, "medoffice_models")
    return result

"""The plugin host: discovery, metadata, dependency order, enabled state and hook calls.

Every installed plugin is imported and registered once per app, so enabling one later needs
no restart: hook calls go only to enabled plugins (``PluginHost.call``), and requests to a
disabled plugin's blueprints answer 404. The enabled set lives in the database; a state
version bumped by every toggle lets each process notice a change made elsewhere with one read.
"""
from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pluggy

from . import hookspecs
from .contributions import PluginInfo

log = logging.getLogger("medoffice.plugins")

ENTRY_POINT_GROUP = "medoffice.plugins"
CORE = "core"


class PluginError(Exception):
    """A plugin operation was refused (unknown plugin, dependency in the way, failed plugin)."""


@dataclass
class LoadedPlugin:
    """One installed plugin as the host sees it: its module, metadata and any load error."""

    name: str
    info: PluginInfo | None
    module: ModuleType | None
    source: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        """True when the plugin imported and set up without error."""
        return self.module is not None and not self.error

    @property
    def package_dir(self) -> Path | None:
        """The directory of the plugin's package (for templates, static and migrations)."""
        if self.module is None:
            return None
        return Path(self.module.__file__).resolve().parent


@dataclass
class _EnabledState:
    version: int = -1
    names: frozenset[str] = frozenset()
    callers: dict[str, object] = field(default_factory=dict)


class PluginHost:
    """Loads plugins into a pluggy PluginManager and answers which are enabled.

    :param only: if given, load just these entry-point names (tests build apps this way).
    :param extra: extra plugin modules to register as if installed (tests, embedded use).
    """

    def __init__(self, only: list[str] | None = None, extra: list[ModuleType] = ()):
        self.pm = pluggy.PluginManager("medoffice")
        self.pm.add_hookspecs(hookspecs)
        # Historic: each plugin's medoffice_add_hookspecs runs as it registers, before check_pending.
        self.pm.hook.medoffice_add_hookspecs.call_historic(kwargs={"pm": self.pm})
        self.plugins: dict[str, LoadedPlugin] = {}
        self._state = _EnabledState()
        self._lock = threading.Lock()
        if os.environ.get("MEDOFFICE_TRACE_HOOKS") == "1":
            self._trace()
        from . import core_plugin

        self._register(core_plugin, "medoffice (core)")
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if only is not None and ep.name not in only:
                continue
            self._load_entry_point(ep)
        for module in extra:
            self._register(module, f"module {module.__name__}")
        self.pm.check_pending()
        self._check_dependencies()

    # --- loading ----------------------------------------------------------------------------

    def _trace(self) -> None:
        trace_log = logging.getLogger("medoffice.hooks")

        def before(hook_name, impls, kwargs):
            trace_log.info("call %s -> %s", hook_name, [i.plugin_name for i in impls])

        def after(outcome, hook_name, impls, kwargs):
            trace_log.info("done %s", hook_name)

        self.pm.add_hookcall_monitoring(before, after)

    def _load_entry_point(self, ep) -> None:
        try:
            module = ep.load()
        except Exception:
            # A broken plugin must never take the practice's server down with it.
            log.exception("plugin %s failed to import", ep.name)
            self.plugins[ep.name] = LoadedPlugin(
                ep.name, None, None, f"entry point {ep.value}", traceback.format_exc(limit=5)
            )
            return
        self._register(module, f"entry point {ep.value}", expected_name=ep.name)

    def _register(self, module: ModuleType, source: str, expected_name: str | None = None):
        info = getattr(module, "PLUGIN", None)
        name = expected_name or getattr(info, "name", None) or module.__name__
        if not isinstance(info, PluginInfo):
            self.plugins[name] = LoadedPlugin(
                name, None, None, source, "the plugin module defines no PLUGIN = PluginInfo(...)"
            )
            return
        if info.name != name:
            self.plugins[name] = LoadedPlugin(
                name, info, None, source,
                f"entry point name {name!r} differs from PluginInfo.name {info.name!r}",
            )
            return
        if name in self.plugins:
            raise PluginError(f"two plugins are named {name!r} ({self.plugins[name].source}, {source})")
        self.pm.register(module, name=name)
        self.plugins[name] = LoadedPlugin(name, info, module, source)

    def _check_dependencies(self) -> None:
        for plugin in list(self.plugins.values()):
            if not plugin.ok:
                continue
            missing = [d for d in plugin.info.requires if not self._is_ok(d)]
            if missing:
                self.mark_failed(plugin.name, "requires plugins that are not installed or failed: "
                                 + ", ".join(missing))

    def _is_ok(self, name: str) -> bool:
        return name in self.plugins and self.plugins[name].ok

    def mark_failed(self, name: str, error: str) -> None:
        """Record a plugin as failed and unregister it; the rest of the server keeps going."""
        plugin = self.plugins[name]
        log.error("plugin %s disabled for this run: %s", name, error.splitlines()[-1] if error else "")
        plugin.error = error
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        with self._lock:
            self._state = _EnabledState()
        self._check_dependencies()

    # --- metadata -----------------------------------------------------------------------------

    def ordered(self) -> list[LoadedPlugin]:
        """Loaded plugins in dependency order (hard and soft dependencies first), core first."""
        ok = {n: p for n, p in self.plugins.items() if p.ok}
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order or name not in ok:
                return
            if name in visiting:
                raise PluginError(f"dependency cycle through plugin {name!r}")
            visiting.add(name)
            info = ok[name].info
            for dep in (*info.requires, *info.uses):
                visit(dep)
            visiting.discard(name)
            order.append(name)

        visit(CORE)
        for name in sorted(ok):
            visit(name)
        return [ok[n] for n in order]

    def failed(self) -> list[LoadedPlugin]:
        """Plugins that failed to import or to set up, with their errors."""
        return [p for p in self.plugins.values() if not p.ok]

    def dependents(self, name: str, among: frozenset[str]) -> list[str]:
        """Plugins in ``among`` that hard-depend on ``name`` (directly or transitively)."""
        result = []
        for plugin in self.ordered():
            if plugin.name in among and plugin.name != name and name in self.requirements(plugin.name):
                result.append(plugin.name)
        return result

    def requirements(self, name: str) -> list[str]:
        """All hard dependencies of ``name``, transitively, in dependency order."""
        seen: list[str] = []

        def visit(n: str) -> None:
            for dep in self.plugins[n].info.requires:
                if dep not in seen:
                    visit(dep)
                    seen.append(dep)

        visit(name)
        return seen

    # --- enabled state -------------------------------------------------------------------------

    def set_enabled_state(self, version: int, names: frozenset[str]) -> None:
        """Adopt the enabled set read from the database at ``version``."""
        with self._lock:
            if version == self._state.version and names == self._state.names:
                return
            self._state = _EnabledState(version, frozenset(n for n in names if self._is_ok(n)) | {CORE})

    @property
    def state_version(self) -> int:
        """The state version this host last adopted (-1 before the first read)."""
        return self._state.version

    def enabled(self) -> frozenset[str]:
        """Names of the plugins enabled right now (core always is)."""
        return self._state.names or frozenset({CORE})

    def is_enabled(self, name: str) -> bool:
        """True when ``name`` is loaded and enabled."""
        return name in self.enabled()

    def call(self, hook_name: str, **kwargs) -> list:
        """Call a list-returning hook on enabled plugins and concatenate the results."""
        results = self.caller(hook_name)(**kwargs)
        flat: list = []
        for result in results:
            if result is None:
                continue
            if isinstance(result, (list, tuple)):
                flat.extend(result)
            else:
                flat.append(result)
        return flat

    def call_for(self, plugin_name: str, hook_name: str, **kwargs) -> list:
        """Call a hook on one loaded plugin only, enabled or not, and flatten its result."""
        others = [p.module for p in self.plugins.values() if p.ok and p.name != plugin_name]
        results = self.pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)
        return [item for result in results if result is not None
                for item in (result if isinstance(result, (list, tuple)) else [result])]

    def caller(self, hook_name: str):
        """The hook caller restricted to enabled plugins (cached per state version)."""
        state = self._state
        caller = state.callers.get(hook_name)
        if caller is None:
            enabled = self.enabled()
            excluded = [p.module for p in self.plugins.values() if p.ok and p.name not in enabled]
            caller = self.pm.subset_hook_caller(hook_name, remove_plugins=excluded)
            state.callers[hook_name] = caller
        return caller

    def owner_of(self, obj) -> str | None:
        """The name of the plugin whose package defined ``obj`` (a function or class)."""
        module_name = getattr(obj, "__module__", "") or ""
        for plugin in self.plugins.values():
            if plugin.module is None:
                continue
            package = "medoffice" if plugin.name == CORE else plugin.module.__package__
            if module_name == plugin.module.__name__ or (
                package and (module_name == package or module_name.startswith(package + "."))
            ):
                return plugin.name
        return None

"""What the installed plugins declare: event types (of every loaded plugin, so a disabled
publisher's events still decode) and subscriptions (of enabled plugins only, unless asked)."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .schema import EventSchemaError, EventType, Subscription


@dataclass(frozen=True)
class Types:
    """Declared event types by (name, version), and the latest version of each name."""

    by_ref: dict[tuple[str, int], EventType]
    latest: dict[str, EventType]

    def get(self, name: str, version: int | None = None) -> EventType:
        """The declared type (the latest version unless ``version``).

        :raises EventSchemaError: no loaded plugin declares it.
        """
        found = self.latest.get(name) if version is None else self.by_ref.get((name, version))
        if found is None:
            what = name if version is None else f"{name} v{version}"
            raise EventSchemaError(f"no installed module declares the event type {what}")
        return found


def _runtime():
    return current_app.extensions["medoffice"]


def event_types() -> Types:
    """Every event type declared by a loaded plugin, enabled or not."""
    runtime = _runtime()

    def build() -> Types:
        by_ref: dict[tuple[str, int], EventType] = {}
        for plugin in runtime.host.ordered():
            for event_type in runtime.host.call_for(plugin.name, "medoffice_event_types"):
                by_ref[(event_type.name, event_type.version)] = event_type
        latest: dict[str, EventType] = {}
        for event_type in by_ref.values():
            if event_type.name not in latest or event_type.version > latest[event_type.name].version:
                latest[event_type.name] = event_type
        return Types(by_ref, latest)

    return runtime.derived("events.types", build)


def subscriptions(enabled_only: bool = True) -> list[tuple[str, Subscription]]:
    """(plugin, subscription) pairs, in plugin dependency order."""
    runtime = _runtime()

    def build() -> list[tuple[str, Subscription]]:
        return [(plugin.name, subscription) for plugin in runtime.host.ordered()
                for subscription in runtime.host.call_for(plugin.name, "medoffice_event_subscriptions")]

    pairs = runtime.derived("events.subscriptions", build)
    if enabled_only:
        return [(plugin, s) for plugin, s in pairs if runtime.host.is_enabled(plugin)]
    return list(pairs)

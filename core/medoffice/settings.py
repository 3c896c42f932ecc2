"""Practice settings: declared by core and plugins (``SettingSpec``), stored as JSON in the database."""
from __future__ import annotations

import json
import zoneinfo
import datetime as dt

from flask import current_app, g, has_app_context

from .db import transaction
from .models import Setting


def specs() -> dict:
    """Every setting declared by enabled plugins, by name."""
    runtime = current_app.extensions["medoffice"]
    return runtime.derived("setting specs", lambda: {s.name: s for s in runtime.host.call("medoffice_settings")})


def _stored() -> dict:
    cached = g.get("_medoffice_settings") if has_app_context() else None
    if cached is None:
        cached = {s.name: json.loads(s.value) for s in Setting.select()}
        if has_app_context():
            g._medoffice_settings = cached
    return cached


def get(name: str, default=None):
    """A setting's value: stored, else its spec's default, else ``default``."""
    stored = _stored()
    if name in stored:
        return stored[name]
    spec = specs().get(name)
    return spec.default if spec is not None and spec.default is not None else default


def set_many(values: dict) -> dict:
    """Store several settings in one transaction; returns {name: (before, after)} for those changed."""
    stored = _stored()
    changed = {}
    with transaction():
        for name, value in values.items():
            before = stored.get(name)
            if before == value:
                continue
            Setting.insert(name=name, value=json.dumps(value)).on_conflict(
                conflict_target=[Setting.name], update={Setting.value: json.dumps(value)}
            ).execute()
            changed[name] = (before, value)
    g.pop("_medoffice_settings", None)
    return changed


def practice_timezone() -> zoneinfo.ZoneInfo:
    """The practice's time zone (setting ``core.timezone``)."""
    return zoneinfo.ZoneInfo(get("core.timezone", "America/New_York"))


def today() -> dt.date:
    """Today's date where the practice is."""
    return dt.datetime.now(practice_timezone()).date()

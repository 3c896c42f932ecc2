"""Practice settings: declared by core and plugins (``SettingSpec``), stored as JSON in the database.

:func:`get` is the single read point and never hands out a value its spec refuses: a stored value of
the wrong type, outside the spec's range or (for a time zone) unknown is read as the spec's default,
so no setting can break a login or a page; ``medoffice doctor`` lists such values
(:func:`invalid_stored`). :func:`set_many` refuses them before writing anything.
"""
from __future__ import annotations

import json
import zoneinfo
import datetime as dt

from flask import current_app, g, has_app_context

from .db import db, transaction
from .identifiers import timezone_is_valid
from .models import Setting

DEFAULT_TIMEZONE = "America/New_York"  # core.timezone until the practice sets its own

class SettingError(ValueError):
    """A value a setting's spec refuses; the message names the setting and says what is allowed."""


def specs() -> dict:
    """Every setting declared by enabled plugins, by name."""
    runtime = current_app.extensions["medoffice"]
    return runtime.derived("setting specs", lambda: {s.name: s for s in runtime.host.call("medoffice_settings")})


_UNREADABLE = object()  # a stored value that is not JSON (written by hand): read as absent
_ABSENT = object()  # no stored value its spec accepts


class _Stored(dict):
    """The stored values by name, as read at one access version, plus what :func:`get` concluded of each
    under the declarations it was checked against (a page asks for the same settings many times)."""

    __slots__ = ("checked",)

    def __init__(self, values: dict) -> None:
        super().__init__(values)
        self.checked: dict[str, tuple] = {}  # name -> (the specs it was checked under, value or _ABSENT)


def _load(text: str):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return _UNREADABLE


SHARED_CACHE = "medoffice_settings"  # (access version, stored values) of the app's process


def _stored() -> dict:
    cached = g.get("_medoffice_settings") if has_app_context() else None
    if cached is None:
        from .runtime import access_version  # (runtime imports this module's importers)

        # Settings changes bump the access version (a database trigger): while it stands, the
        # values this process read last are still the stored ones, and a request reads none.
        version = access_version()
        shared = current_app.extensions.get(SHARED_CACHE) if version is not None else None
        if shared is not None and shared[0] == version:
            cached = shared[1]
        else:
            cached = _Stored({s.name: _load(s.value) for s in Setting.select()})
            if version is not None and not db.in_transaction():
                current_app.extensions[SHARED_CACHE] = (version, cached)
        if has_app_context():
            g._medoffice_settings = cached
    return cached


def _spec(name: str):
    return specs().get(name) if has_app_context() else None


def problem(spec, value) -> str | None:
    """Why ``value`` cannot be setting ``spec``'s value (its kind, range, choices; a known time zone), else None."""
    found = spec.problem(value)
    if found is None and spec.name.rsplit(".", 1)[-1].split("_")[-1] == "timezone" and not timezone_is_valid(value):
        found = "Use a time zone name such as America/Chicago."
    return found


def _stored_problem(spec, value) -> str | None:
    if value is _UNREADABLE:
        return "The stored text is not valid JSON."
    return problem(spec, value) if spec is not None else None


def get(name: str, default=None):
    """A setting's value: stored (when its spec accepts it), else its spec's default, else ``default``."""
    stored = _stored()
    declared = specs() if has_app_context() else None
    checked = stored.checked.get(name)
    if checked is None or checked[0] is not declared:
        spec = declared.get(name) if declared is not None else None
        value = stored[name] if name in stored and _stored_problem(spec, stored[name]) is None else _ABSENT
        checked = stored.checked[name] = (declared, value)
    if checked[1] is not _ABSENT:
        return checked[1]
    spec = declared.get(name) if declared is not None else None
    return spec.default if spec is not None and spec.default is not None else default


def invalid_stored() -> list[tuple[str, str]]:
    """[(setting name, problem)] for stored values that :func:`get` ignores in favour of the default."""
    declared = specs()
    return [(name, found) for name, value in sorted(_stored().items())
            if (found := _stored_problem(declared.get(name), value)) is not None]


def set_many(values: dict) -> dict:
    """Store several settings in one transaction; returns {name: (before, after)} for those changed.

    :raises SettingError: a value its spec refuses; nothing is written then.
    """
    for name, value in values.items():
        spec = _spec(name)
        if spec is not None and (found := problem(spec, value)) is not None:
            raise SettingError(f"{spec.label} ({name}): {found}")
    stored = _stored()
    changed = {}
    with transaction():
        for name, value in values.items():
            before = stored.get(name)
            before = None if before is _UNREADABLE else before
            if before == value:
                continue
            Setting.insert(name=name, value=json.dumps(value)).on_conflict(
                conflict_target=[Setting.name], update={Setting.value: json.dumps(value)}
            ).execute()
            changed[name] = (before, value)
    g.pop("_medoffice_settings", None)
    current_app.extensions.pop(SHARED_CACHE, None)  # this request's version predates the change
    return changed


def practice_timezone() -> zoneinfo.ZoneInfo:
    """The practice's time zone (setting ``core.timezone``)."""
    return zoneinfo.ZoneInfo(get("core.timezone", DEFAULT_TIMEZONE))


def today() -> dt.date:
    """Today's date where the practice is."""
    return dt.datetime.now(practice_timezone()).date()

"""Parts of finance's pages that are the same for everyone who may see them (a form with its choices, a record's
details), rendered once and kept per process until their data changes (``medoffice.data_versions``), the request's
CSRF token put in on every view."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import request
from medoffice import dates, prepared
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import kept
from medoffice.models import Location
from medoffice.web import shell

_LOCATIONS = Location.select(Location.id, Location.name).where(Location.active).order_by(Location.name).tuples()


def kept_part(keys: tuple[str, ...], arguments: tuple[Hashable, ...], build: Callable[[], Any]) -> Any:
    """``build()`` kept until one of the data versions ``keys`` or the access version (users, roles, the settings:
    the date format) moves, for ``arguments`` and what any rendered HTML depends on besides: the date pattern, the
    links' root and the plugin state (templates, a theme)."""
    from medoffice.app import medoffice_runtime  # the app module imports the plugins

    return kept((*keys, ACCESS_KEY),
                (*arguments, dates.pattern(), request.script_root, medoffice_runtime().host.state_version), build)


def slotted(html: str) -> str:
    """HTML rendered in this request, its CSRF token (in every form it holds) left as a slot to be kept."""
    return str(html).replace(shell.csrf_token(), shell.CSRF_SLOT)


def active_locations() -> tuple[tuple[int, str], ...]:
    """The active locations (id, name) by name, read on every view: core's locations have no data version, so a kept
    part that offers them takes them among its arguments."""
    return tuple(prepared.run(_LOCATIONS, "finance.active_locations").cursor)

"""The parts of HR's detail and form pages that are the same for everyone who sees them with the same permissions (a
file, a timesheet, a review, their forms), rendered once and kept per process until their data changes
(``medoffice.data_versions``), the request's CSRF token put in on every view."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from flask import request
from medoffice import dates
from medoffice.auth.access_version import KEY as ACCESS_KEY
from medoffice.data_versions import kept
from medoffice.web import shell


def kept_part(keys: tuple[str, ...], arguments: tuple[Hashable, ...], build: Callable[[], Any]) -> Any:
    """``build()`` kept until one of the data versions ``keys`` or the access version (users, roles, the settings:
    the date format) moves, for ``arguments`` (the record, the permissions the part depends on) and what any rendered
    HTML depends on besides: the date pattern, the links' root and the plugin state (templates, a theme)."""
    from medoffice.app import medoffice_runtime  # the app module imports the plugins

    return kept((*keys, ACCESS_KEY),
                (*arguments, dates.pattern(), request.script_root, medoffice_runtime().host.state_version), build)


def slotted(html: str) -> str:
    """HTML rendered in this request, its CSRF token (in every form it holds) left as a slot to be kept."""
    return str(html).replace(shell.csrf_token(), shell.CSRF_SLOT)

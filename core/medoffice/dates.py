"""Dates as the practice writes them (setting ``core.date_format``): ISO 2026-12-03 (the default),
US 12/03/2026 or day first 03/12/2026, in tables, pages and the date typed into a text box.

Only what people read and type follows the setting: stored values, URLs, ``<input type=date>``
(which always submits ISO; the browser shows it in its own locale) and CSV exports stay ISO, so
files read the same by any program whatever the practice chose.
"""
from __future__ import annotations

import datetime as dt
import re

from .contributions import SettingSpec

SETTING = "core.date_format"
FORMATS = {"iso": "%Y-%m-%d", "us": "%m/%d/%Y", "day_first": "%d/%m/%Y"}
LABELS = {"iso": "2026-12-03 (year-month-day, ISO)", "us": "12/03/2026 (month/day/year, US)",
          "day_first": "03/12/2026 (day/month/year)"}
HINTS = {"iso": "YYYY-MM-DD", "us": "MM/DD/YYYY", "day_first": "DD/MM/YYYY"}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def settings() -> list[SettingSpec]:
    """The date format setting (declared by core)."""
    return [SettingSpec(SETTING, "Date format", kind="choice", default="iso", choices=tuple(LABELS.items()),
                        help="How dates are shown in tables and pages, and read when typed into a search box. "
                             "CSV exports always use 2026-12-03.")]


def chosen() -> str:
    """The practice's date format key (``iso``, ``us`` or ``day_first``)."""
    from flask import has_app_context

    from . import settings as practice_settings  # (settings imports the models; this module is imported early)

    found = practice_settings.get(SETTING, "iso") if has_app_context() else "iso"
    return found if found in FORMATS else "iso"


def pattern() -> str:
    """The ``strftime`` pattern of the practice's date format."""
    return FORMATS[chosen()]


def hint() -> str:
    """How to type a date in the practice's format, for a placeholder ("MM/DD/YYYY")."""
    return HINTS[chosen()]


def format_date(value: dt.date | dt.datetime | None, empty: str = "") -> str:
    """A date in the practice's format (a timestamp's own date: convert it to local time first); ``empty`` for None."""
    if value is None:
        return empty
    return value.strftime(pattern())


def parse_typed(text: str) -> dt.date | None:
    """A date typed as YYYY-MM-DD or, with slashes, in the practice's order (day first when the
    practice writes dates day first, else month first); None for anything else or an impossible date."""
    text = text.strip()
    try:
        found = _ISO.match(text)
        if found:
            year, month, day = (int(part) for part in found.groups())
            return dt.date(year, month, day)
        found = _SLASHED.match(text)
        if found:
            first, second, year = (int(part) for part in found.groups())
            day, month = (first, second) if chosen() == "day_first" else (second, first)
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None

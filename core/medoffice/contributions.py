"""The small, immutable records that plugins return from hooks.

Hooks return data, never HTML: core owns the markup, so a template change in core never
breaks a plugin and two plugins can never clobber each other's page fragments.
Every name a plugin contributes (permission, job, report, setting, widget) is prefixed
with the plugin's own name and a dot, e.g. ``billing.claims.view``.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from .money import format_cents


@dataclass(frozen=True)
class PluginInfo:
    """Metadata a plugin module declares as ``PLUGIN = PluginInfo(...)``.

    ``requires`` are hard dependencies (enabled together, refuse to disable underneath);
    ``uses`` are soft ones (ordered first when present, never required).
    """

    name: str
    title: str
    version: str = "0.0.0"
    description: str = ""
    requires: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Permission:
    """A permission a plugin declares, with the seeded roles that get it by default.

    ``break_glass`` marks a permission that only reads patient records: emergency (break-glass)
    access adds exactly these to its user's own, and only for reading requests (GET). Never mark
    a permission that changes anything or administers the office; every route it protects must
    be read-only (the plugin contract test checks).
    """

    name: str
    title: str
    description: str = ""
    default_roles: tuple[str, ...] = ("admin",)
    break_glass: bool = False


@dataclass(frozen=True)
class NavItem:
    """One entry in the main navigation, grouped under ``group``."""

    title: str
    endpoint: str
    permission: str
    group: str = ""
    order: int = 100
    icon: str = ""


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: ``func()`` runs with a database connection open and returns a message.

    ``trigger`` is ``"cron"`` or ``"interval"``; ``schedule`` holds APScheduler trigger kwargs.
    """

    id: str
    title: str
    func: Callable[[], str | None]
    trigger: str = "cron"
    schedule: dict[str, Any] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class ReportParam:
    """A typed report parameter. ``kind``: date, choice, text, int, location, provider, bool.

    ``default`` and ``choices`` may be callables, evaluated each time the form is built
    (e.g. ``default=lambda: settings.today()``). Names ``run``, ``sort`` and ``desc`` are reserved.
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    default: Any = None
    choices: Sequence[tuple[str, str]] | Callable[[], Sequence[tuple[str, str]]] = ()


@dataclass(frozen=True)
class Column:
    """A report column. ``kind``: text, int, cents, date, percent (percent holds basis points)."""

    key: str
    label: str
    kind: str = "text"


@dataclass(frozen=True)
class ChartSpec:
    """A chart drawn from the result rows: ``kind`` bar, line, pie or stacked_bar.

    ``x`` names the column used for labels, ``series`` the numeric columns plotted.
    """

    kind: str
    x: str
    series: tuple[str, ...]
    title: str = ""


@dataclass(frozen=True)
class ReportResult:
    """What a report's run function returns. ``totals`` maps column keys to values."""

    columns: Sequence[Column]
    rows: Sequence[dict[str, Any]]
    totals: dict[str, Any] = field(default_factory=dict)
    chart: ChartSpec | None = None
    notes: str = ""


@dataclass(frozen=True)
class ReportSpec:
    """A report: ``run(**params)`` receives parsed parameter values and returns ReportResult.

    ``check(**params)``, when given, validates parameters together (e.g. a date range) and
    returns ``{param name: message}`` for the problems found (empty when they are fine).
    """

    id: str
    title: str
    permission: str
    run: Callable[..., ReportResult]
    description: str = ""
    params: Sequence[ReportParam] = ()
    category: str = ""
    check: Callable[..., dict[str, str]] | None = None


@dataclass(frozen=True)
class Widget:
    """A dashboard widget; core loads ``endpoint`` lazily into a card (the endpoint returns a fragment)."""

    id: str
    title: str
    endpoint: str
    permission: str
    order: int = 100
    width: int = 1


@dataclass(frozen=True)
class WorkItem:
    """One line of the Today queue. Lower ``urgency`` sorts first (0 = overdue/critical)."""

    title: str
    url: str
    permission: str
    urgency: int = 50
    count: int | None = None
    due: dt.date | None = None
    detail: str = ""
    source: str = ""
    count_is_floor: bool = False  # "at least count": the plugin stopped counting there (see count_upto)


NUMERIC_SETTING_KINDS = ("int", "cents")


@dataclass(frozen=True)
class SettingSpec:
    """A practice-level setting a plugin owns. ``kind``: text, int, bool, choice, cents, markdown.

    The settings page shows settings in sections, each saved on its own: ``section`` names the
    setting's (settings naming the same section share it), else the plugin's title.

    A numeric setting (``int``, ``cents``) must declare its range: ``minimum`` and ``maximum``
    (whole numbers; cents for ``cents``), both included. Saving a value outside it is refused,
    and a stored value outside it (or of the wrong type) is read as the default.
    """

    name: str
    label: str
    kind: str = "text"
    default: Any = None
    help: str = ""
    choices: Sequence[tuple[str, str]] = ()
    minimum: int | None = None
    maximum: int | None = None
    check: Callable[[Any], str | None] | None = None  # a further rule: why a value of the kind is refused
    section: str = ""  # the settings page's section (its own form and Save); default: the plugin's title

    def __post_init__(self):
        if isinstance(self.default, str) and self.default != self.default.strip():
            # the settings form saves text stripped: an untouched form must not differ from the default
            object.__setattr__(self, "default", self.default.strip())
        if self.kind in NUMERIC_SETTING_KINDS:
            if not (isinstance(self.minimum, int) and isinstance(self.maximum, int) and self.minimum <= self.maximum):
                raise ValueError(f"setting {self.name!r} is numeric ({self.kind}): declare its range with "
                                 f"minimum= and maximum= (whole numbers, minimum <= maximum)")
        elif self.minimum is not None or self.maximum is not None:
            raise ValueError(f"setting {self.name!r}: only int and cents settings take a range")
        if self.default is not None and self.problem(self.default):
            raise ValueError(f"setting {self.name!r}: the default {self.default!r} is invalid: "
                             f"{self.problem(self.default)}")

    def problem(self, value: Any) -> str | None:
        """Why ``value`` cannot be this setting's value (a sentence for the user), or None when it can."""
        found = self._kind_problem(value)
        if found is None and self.check is not None:
            found = self.check(value)
        return found

    def _kind_problem(self, value: Any) -> str | None:
        if self.kind in NUMERIC_SETTING_KINDS:
            if not isinstance(value, int) or isinstance(value, bool):
                return "Enter a whole number." if self.kind == "int" else "Enter an amount such as 25.00."
            if not self.minimum <= value <= self.maximum:
                if self.kind == "int":
                    return f"Use a whole number from {self.minimum:,} to {self.maximum:,}."
                return f"Use an amount from {format_cents(self.minimum)} to {format_cents(self.maximum)}."
            return None
        if self.kind == "bool":
            return None if isinstance(value, bool) else "Use true or false."
        if self.kind == "choice" and self.choices:
            return None if value in {v for v, _ in self.choices} else "Choose one of the listed options."
        return None if isinstance(value, str) else "Enter text."


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one ``medoffice doctor`` check. ``status``: ok, warn or fail."""

    name: str
    status: str
    message: str = ""


@dataclass(frozen=True)
class DemoContext:
    """Passed to demo-data hooks: the size ("small" or "large") and a seeded random generator."""

    size: str
    rng: Any
    today: dt.date

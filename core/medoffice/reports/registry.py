"""The reports registry: reports of enabled plugins, who may see them, and running one."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from ..auth.access import can
from ..contributions import ReportResult, ReportSpec
from ..db import utcnow

GENERAL = "General"


def all_reports() -> list[ReportSpec]:
    """Reports contributed by every enabled plugin, by category and title."""
    host = current_app.extensions["medoffice"].host
    return sorted(host.call("medoffice_reports"), key=lambda r: (r.category or GENERAL, r.title))


def visible_reports() -> list[ReportSpec]:
    """The reports the current user holds the permission for."""
    return [r for r in all_reports() if can(r.permission)]


def find(report_id: str) -> ReportSpec | None:
    """The report with this id among enabled plugins' reports, or None."""
    return next((r for r in all_reports() if r.id == report_id), None)


def grouped(reports: list[ReportSpec]) -> list[tuple[str, list[ReportSpec]]]:
    """Reports grouped by category (uncategorized ones under "General"), in order."""
    groups: dict[str, list[ReportSpec]] = {}
    for report in reports:
        groups.setdefault(report.category or GENERAL, []).append(report)
    return list(groups.items())


@dataclass(frozen=True)
class ReportRun:
    """One run of a report: its parameters, result, row order and when it ran (aware UTC)."""

    spec: ReportSpec
    values: dict
    result: ReportResult
    rows: list[dict]
    sort: str | None
    desc: bool
    at: dt.datetime


def _sort_key(value):
    # None sorts last in either direction's natural reading; text ignores case.
    if isinstance(value, str):
        return (value == "", value.casefold())
    return (value is None, value if value is not None else 0)


def execute(spec: ReportSpec, values: dict, sort: str | None = None, desc: bool = False) -> ReportRun:
    """Run ``spec`` with parsed ``values`` and order its rows by column ``sort``.

    An unknown ``sort`` keeps the report's own order. Result sets are report-sized (the
    report's SQL did the aggregation), so ordering them here is cheap.
    :raises TypeError: the report's run function did not return a ``ReportResult``.
    """
    result = spec.run(**values)
    if not isinstance(result, ReportResult):
        raise TypeError(f"report {spec.id} returned {type(result).__name__}, not ReportResult")
    rows = list(result.rows)
    if sort not in {c.key for c in result.columns}:
        sort, desc = None, False
    if sort is not None:
        rows.sort(key=lambda row: _sort_key(row.get(sort)), reverse=desc)
    return ReportRun(spec, values, result, rows, sort, desc, utcnow())

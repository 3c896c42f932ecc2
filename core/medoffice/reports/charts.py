"""Report charts drawn by pygal as SVG, embedded as ``data:`` images (allowed by the CSP's img-src).

pygal always writes a config ``<script>`` into the SVG; an XML filter removes every script so
the image is static markup (it is inert inside ``<img>`` anyway, but nothing should rely on that).
"""
from __future__ import annotations

import base64
from decimal import Decimal

import pygal
from pygal.style import Style

from ..contributions import ChartSpec, Column
from ..money import cents_to_decimal
from .registry import ReportRun
from .render import cell_text

CHART_TYPES = {"bar": pygal.Bar, "line": pygal.Line, "pie": pygal.Pie, "stacked_bar": pygal.StackedBar}
STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d232b",
    foreground_strong="#1d232b",
    foreground_subtle="#5a6472",
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
    colors=("#1f5fa8", "#e07b39", "#1e6b3a", "#8a5a00", "#7b3fa0", "#b3261e", "#3f8fb0", "#6d6d6d"),
    opacity=".85",
    opacity_hover="1",
)


def _number(column: Column, value) -> int | Decimal | None:
    """A cell as the number plotted: dollars for money, percent for basis points."""
    if value is None:
        return None
    if column.kind in ("cents", "percent"):
        return cents_to_decimal(value)
    return value


def _formatter(column: Column):
    if column.kind == "cents":
        return lambda v: f"${v:,.2f}"
    if column.kind == "percent":
        return lambda v: f"{v:,.2f}%"
    # Axis ticks are floats even for counts: "4", not "4.0"; "0.5" stays.
    return lambda v: f"{int(v):,}" if float(v).is_integer() else f"{v:,.1f}"


def _strip_scripts(root):
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def chart_svg(spec: ChartSpec, columns, rows) -> str:
    """The chart of ``rows`` as SVG text (no XML declaration, no scripts).

    Bars, lines and stacks plot each ``series`` column against the ``x`` labels; a pie takes
    one slice per row from the first series.
    :raises ValueError: unknown chart kind or column key.
    """
    if spec.kind not in CHART_TYPES:
        raise ValueError(f"unknown chart kind {spec.kind!r} (use one of {', '.join(CHART_TYPES)})")
    by_key = {c.key: c for c in columns}
    missing = [k for k in (spec.x, *spec.series) if k not in by_key]
    if missing:
        raise ValueError(f"chart refers to unknown columns: {', '.join(missing)}")
    x_column = by_key[spec.x]
    series = [by_key[k] for k in spec.series]
    chart = CHART_TYPES[spec.kind](
        style=STYLE, title=spec.title or None, js=[], disable_xml_declaration=True,
        value_formatter=_formatter(series[0]), legend_at_bottom=True, x_label_rotation=20,
        print_zeroes=False, width=800, height=400,
    )
    chart.add_xml_filter(_strip_scripts)
    labels = [cell_text(x_column, row.get(spec.x)) for row in rows]
    if spec.kind == "pie":
        for label, row in zip(labels, rows):
            chart.add(label, [_number(series[0], row.get(series[0].key))])
    else:
        chart.x_labels = labels
        for column in series:
            chart.add(column.label, [_number(column, row.get(column.key)) for row in rows])
    return chart.render(is_unicode=True)


def chart_data_uri(run: ReportRun) -> str | None:
    """The run's chart as a ``data:image/svg+xml;base64,...`` URL, or None without chart or rows."""
    chart = run.result.chart
    if chart is None or not run.rows:
        return None
    svg = chart_svg(chart, run.result.columns, run.rows)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")

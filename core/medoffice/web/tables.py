"""Paginated, sortable, searchable tables over a peewee query (counts and pages in SQL).

Counting every row of a large table costs as much as reading it, so a table counts at most
up to ``COUNT_AHEAD`` rows past the page shown and says "1,000+" beyond that: nobody pages through
a hundred thousand claims, they search or sort.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable
from urllib.parse import quote_plus

from flask import Response, request, url_for
from markupsafe import Markup, escape

from .. import dates, prepared
from ..auth.access_version import KEY as ACCESS_KEY
from ..data_versions import kept
from ..csvexport import Cents, CsvWriter
from ..money import format_cents
from ..settings import practice_timezone, today
from .query import page_number

COUNT_AHEAD = 1000
EXPORT_LIMIT = 10_000  # rows in a list's CSV
QUERY_SAFE = "!$'()*,/:;?@"  # what url_for leaves unescaped in a query string (werkzeug's choice)
_URL_SENTINEL = 987_654_321_012


def count_upto(query, limit: int) -> int:
    """The number of rows ``query`` returns, counting no further than ``limit``."""
    return query.order_by().limit(limit).count()


def count_for_page(query, page: int, per_page: int, is_prepared: bool = False, key=None,
                   values: dict | None = None) -> tuple[int, bool]:
    """(rows counted, whether more follow) for showing ``page``: counts to a whole step of
    ``COUNT_AHEAD`` past it, so the label reads "1,000+", "2,000+".

    :param is_prepared: ``query`` has slots filled from ``values``, compiled once per ``key`` (None:
        compiled afresh); see :mod:`medoffice.prepared`.
    """
    limit = (page * per_page // COUNT_AHEAD + 1) * COUNT_AHEAD
    if not is_prepared:
        total = count_upto(query, limit + 1)
    else:
        total = prepared.count_upto(query, key, limit + 1, **(values or {}))
    return min(total, limit), total > limit


def url_template(endpoint: str, param: str, **fixed) -> Callable[[Any], str]:
    """A function of one integer giving ``url_for(endpoint, **{param: value}, **fixed)``.

    The URL is built once and the value spliced in: url_for costs microseconds a call, which a
    page of rows with a link or two each multiplies. Call it per request (URLs depend on it).
    """
    before, after = url_for(endpoint, **{param: _URL_SENTINEL}, **fixed).split(str(_URL_SENTINEL))
    return lambda value: f"{before}{int(value)}{after}"


def count_label(total: int, more: bool, noun: str, noun_plural: str) -> str:
    """A row count as shown: "1 claim", "240 claims", "1,000+ claims"."""
    if more:
        return f"{total:,}+ {noun_plural}"
    return f"{total:,} {noun if total == 1 else noun_plural}"


KINDS = ("text", "date", "datetime", "money", "number", "status", "boolean")
NUMERIC_KINDS = ("money", "number")


@dataclass
class TableColumn:
    """A column: ``sort`` is the SQL expression to order by (None: not sortable).

    ``kind`` formats the value the way core's tables do: ``text`` (as it is), ``date`` (in the
    practice's date format, ``medoffice.dates``; a timestamp shows the practice's date), ``datetime``
    (practice time, "2026-03-01 14:05" with the date so formatted; a list's CSV has both in ISO),
    ``money`` (integer cents as "$1,234.50"), ``number`` ("12,345"), ``status`` (a chip, as
    ``ui.chip``) or ``boolean`` ("Yes"/"No"). ``money`` and ``number`` align right, as ``numeric``
    does. ``value(row)`` gives the value (default: the row's attribute ``key``); ``link(row)``
    the URL the cell links to, or None to show that row's value without a link.
    """

    key: str
    label: str
    sort: Any = None
    numeric: bool = False
    value: Callable[[Any], Any] | None = None
    link: Callable[[Any], str] | None = None
    kind: str = "text"
    export: bool = True  # False: left out of the list's CSV (a checkbox, an action link)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"TableColumn {self.key!r}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.kind in NUMERIC_KINDS:
            self.numeric = True  # the header and cells align right

    @property
    def sortable(self) -> bool:
        """True when the column can be sorted."""
        return self.sort is not None

    def cell_html(self, shown: Callable[[Any], Any] | None = None) -> Callable[[Any], str]:
        """A function of a row giving the column's ``<td>`` (:meth:`cells_html` of one row)."""
        return lambda row: self.cells_html([row], shown)[0]

    def cells_html(self, rows: list, shown: Callable[[Any], Any] | None = None) -> list[str]:
        """The column's ``<td>`` of each row: the value, formatted for its kind and escaped, in a link when one
        is given. Written a column at a time, each step one comprehension over the rows, rather than a cell
        at a time through a chain of calls (a page has hundreds of cells); ``shown`` is the kind's format
        when the table has it already (None: worked out here; a text column's value is shown as it is)."""
        opener = '<td class="num">' if self.numeric else "<td>"
        if self.value is not None:
            values = [self.value(row) for row in rows]
        else:
            key = self.key
            values = [getattr(row, key, "") for row in rows]
        if shown is None and self.kind != "text":
            shown = _formatter(self.kind)
        if shown is None:
            texts = ["" if found is None else _html(found) for found in values]
        else:
            texts = ["" if found is None else _html(shown(found)) for found in values]
        if not self.link:
            return [f"{opener}{text}</td>" for text in texts]
        # A row with nothing to link to (an anonymous answer, a deleted record) shows its text alone.
        return [f"{opener}{text}</td>" if href is None else f'{opener}<a href="{_html(href)}">{text}</a></td>'
                for text, href in zip(texts, map(self.link, rows))]


_NEEDS_ESCAPING = re.compile(r"[&<>'\"]").search  # the characters markupsafe.escape replaces


def _html(found) -> str:
    """``found`` as ``escape`` writes it, without making a ``Markup`` of text that has nothing to escape (names,
    numbers, dates and amounts mostly: most of a table's cells)."""
    if type(found) is str:
        return escape(found) if _NEEDS_ESCAPING(found) else found
    return found if isinstance(found, Markup) else escape(found)


def once_per_value(show: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``show`` of a value, worked out once per distinct value (a page's dates and statuses repeat row after row)."""
    shown: dict = {}

    def cached(value):
        found = shown.get(value, shown)
        if found is shown:
            found = shown[value] = show(value)
        return found
    return cached


def kind_formats(columns: list[TableColumn], date_pattern: str | None = None) -> dict[str, Callable[[Any], Any]]:
    """Each kind's format for a table's columns, made once per table rather than per column (a date format reads
    two settings), dates and times worked out once per value; text has none (shown as it is)."""
    return {kind: once_per_value(_formatter(kind, date_pattern)) if kind in ("date", "datetime")
            else _formatter(kind, date_pattern) for kind in {column.kind for column in columns} - {"text"}}


def _formatter(kind: str, date_pattern: str | None = None) -> Callable[[Any], Any]:
    """How a column of ``kind`` shows a value that is not None (chosen once per table); dates in
    ``date_pattern`` (default: the practice's format)."""
    if kind == "money":
        return format_cents
    if kind == "number":
        return lambda n: f"{n:,}"
    if kind == "boolean":
        return lambda flag: "Yes" if flag else "No"
    if kind == "status":
        chips: dict[Any, Markup] = {}  # a list holds a few statuses over many rows: each chip is built once

        def chip(status) -> Markup:
            found = chips.get(status)
            if found is None:
                found = chips[status] = Markup('<span class="chip chip-{}">{}</span>').format(
                    str(status).replace(" ", "-").lower(), str(status).replace("_", " ").capitalize())
            return found
        return chip
    if kind in ("date", "datetime"):
        zone = practice_timezone()
        day = date_pattern or dates.pattern()
        stamp = f"{day} %H:%M"

        def local(moment):
            if not isinstance(moment, dt.datetime):
                return moment.strftime(day)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)  # stored timestamps are UTC
            moment = moment.astimezone(zone)
            return moment.strftime(day if kind == "date" else stamp)
        return local
    return lambda found: found


@dataclass
class TablePage:
    """One page of a table, built from the request's q/sort/desc/page arguments."""

    id: str
    columns: list[TableColumn]
    rows: list
    total: int  # rows counted; when ``more`` is true, the query has more than this
    page: int
    per_page: int
    sort: str
    desc: bool
    query: str
    endpoint: str
    endpoint_args: dict = field(default_factory=dict)
    noun: str = "row"
    noun_plural: str = "rows"
    search_placeholder: str = "Search"
    empty_message: str = "Nothing here yet."
    more: bool = False
    exported: bool = False  # every row (up to EXPORT_LIMIT), fetched for the list's CSV
    kept: tuple | None = None  # (data version keys, what else the page depends on): see paginate's kept_by

    @property
    def pages(self) -> int:
        """Number of pages counted so far (at least 1; more follow when ``more`` is true)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def total_label(self) -> str:
        """The row count as shown: "1 claim", "240 claims", "1,000+ claims"."""
        return count_label(self.total, self.more, self.noun, self.noun_plural)

    def body(self) -> Markup:
        """The rows as ``<tr>`` HTML, built here because a template loop costs several times more per cell."""
        formats = kind_formats(self.columns)
        columns = [c.cells_html(self.rows, formats.get(c.kind)) for c in self.columns]
        return Markup("\n".join(["<tr>" + "".join(cells) + "</tr>" for cells in zip(*columns)]))

    def html(self) -> Markup:
        """The whole table block (search box, count, header, rows, pager, CSV link) as ``ui.table`` shows it;
        kept with the page's rows when ``paginate`` was given ``kept_by`` (and while settings, the date format
        among them, stay as they are)."""
        if self.kept is None:
            return self._html()
        keys, arguments = self.kept
        return kept((*keys, ACCESS_KEY), ("table html", *arguments), self._html)

    def _html(self) -> Markup:
        """The table block written out.

        The search box sits outside the region a search, sort or page link replaces (#id-results), so
        focus and typing survive the swap; a newer keystroke replaces a request still in flight
        (hx-sync), and the address bar follows the search. The current sort rides along from hidden
        inputs inside the results, so it follows sort clicks. Written here rather than in a template:
        every list page shows one, and the template's loops and calls cost more than the rows.
        """
        id_ = escape(self.id)
        swap = (f'hx-target="#{id_}-results" hx-select="#{id_}-results" hx-swap="outerHTML" '
                f'hx-select-oob="#{id_}-count"')
        placeholder = escape(self.search_placeholder)
        desc_input = '<input type="hidden" name="desc" value="1">' if self.desc else ""
        html = [
            f'<div id="{id_}" class="table-block">\n  <div class="table-tools">\n'
            f'    <input type="search" name="q" value="{escape(self.query)}" placeholder="{placeholder}" '
            f'aria-label="{placeholder}"\n           aria-controls="{id_}-results" autocomplete="off"\n'
            f'           hx-get="{escape(self.url(q=None, sort=None, desc=None, page=None))}" '
            f'hx-trigger="input changed delay:300ms, search"\n'
            f'           {swap} hx-sync="this:replace" hx-replace-url="true" hx-include="#{id_}-state">\n'
            f'    <span class="count" id="{id_}-count" aria-live="polite">{escape(self.total_label)}</span>\n'
            f'  </div>\n  <div id="{id_}-results" class="table-results">\n'
            f'  <span id="{id_}-state" hidden><input type="hidden" name="sort" value="{escape(self.sort)}">'
            f'{desc_input}</span>\n']
        if not self.rows:
            html.append(f'  <p class="empty">{escape(self.empty_message)}</p>\n  </div>\n</div>')
            return Markup("".join(html))
        html.append('  <table class="data">\n    <thead><tr>\n')
        for column in self.columns:
            html.append(self._header_cell(column, swap))
        html.append(f"    </tr></thead>\n    <tbody>\n      {self.body()}\n    </tbody>\n  </table>\n")
        if self.pages > 1:
            html.append('  <nav class="pager" aria-label="Pages">\n')
            if self.page > 1:
                html.append(f'    <a href="{escape(self.url(page=self.page - 1))}" {swap} hx-push-url="true">Previous</a>\n')
            html.append(f"    <span>Page {self.page} of {self.pages}{'+' if self.more else ''}</span>\n")
            if self.page < self.pages:
                html.append(f'    <a href="{escape(self.url(page=self.page + 1))}" {swap} hx-push-url="true">Next</a>\n')
            html.append("  </nav>\n")
        html.append(f'  <p class="table-export"><a href="{escape(self.url(format="csv", page=None))}" hx-boost="false" '
                    f'download>Download the list as CSV</a></p>\n  </div>\n</div>')
        return Markup("".join(html))

    def _header_cell(self, column: TableColumn, swap: str) -> str:
        """A column's ``<th>``: a link that sorts by it (the other way round when it is the current sort)."""
        numeric = "num" if column.numeric else ""
        label = escape(column.label)
        if not column.sortable:
            return f'      <th scope="col" class="{numeric}" >\n        {label}\n      </th>\n'
        current = self.sort == column.key
        order = ("descending" if self.desc else "ascending") if current else "none"
        href = escape(self.url(sort=column.key, desc=current and not self.desc, page=1))
        return (f'      <th scope="col" class="{numeric}" aria-sort="{order}">\n'
                f'        <a href="{href}" {swap} hx-push-url="true">{label}</a>\n      </th>\n')

    def url(self, **changes) -> str:
        """This table's URL with some arguments changed."""
        args = {"q": self.query or None, "sort": self.sort, "desc": int(self.desc) or None,
                "page": self.page if self.page > 1 else None}
        args.update(changes)
        if "desc" in changes:
            args["desc"] = 1 if changes["desc"] else None
        query = "&".join(f"{key}={_query_value(value)}" for key, value in args.items() if value not in (None, ""))
        base = self._base_url
        return f"{base}{'&' if '?' in base else '?'}{query}" if query else base

    @cached_property
    def _base_url(self) -> str:
        # Built once: the header and pager ask for a URL per sortable column and page link, and
        # url_for costs microseconds a call. The arguments then follow in url_for's order and encoding.
        return url_for(self.endpoint, **self.endpoint_args)


_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_.\-~]*").fullmatch  # what quote_plus leaves as it is


def _query_value(value) -> str:
    """``value`` in a query string as ``urlencode(..., safe=QUERY_SAFE)`` writes it: the sort key, page and flags
    of a table's links need no quoting, so only a search text pays for ``quote_plus``."""
    text = str(value)
    return text if _PLAIN_VALUE(text) else quote_plus(text, safe=QUERY_SAFE)


def csv_cell(column: TableColumn) -> Callable[[Any], Any]:
    """A function of a row giving the column's CSV cell, typed by its kind (money as ``Cents``, numbers as
    numbers, dates in the practice's zone in ISO whatever the practice's date format, markup as its text)."""
    value = column.value or (lambda row, key=column.key: getattr(row, key, ""))
    shown = _formatter(column.kind, dates.FORMATS["iso"])
    if column.kind == "money":
        return lambda row: None if (found := value(row)) is None else Cents(int(found))
    if column.kind == "number":
        return value
    if column.kind in ("date", "datetime", "boolean"):
        return lambda row: None if (found := value(row)) is None else shown(found)

    def text(row):
        found = value(row)
        if isinstance(found, Markup):
            return found.striptags()
        return "" if found is None else str(found)
    return text


def csv_response(table: TablePage, title: str) -> Response:
    """The table's rows as a CSV download, written by ``medoffice.csvexport`` (formula-safe text, typed
    numbers), with the columns the page shows but those marked ``export=False``."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer)
    columns = [c for c in table.columns if c.export]
    writer.writerow([c.label for c in columns])
    cells = [csv_cell(c) for c in columns]
    for row in table.rows:
        writer.writerow([cell(row) for cell in cells])
    name = "-".join(re.findall(r"[a-z0-9]+", title.lower()))[:60] or "list"
    return Response(buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-{today().isoformat()}.csv"'})


def paginate(query, *, id: str, columns: list[TableColumn], search: Callable[[str], Any] | None,
             default_sort: str, endpoint: str, per_page: int = 25, endpoint_args: dict | None = None,
             key=None, values: dict | None = None, count_query=None, kept_by: str | tuple[str, ...] | None = None,
             kept_with: tuple = (), attach: Callable[[list], Any] | None = None, **labels) -> TablePage:
    """Apply the request's search, sort and page to ``query`` and fetch one page.

    :param search: builds a WHERE expression from the search text (None: no search box).
    :param key: for a list shown often, ``query`` is built with :func:`medoffice.prepared.slot`
        placeholders filled from ``values``, and ``key`` names its shape (what else changes its SQL,
        such as the tab): the page and count queries are then compiled once per sort, not per request.
        A search runs unprepared (its pattern is part of the expression).
    :param count_query: what to count instead of ``query`` when nothing is searched: the same rows
        without the joins that only add columns (a kept worklist table alone, rather than joined to
        every claim), with the same slots. A search counts ``query``, whose joins it may need.
    :param kept_by: the data versions (``medoffice.data_versions``) covering every table the list reads,
        for a prepared list (``key``): its page of rows, its count and its HTML are then kept per process,
        per search, sort, page and ``values``, until one of them (or a user, role or setting) changes. The
        columns' values and links must then depend only on the row and on data those versions cover, and the view
        must not put anything of its own request on the rows (they are shared by the requests that follow): what
        other tables say of a row goes on it through ``attach``.
    :param kept_with: with ``kept_by``, what else the kept rows or HTML depend on (hashable): the day a clock
        column counts from, a permission that decides whether a column links.
    :param attach: puts on the fetched rows what other tables say of them (a patient's name, a visit's charges),
        in a query or two for the page; with ``kept_by`` it runs before the rows are kept, so the versions must
        cover those tables too.

    With ``?format=csv`` it fetches every row (up to ``EXPORT_LIMIT``) in the same order instead of a
    page, and ``render_page`` answers with them as CSV (``csv_response``): every list can be exported.
    """
    text = (request.args.get("q") or "").strip()[:100]
    by_key = {c.key: c for c in columns}
    sort = request.args.get("sort", default_sort)
    if sort not in by_key or not by_key[sort].sortable:
        sort = default_sort
    desc = request.args.get("desc") == "1"
    page = page_number()
    is_prepared, values, shape = key is not None, dict(values or {}), key
    counted, count_key = query, key
    if text and search is not None:
        query = counted = query.where(search(text))
        key = count_key = None  # the pattern is part of the expression: compiled afresh, not cached
    elif count_query is not None:
        counted, count_key = count_query, key and (key, "count_query")
    expr = by_key[sort].sort

    def fetch(number: int, size: int = per_page) -> list:
        ordered = query.order_by(expr.desc() if desc else expr.asc())
        if not is_prepared:
            return list(ordered.paginate(number, size))
        paged = ordered.limit(prepared.slot("_limit")).offset(prepared.slot("_offset"))
        return list(prepared.run(paged, key and (key, sort, desc), _limit=size,
                                 _offset=(number - 1) * size, **values))

    if request.args.get("format") == "csv":
        rows = fetch(1, EXPORT_LIMIT)
        if attach is not None:
            attach(rows)
        return TablePage(id=id, columns=columns, rows=rows, total=len(rows), page=1, per_page=EXPORT_LIMIT,
                         sort=sort, desc=desc, query=text, endpoint=endpoint, endpoint_args=endpoint_args or {},
                         exported=True, **labels)
    def read(page: int) -> tuple[list, int, int, bool]:
        rows = fetch(1) if page == 1 else None
        if rows is not None and len(rows) < per_page:
            total, more = len(rows), False  # a first page that is not full has counted itself
        else:
            total, more = count_for_page(counted, page, per_page, is_prepared, count_key, values)
            page = min(page, max(1, math.ceil(total / per_page)))
            if rows is None or page != 1:
                rows = fetch(page)
        if attach is not None:
            attach(rows)
        return rows, total, page, more

    found = None
    if kept_by is not None and is_prepared:
        keys = (kept_by,) if isinstance(kept_by, str) else tuple(kept_by)
        found = (keys, (id, endpoint, shape, text, sort, desc, page, per_page, tuple(sorted(values.items())),
                        tuple(sorted((endpoint_args or {}).items())), kept_with))
        # settings too: a search reads typed dates in the practice's format
        rows, total, page, more = kept((*keys, ACCESS_KEY), ("table rows", *found[1]), lambda: read(page))
    else:
        rows, total, page, more = read(page)
    return TablePage(id=id, columns=columns, rows=rows, total=total, page=page, per_page=per_page,
                     sort=sort, desc=desc, query=text, endpoint=endpoint,
                     endpoint_args=endpoint_args or {}, more=more, kept=found, **labels)

"""Paginated, sortable, searchable tables over a peewee query (counts and pages in SQL).

Counting every row of a large table costs as much as reading it, so a table counts at most
up to ``COUNT_AHEAD`` rows past the page shown and says "1,000+" beyond that: nobody pages through
a hundred thousand claims, they search or sort.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable
from urllib.parse import urlencode

from flask import request, url_for
from markupsafe import Markup, escape

from .. import prepared

COUNT_AHEAD = 1000
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


@dataclass
class TableColumn:
    """A column: ``sort`` is the SQL expression to order by (None: not sortable)."""

    key: str
    label: str
    sort: Any = None
    numeric: bool = False
    value: Callable[[Any], Any] | None = None
    link: Callable[[Any], str] | None = None

    @property
    def sortable(self) -> bool:
        """True when the column can be sorted."""
        return self.sort is not None

    def cell_html(self) -> Callable[[Any], str]:
        """A function of a row giving the column's ``<td>``: the value, escaped, in a link when one is
        given. The column's choices are made once per table, not once per cell (a page has hundreds)."""
        opener = '<td class="num">' if self.numeric else "<td>"
        value = self.value or (lambda row, key=self.key: getattr(row, key, ""))
        link = self.link

        def text(row) -> str:
            found = value(row)
            return "" if found is None else escape(found)

        if link:
            return lambda row: f'{opener}<a href="{escape(link(row))}">{text(row)}</a></td>'
        return lambda row: f"{opener}{text(row)}</td>"


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
        cells = [c.cell_html() for c in self.columns]
        return Markup("\n".join(["<tr>" + "".join([cell(row) for cell in cells]) + "</tr>" for row in self.rows]))

    def url(self, **changes) -> str:
        """This table's URL with some arguments changed."""
        args = {"q": self.query or None, "sort": self.sort, "desc": int(self.desc) or None,
                "page": self.page if self.page > 1 else None}
        args.update(changes)
        if "desc" in changes:
            args["desc"] = 1 if changes["desc"] else None
        query = urlencode([(k, v) for k, v in args.items() if v not in (None, "")], safe=QUERY_SAFE)
        base = self._base_url
        return f"{base}{'&' if '?' in base else '?'}{query}" if query else base

    @cached_property
    def _base_url(self) -> str:
        # Built once: the header and pager ask for a URL per sortable column and page link, and
        # url_for costs microseconds a call. The arguments then follow in url_for's order and encoding.
        return url_for(self.endpoint, **self.endpoint_args)


def paginate(query, *, id: str, columns: list[TableColumn], search: Callable[[str], Any] | None,
             default_sort: str, endpoint: str, per_page: int = 25, endpoint_args: dict | None = None,
             key=None, values: dict | None = None, **labels) -> TablePage:
    """Apply the request's search, sort and page to ``query`` and fetch one page.

    :param search: builds a WHERE expression from the search text (None: no search box).
    :param key: for a list shown often, ``query`` is built with :func:`medoffice.prepared.slot`
        placeholders filled from ``values``, and ``key`` names its shape (what else changes its SQL,
        such as the tab): the page and count queries are then compiled once per sort, not per request.
        A search runs unprepared (its pattern is part of the expression).
    """
    text = (request.args.get("q") or "").strip()[:100]
    by_key = {c.key: c for c in columns}
    sort = request.args.get("sort", default_sort)
    if sort not in by_key or not by_key[sort].sortable:
        sort = default_sort
    desc = request.args.get("desc") == "1"
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    is_prepared, values = key is not None, dict(values or {})
    if text and search is not None:
        query = query.where(search(text))
        key = None  # the pattern is part of the expression: compiled afresh, not cached
    expr = by_key[sort].sort
    ordered = query.order_by(expr.desc() if desc else expr.asc())

    def fetch(number: int) -> list:
        if not is_prepared:
            return list(ordered.paginate(number, per_page))
        paged = ordered.limit(prepared.slot("_limit")).offset(prepared.slot("_offset"))
        return list(prepared.run(paged, key and (key, sort, desc), _limit=per_page,
                                 _offset=(number - 1) * per_page, **values))

    rows = fetch(1) if page == 1 else None
    if rows is not None and len(rows) < per_page:
        total, more = len(rows), False  # a first page that is not full has counted itself
    else:
        total, more = count_for_page(query, page, per_page, is_prepared, key, values)
        page = min(page, max(1, math.ceil(total / per_page)))
        if rows is None or page != 1:
            rows = fetch(page)
    return TablePage(id=id, columns=columns, rows=rows, total=total, page=page, per_page=per_page,
                     sort=sort, desc=desc, query=text, endpoint=endpoint,
                     endpoint_args=endpoint_args or {}, more=more, **labels)

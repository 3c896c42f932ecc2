"""What marketing's views share: who is acting, finding a patient by account number, the form page."""
from __future__ import annotations

from collections import namedtuple

import peewee as pw
from flask_login import current_user
from medoffice.models import Patient
from medoffice.web.shell import render_page


def username() -> str:
    """The logged-in user's name, for ``created_by`` columns."""
    return current_user.username


def patient_by_account(account: str) -> Patient | None:
    """The active, unmerged patient with this account number, or None."""
    account = (account or "").strip()
    if not account:
        return None
    return Patient.get_or_none((Patient.account_number == account) & Patient.merged_into_id.is_null())


def form_page(form, title: str, crumbs: list, *, submit: str = "Save", cancel: str | None = None, intro: str = "",
              status: int | None = None):
    """A page holding one form; 422 when it has errors."""
    page = render_page("marketing/form.html", title=title, form=form, submit=submit, cancel=cancel, intro=intro,
                       breadcrumbs=[*crumbs, (title, None)])
    return page, status or (422 if form.errors else 200)


class _NewestFirst:
    """A table sort on a (not null) date column, reversed: ascending lists the newest first. It orders by the
    column itself, so the column's index serves a page without sorting every row."""

    def __init__(self, date_column):
        self.column = date_column

    def asc(self):
        """Newest first."""
        return self.column.desc()

    def desc(self):
        """Oldest first."""
        return self.column.asc()


def newest_first(date_column) -> _NewestFirst:
    """A sort that lists the newest dates first when sorted ascending (the lists' default)."""
    return _NewestFirst(date_column)


class _PlainRows(pw.CursorWrapper):
    """A query's rows as one fixed named tuple class, made straight from the cursor's values: peewee's
    ``namedtuples()`` builds a new tuple class on every run and calls a converter per value."""

    def __init__(self, cursor, row):
        super().__init__(cursor)
        self.row = row

    def __iter__(self):
        self.fill_cache()
        return iter(self.row_cache)

    def fill_cache(self, n=0):
        """Fetch every row at once (a list's page)."""
        if not self.populated:
            self.row_cache = list(map(self.row._make, self.cursor.fetchall()))
            self.count, self.populated = len(self.row_cache), True
            self.cursor.close()


class PlainSelect(pw.ModelSelect):
    """A select whose rows are ``row`` named tuples of the cursor's values as they come (no conversion: a date
    column reads as text on SQLite), unless ``.tuples()``/``.dicts()`` asks otherwise."""

    row = None

    def _get_cursor_wrapper(self, cursor):
        if self._row_type is None and self.row is not None:
            return _PlainRows(cursor, self.row)
        return super()._get_cursor_wrapper(cursor)


def plain_select(model, *columns) -> PlainSelect:
    """``model.select(*columns)`` giving plain named tuples, named after each column's alias or name."""
    query = PlainSelect(model, columns)
    query.row = namedtuple("Row", [getattr(c, "_alias", None) or c.name for c in columns])
    return query

"""What marketing's views share: who is acting, finding a patient by account number, the form page."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_login import current_user
from medoffice.models import Patient
from medoffice.web.kept import kept_form
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


def blank_form_page(keys: tuple[str, ...], arguments: tuple, make_form: Callable[[], Any], title: str, crumbs: list,
                    *, submit: str = "Save", cancel: str | None = None):
    """``form_page`` of a form not yet submitted, drawn once and kept (``medoffice.web.kept.kept_form``: ``keys`` and
    ``arguments`` are what its values and choices come from)."""
    form_html = kept_form(keys, arguments, make_form, submit=submit, cancel=cancel)
    return render_page("marketing/form.html", title=title, form_html=form_html, breadcrumbs=[*crumbs, (title, None)])


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

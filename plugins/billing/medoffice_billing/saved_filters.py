"""Saved filters: a user names the view of a billing list they are looking at (its filters, sort and
search, as the query string) and opens it again from the list. Each user sees only their own."""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from medoffice import prepared
from medoffice.data_versions import kept
from medoffice.db import transaction
from medoffice.prepared import slot

from .models import SAVED_FILTERS, SavedFilter

# The lists a view can be saved for: the page key, and its endpoint.
PAGES = {"claims": "billing.claims", "worklists": "billing.worklists", "denials": "billing.denials",
         "underpayments": "billing.underpayments_page"}
MAX_PER_PAGE = 30


class SavedFilterError(ValueError):
    """A saved filter was refused; the message says why."""


def clean_query(query: str) -> str:
    """The query string to keep: every argument but the page number and the CSV format, re-encoded."""
    pairs = [(k, v) for k, v in parse_qsl(query or "", keep_blank_values=False) if k not in ("page", "format")]
    return urlencode(pairs)[:500]


_SAVED = (SavedFilter.select(SavedFilter.id, SavedFilter.name, SavedFilter.query)
          .where((SavedFilter.user_id == slot("user_id")) & (SavedFilter.page == slot("page")))
          .order_by(SavedFilter.name))


def saved(user_id: int, page: str) -> list[SavedFilter]:
    """The user's saved views of a list, by name (id, name and query: what a list page shows)."""
    return kept(SAVED_FILTERS.key, ("saved filters", user_id, page),
                lambda: list(prepared.run(_SAVED, "billing.saved_filters", user_id=user_id, page=page)))


def save(user_id: int, page: str, name: str, query: str) -> SavedFilter:
    """Save (or replace, by name) the user's view of a list."""
    if page not in PAGES:
        raise SavedFilterError("That list cannot keep saved filters.")
    name = " ".join((name or "").split())
    if not name or len(name) > 60:
        raise SavedFilterError("Name the filter (at most 60 characters).")
    query = clean_query(query)
    with transaction():
        mine = SavedFilter.select().where((SavedFilter.user_id == user_id) & (SavedFilter.page == page))
        if mine.count() >= MAX_PER_PAGE and not mine.where(SavedFilter.name == name).exists():
            raise SavedFilterError(f"Keep at most {MAX_PER_PAGE} saved filters per list: remove one first.")
        SavedFilter.insert(user_id=user_id, page=page, name=name, query=query).on_conflict(
            conflict_target=[SavedFilter.user_id, SavedFilter.page, SavedFilter.name],
            update={SavedFilter.query: query}).execute()
    return SavedFilter.get((SavedFilter.user_id == user_id) & (SavedFilter.page == page) & (SavedFilter.name == name))


def delete(user_id: int, filter_id: int) -> bool:
    """Remove one of the user's saved filters (another user's is left alone); True when one went."""
    return bool(SavedFilter.delete().where((SavedFilter.id == filter_id) & (SavedFilter.user_id == user_id)).execute())

"""The books' setup: cash or accrual basis, fixed once anything is posted."""
from __future__ import annotations

import datetime as dt

from medoffice import audit, prepared
from medoffice.db import transaction, utcnow
from peewee import SQL

from .models import Books, JournalEntry

BASES = {"accrual": "Accrual: charges book receivables and revenue; payments and adjustments reduce them",
         "cash": "Cash: revenue is booked when money arrives; charges and adjustments are not booked"}


class BooksError(ValueError):
    """A change to the books' setup that is refused, with the reason."""


_BOOKS = Books.select().order_by(Books.id).limit(1)
_POSTED = JournalEntry.select(SQL("1")).where(JournalEntry.status == "posted").limit(1)


def books() -> Books:
    """The setup row (the seed migration writes it)."""
    for row in prepared.run(_BOOKS, "finance.books"):
        return row
    raise Books.DoesNotExist("The books' setup row is missing: the finance migrations have not run.")


def basis() -> str:
    """``accrual`` or ``cash``."""
    return books().basis


def anything_posted() -> bool:
    """True once any entry is posted (the basis is then fixed)."""
    return prepared.scalar(_POSTED, "finance.anything_posted") is not None


def set_up(new_basis: str, opened_on: dt.date | None) -> Books:
    """Choose the basis and the opening date; the basis only while nothing is posted (audited)."""
    if new_basis not in BASES:
        raise BooksError("Choose cash or accrual.")
    with transaction():
        row = books()
        if new_basis != row.basis and anything_posted():
            raise BooksError("The basis is fixed once entries are posted: the books would mix the two.")
        changes = {k: {"before": str(getattr(row, k)), "after": str(v)}
                   for k, v in (("basis", new_basis), ("opened_on", opened_on)) if getattr(row, k) != v}
        if changes:
            Books.update(basis=new_basis, opened_on=opened_on, updated_at=utcnow()).where(Books.id == row.id).execute()
            audit.record("finance.books.update", "finance_books", row.id, detail={"changes": changes})
    return books()

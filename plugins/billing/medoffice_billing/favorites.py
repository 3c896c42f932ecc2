"""Each provider's favourite ICD-10-CM codes: charge entry offers them first on their encounters."""
from __future__ import annotations

from medoffice import audit
from medoffice.db import transaction

from . import icd10
from .models import ProviderFavorite

MAX_FAVORITES = 60


class FavoriteError(ValueError):
    """A favourite was refused (no such code, not billable, too many)."""


def favorites(staff_id: int | None) -> list[icd10.Code]:
    """The provider's favourite codes, in code order (none without a provider)."""
    if not staff_id:
        return []
    codes = [code for (code,) in ProviderFavorite.select(ProviderFavorite.code)
             .where(ProviderFavorite.staff_id == staff_id).order_by(ProviderFavorite.code).tuples()]
    return [found for code in codes if (found := icd10.find(code)) is not None]


def add(staff_id: int, code: str) -> icd10.Code:
    """Make a billable code one of the provider's favourites; audited."""
    found = icd10.find(code)
    if found is None or not found.billable:
        raise FavoriteError("Only a billable ICD-10-CM code can be a favourite.")
    with transaction():
        if ProviderFavorite.select().where(ProviderFavorite.staff_id == staff_id).count() >= MAX_FAVORITES:
            raise FavoriteError(f"A provider keeps at most {MAX_FAVORITES} favourites: remove one first.")
        ProviderFavorite.insert(staff_id=staff_id, code=found.code).on_conflict_ignore().execute()
        audit.record("billing.favorite.add", "core_staff", staff_id, detail={"code": found.code})
    return found


def remove(staff_id: int, code: str) -> None:
    """Take a code off the provider's favourites; audited."""
    with transaction():
        ProviderFavorite.delete().where((ProviderFavorite.staff_id == staff_id)
                                        & (ProviderFavorite.code == (code or "").upper().replace(".", ""))).execute()
        audit.record("billing.favorite.remove", "core_staff", staff_id, detail={"code": code})

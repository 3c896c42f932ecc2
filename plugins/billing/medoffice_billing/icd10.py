"""ICD-10-CM, the whole code set, from the ``simple-icd-10-cm`` library (the CDC's tabular list).

A diagnosis on a claim must be a billable code: a leaf of the tabular list (E11.9, S72.001A), never
a category or subcategory that has more specific codes below it (E11, S72.001). Codes are stored and
looked up without the dot, as the claims hold them. The library parses the code set when first
imported (a few seconds, some 180 MB): ``medoffice serve`` has it done before its workers start
(``preload``), and anything else (a command, a test) imports it on first use, once per process.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

SEARCH_LIMIT = 20
_CODE_PREFIX = re.compile(r"[A-Z][0-9][0-9A-Z.]{0,6}")


@dataclass(frozen=True)
class Code:
    """An ICD-10-CM code (without the dot), its description, and whether a claim may carry it."""

    code: str
    description: str
    billable: bool

    @property
    def dotted(self) -> str:
        """The code as printed, with the dot after the category (E11.9)."""
        return self.code if len(self.code) <= 3 else f"{self.code[:3]}.{self.code[3:]}"


@functools.cache
def _library():
    import simple_icd_10_cm  # parses the whole code set on import: load it only when a code is looked at

    return simple_icd_10_cm


def preload() -> None:
    """Parse the code set and build the search index now (``medoffice serve``'s ``medoffice_preload``), so the
    first scrub or diagnosis search after a start does not wait two seconds for them."""
    _library()
    _index()


def find(code: str) -> Code | None:
    """The ICD-10-CM code ``code`` (with or without the dot), or None when it is not one."""
    cm = _library()
    text = (code or "").strip().upper()
    if not text or not cm.is_valid_item(text) or cm.is_chapter_or_block(text):
        return None
    return Code(cm.remove_dot(text), cm.get_description(text), cm.is_leaf(text))


def billable_below(code: str, limit: int = 3) -> list[Code]:
    """Up to ``limit`` billable codes under a category, in code order (to suggest a specific code)."""
    cm = _library()
    return [found for child in cm.get_descendants(code) if (found := find(child)) and found.billable][:limit]


@functools.cache
def _index() -> tuple[tuple[str, str, bool], ...]:
    """(code without the dot, description in lower case, billable) of every code, in code order."""
    cm = _library()
    return tuple((code, cm.get_description(code).lower(), cm.is_leaf(code))
                 for code in cm.get_all_codes(with_dots=False) if not cm.is_chapter_or_block(code))


def search(text: str, limit: int = SEARCH_LIMIT) -> list[Code]:
    """Codes whose code starts with ``text`` (E11, E11.6), else whose description holds every word of it
    (billable codes first); at most ``limit``."""
    wanted = (text or "").strip()
    if len(wanted) < 2:
        return []
    cm = _library()
    upper = wanted.upper()
    if _CODE_PREFIX.fullmatch(upper):
        prefix = upper.replace(".", "")
        hits = [code for code, _words, _billable in _index() if code.startswith(prefix)]
        if hits:
            return [Code(code, cm.get_description(code), cm.is_leaf(code)) for code in hits[:limit]]
    words = wanted.lower().split()
    billable, other = [], []
    for code, description, leaf in _index():
        if all(word in description for word in words):
            (billable if leaf else other).append(code)
            if len(billable) >= limit:
                break
    return [Code(code, cm.get_description(code), cm.is_leaf(code)) for code in (billable + other)[:limit]]

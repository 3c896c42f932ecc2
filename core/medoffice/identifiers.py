"""Checks for the identifiers a practice keeps: NPI, NUCC taxonomy code, EIN, time zone.

Pure functions (no Flask, no database), so plugins can validate claims, imports and forms
with the same rules the directory and settings pages use.
"""
from __future__ import annotations

import functools
import re
import zoneinfo

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein

# CMS computes the NPI check digit over the nine leading digits prefixed with 80840,
# the health-industry issuer identifier of the card numbering scheme (ISO 7812).
NPI_PREFIX = "80840"
_TAXONOMY = re.compile(r"[0-9A-Z]{9}X")


def npi_is_valid(npi: str) -> bool:
    """True when ``npi`` is exactly 10 digits ending in the CMS (Luhn) check digit."""
    if not isinstance(npi, str) or len(npi) != 10 or not (npi.isascii() and npi.isdecimal()):
        return False
    return luhn.is_valid(NPI_PREFIX + npi)


def taxonomy_is_valid(code: str) -> bool:
    """True when ``code`` has the NUCC provider taxonomy shape: 9 letters or digits, then X."""
    return isinstance(code, str) and _TAXONOMY.fullmatch(code) is not None


def normalize_ein(text: str) -> str:
    """A federal tax id (EIN) as its 9 digits ("12-3456789" -> "123456789").

    :raises ValueError: with a message fit for the user when it is not 9 digits or its
        two-digit prefix was never issued by the IRS.
    """
    digits = ein.compact(text or "")
    if not (len(digits) == 9 and digits.isascii() and digits.isdecimal()):
        raise ValueError("A tax id has 9 digits, such as 12-3456789.")
    try:
        return ein.validate(digits)
    except StdnumError:
        raise ValueError(f"{digits[:2]} is not a prefix the IRS issues; check the tax id.") from None


@functools.cache
def timezone_names() -> tuple[str, ...]:
    """The IANA time zone keys zoneinfo can load, sorted (read from disk once per process)."""
    return tuple(sorted(zoneinfo.available_timezones()))


@functools.cache
def _timezone_set() -> frozenset[str]:
    return frozenset(timezone_names())


def timezone_is_valid(name: str) -> bool:
    """True when ``name`` is an IANA time zone key zoneinfo can load (e.g. America/Chicago)."""
    return isinstance(name, str) and name in _timezone_set()

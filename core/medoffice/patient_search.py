"""What the front desk types to find a patient: a name, an account number, a phone number in any
formatting, or a date of birth as YYYY-MM-DD or with slashes in the practice's date format
(MM/DD/YYYY, or DD/MM/YYYY where the practice writes the day first: ``medoffice.dates``).

Phone numbers are stored as typed ("(555) 201-3344", "555.201.3344"); :func:`phone_digits` is
the SQL expression of a phone column with its formatting characters removed (the form only
accepts digits and ``()+.- ``), so a search by digits works on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

import re

from peewee import fn

from .dates import parse_typed
from .models import Patient

_PHONE_FORMATTING = "()+.- "
_PHONE_TEXT = re.compile(r"^[0-9()+.\- ]+$")
MIN_PHONE_DIGITS = 4  # fewer digits would match half the directory


def digits(text: str) -> str:
    """Only the digits of ``text``."""
    return "".join(ch for ch in text or "" if ch.isdecimal())


def phone_digits(column):
    """SQL: ``column`` with the characters a phone number may be formatted with removed."""
    expr = column
    for ch in _PHONE_FORMATTING:
        expr = fn.REPLACE(expr, ch, "")
    return expr


def phone_query(text: str) -> str | None:
    """The digits to look for when ``text`` reads as (part of) a phone number, else None."""
    text = text.strip()
    if not _PHONE_TEXT.match(text) or parse_typed(text) is not None:
        return None
    found = digits(text)
    return found if len(found) >= MIN_PHONE_DIGITS else None


def search_expression(text: str):
    """The WHERE expression for a patient search box: a phone number or a date of birth as a whole,
    else every word must match a name or the account number."""
    phone = phone_query(text)
    if phone is not None:
        like = f"%{phone}%"
        return (phone_digits(Patient.phone) ** like) | (phone_digits(Patient.mobile) ** like)
    born = parse_typed(text)
    if born is not None:
        return Patient.date_of_birth == born
    expr = None
    for term in text.replace(",", " ").split():
        like = f"%{term}%"
        part = (Patient.last_name ** like) | (Patient.first_name ** like) | (Patient.account_number ** like)
        born = parse_typed(term)
        if born is not None:
            part = part | (Patient.date_of_birth == born)
        expr = part if expr is None else expr & part
    return expr


def exact_account(text: str) -> Patient | None:
    """The active patient whose account number is exactly ``text`` (any case), if there is one."""
    text = text.strip().upper()
    if not text or " " in text:
        return None
    return (Patient.select(Patient.id).where((Patient.account_number == text) & (Patient.active == True))  # noqa: E712
            .first())

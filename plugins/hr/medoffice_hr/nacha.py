"""The direct-deposit file in the NACHA layout: 94-character records (file header 1, batch header
5 with service class 220 and SEC code PPD, one entry 6 per credit, batch control 8, file control
9), padded with lines of 9s to a multiple of ten records. Pure: values in, text out."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

RECORD = 94
CHECKING_CREDIT = "22"


class NachaError(ValueError):
    """A value that cannot go into the file."""


@dataclass(frozen=True)
class Originator:
    """The practice as the ACH originator (from HR's settings)."""

    immediate_destination: str  # the bank's routing number (9 digits)
    destination_name: str
    immediate_origin: str  # 10 characters, usually "1" + the EIN
    company_name: str
    company_id: str  # 10 characters
    originating_dfi: str  # the first 8 digits of the bank's routing number


@dataclass(frozen=True)
class Credit:
    """One employee's net pay to their checking account."""

    routing: str
    account: str
    amount_cents: int
    individual_id: str
    name: str


def _alpha(text: str, width: int) -> str:
    clean = "".join(c if 32 <= ord(c) < 127 else " " for c in (text or "")).upper()
    return clean[:width].ljust(width)


def _number(value: int, width: int) -> str:
    text = str(value)
    if value < 0 or len(text) > width:
        raise NachaError(f"{value} does not fit {width} digits")
    return text.zfill(width)


def _line(*parts: str) -> str:
    line = "".join(parts)
    if len(line) != RECORD:
        raise AssertionError(f"an ACH record is {RECORD} characters, not {len(line)}")
    return line


def build(originator: Originator, credits: list[Credit], effective: dt.date, created: dt.datetime,
          file_id: str = "A") -> str:
    """The whole file, lines joined with CRLF (as banks expect)."""
    if not credits:
        raise NachaError("There is nothing to deposit.")
    for credit in credits:
        if not (credit.routing.isdecimal() and len(credit.routing) == 9):
            raise NachaError(f"{credit.name}: the routing number is nine digits")
        if not (credit.account.isdecimal() and 1 <= len(credit.account) <= 17):
            raise NachaError(f"{credit.name}: the account number is 1 to 17 digits")
        if credit.amount_cents <= 0:
            raise NachaError(f"{credit.name}: a direct deposit is more than zero")
    origin = originator
    lines = [_line("1", "01", " " + _number(int(origin.immediate_destination), 9), _alpha(origin.immediate_origin, 10),
                   created.strftime("%y%m%d"), created.strftime("%H%M"), _alpha(file_id, 1), "094", "10", "1",
                   _alpha(origin.destination_name, 23), _alpha(origin.company_name, 23), _alpha("", 8))]
    batch = "0000001"
    lines.append(_line("5", "220", _alpha(origin.company_name, 16), _alpha("", 20), _alpha(origin.company_id, 10),
                       "PPD", _alpha("PAYROLL", 10), _alpha(effective.strftime("%b %d"), 6),
                       effective.strftime("%y%m%d"), "   ", "1", _number(int(origin.originating_dfi), 8), batch))
    entry_hash = 0
    total = 0
    for index, credit in enumerate(credits, start=1):
        entry_hash += int(credit.routing[:8])
        total += credit.amount_cents
        lines.append(_line("6", CHECKING_CREDIT, credit.routing[:8], credit.routing[8], _alpha(credit.account, 17),
                           _number(credit.amount_cents, 10), _alpha(credit.individual_id, 15), _alpha(credit.name, 22),
                           "  ", "0", origin.originating_dfi[:8] + _number(index, 7)))
    hash_text = _number(entry_hash % 10**10, 10)
    lines.append(_line("8", "220", _number(len(credits), 6), hash_text, _number(0, 12), _number(total, 12),
                       _alpha(origin.company_id, 10), _alpha("", 19), _alpha("", 6), _number(int(origin.originating_dfi), 8),
                       batch))
    record_count = len(lines) + 1
    blocks = -(-record_count // 10)
    lines.append(_line("9", _number(1, 6), _number(blocks, 6), _number(len(credits), 8), hash_text, _number(0, 12),
                       _number(total, 12), _alpha("", 39)))
    lines.extend("9" * RECORD for _ in range(blocks * 10 - len(lines)))
    return "\r\n".join(lines) + "\r\n"

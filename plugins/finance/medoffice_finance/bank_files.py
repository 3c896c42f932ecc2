"""Reading bank statement files (pure logic, nothing written): OFX/QFX through ofxtools, CSV by a column mapping.

A file is read whole before anything is stored: one line that does not parse refuses the file, with the
line (CSV: its line number; OFX: the transaction's position and id) and the reason. Each line gets a
``dedupe_key``: the bank's transaction id (OFX FITID, or the CSV's id column), else a hash of date, amount
and description with the line's occurrence among identical ones in the file (two equal fees on one day
stay two lines, and the same file imported again is all duplicates).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from medoffice.limits import EARLIEST_DATE, LATEST_DATE
from medoffice.money import MAX_CENTS, parse_cents

MAX_LINES = 20_000


class BankFileError(ValueError):
    """A file refused whole: ``line`` is where (a CSV line number, or an OFX transaction's position)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(f"Line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True)
class ParsedLine:
    """One statement line: money in is positive, out negative."""

    posted_date: dt.date
    amount_cents: int
    description: str
    bank_id: str
    dedupe_key: str


@dataclass
class ParsedStatement:
    """A whole file's lines, its period and the bank's ending balance (None when the file has none)."""

    file_format: str
    lines: list[ParsedLine] = field(default_factory=list)
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    ending_balance_cents: int | None = None


@dataclass(frozen=True)
class CsvColumns:
    """Which columns of a bank's CSV hold what; either ``amount`` (signed) or ``debit`` and ``credit``."""

    date: str
    description: str
    amount: str = ""
    debit: str = ""
    credit: str = ""
    bank_id: str = ""
    date_format: str = "%Y-%m-%d"


def is_ofx(data: bytes) -> bool:
    """True when the bytes look like OFX or QFX (SGML header or XML with an OFX element)."""
    head = data[:2000].lstrip().upper()
    return head.startswith(b"OFXHEADER") or b"<OFX>" in head


def _hashed(day: dt.date, cents: int, description: str, seen: dict) -> str:
    base = f"{day.isoformat()}|{cents}|{' '.join(description.split()).lower()}"
    seen[base] = seen.get(base, 0) + 1
    return "hash:" + hashlib.sha256(f"{base}|{seen[base]}".encode()).hexdigest()[:40]


def _check_day(day: dt.date, line: int | None) -> dt.date:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise BankFileError(f"the date {day.isoformat()} is out of range.", line)
    return day


def _decimal_cents(value, line: int | None) -> int:
    try:
        cents = Decimal(str(value)) * 100
    except InvalidOperation:
        raise BankFileError(f"{value!r} is not an amount.", line) from None
    if cents != cents.to_integral_value() or abs(cents) >= MAX_CENTS:
        raise BankFileError(f"{value} is not an amount in dollars and cents.", line)
    return int(cents)


def read_ofx(data: bytes) -> ParsedStatement:
    """Read an OFX or QFX bank or card statement (the first statement in the file).

    :raises BankFileError: the file does not parse, has no statement, or a transaction lacks its id,
        date or amount.
    """
    from ofxtools.Parser import OFXTree

    tree = OFXTree()
    try:
        tree.parse(io.BytesIO(data))
        ofx = tree.convert()
    except Exception as exc:  # ofxtools raises many kinds (ParseError, ValueError, KeyError...)
        raise BankFileError(f"The OFX file does not parse: {exc}") from None
    statements = getattr(ofx, "statements", None) or []
    if not statements:
        raise BankFileError("The OFX file holds no bank statement.")
    statement = statements[0]
    parsed = ParsedStatement("ofx")
    for number, tx in enumerate(statement.transactions, start=1):
        fitid = (tx.fitid or "").strip()
        if not fitid or tx.dtposted is None or tx.trnamt is None:
            raise BankFileError("the transaction lacks its id (FITID), date or amount.", number)
        day = _check_day(tx.dtposted.date(), number)
        cents = _decimal_cents(tx.trnamt, number)
        description = " ".join(p for p in ((tx.name or "").strip(), (tx.memo or "").strip()) if p)
        parsed.lines.append(ParsedLine(day, cents, description[:300], fitid[:120], "id:" + fitid[:120]))
    if len(parsed.lines) > MAX_LINES:
        raise BankFileError(f"The file has more than {MAX_LINES:,} lines: split it.")
    tranlist = statement.banktranlist
    days = [line.posted_date for line in parsed.lines]
    parsed.start_date = tranlist.dtstart.date() if tranlist is not None and tranlist.dtstart else min(days, default=None)
    parsed.end_date = tranlist.dtend.date() if tranlist is not None and tranlist.dtend else max(days, default=None)
    balance = getattr(statement, "balance", None)
    if balance is not None and balance.balamt is not None:
        parsed.ending_balance_cents = _decimal_cents(balance.balamt, None)
    return parsed


def _cell(row: dict, column: str, number: int) -> str:
    if column not in row:
        raise BankFileError(f"there is no column named {column!r}.", number)
    return (row[column] or "").strip()


def _csv_amount(row: dict, columns: CsvColumns, number: int) -> int:
    try:
        if columns.amount:
            return parse_cents(_cell(row, columns.amount, number), allow_negative=True)
        debit, credit = _cell(row, columns.debit, number), _cell(row, columns.credit, number)
        return ((parse_cents(credit, allow_negative=True) if credit else 0)
                - (parse_cents(debit, allow_negative=True) if debit else 0))
    except ValueError as exc:
        if isinstance(exc, BankFileError):
            raise
        raise BankFileError(f"{exc}.", number) from None


def read_csv(data: bytes, columns: CsvColumns) -> ParsedStatement:
    """Read a CSV export with a header row, by the account's saved column names.

    :raises BankFileError: not UTF-8 text, a missing column, or a line whose date or amount does not read.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BankFileError("The file is not UTF-8 text: export it as CSV again.") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise BankFileError("The file is empty.")
    wanted = [c for c in (columns.date, columns.description, columns.amount, columns.debit, columns.credit,
                          columns.bank_id) if c]
    missing = [c for c in wanted if c not in reader.fieldnames]
    if missing:
        raise BankFileError(f"The header (line 1) has no column named {', '.join(repr(m) for m in missing)}; "
                            f"it has {', '.join(reader.fieldnames)}.", None)
    parsed, seen = ParsedStatement("csv"), {}
    for row in reader:
        number = reader.line_num
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        if len(parsed.lines) >= MAX_LINES:
            raise BankFileError(f"The file has more than {MAX_LINES:,} lines: split it.")
        raw_day = _cell(row, columns.date, number)
        try:
            day = _check_day(dt.datetime.strptime(raw_day, columns.date_format).date(), number)
        except ValueError as exc:
            if isinstance(exc, BankFileError):
                raise
            raise BankFileError(f"the date {raw_day!r} does not read as {columns.date_format}.", number) from None
        cents = _csv_amount(row, columns, number)
        description = " ".join(_cell(row, columns.description, number).split())
        bank_id = _cell(row, columns.bank_id, number) if columns.bank_id else ""
        key = "id:" + bank_id[:120] if bank_id else _hashed(day, cents, description, seen)
        parsed.lines.append(ParsedLine(day, cents, description[:300], bank_id[:120], key))
    days = [line.posted_date for line in parsed.lines]
    parsed.start_date, parsed.end_date = min(days, default=None), max(days, default=None)
    return parsed

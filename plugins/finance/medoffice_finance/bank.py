"""Bank statements: importing them, matching their lines to the books, booking the rest, reconciling.

Import validates the whole file first (``bank_files``), then writes the new lines in one transaction;
lines the account already has (same bank id, or same date, amount and description for CSV) are counted as
duplicates and skipped, so importing a file twice adds nothing. Matching then runs, in this order, on
each line still unmatched:

1. money in whose description holds the 835 trace number of an insurance EFT waiting for the bank, for
   its exact amount: the EFT is deposited on the line's date and matched;
2. money in equal to a deposit (slip, EFT, card settlement) to this account not yet matched, dated up to
   ``finance.bank_match_days`` before the line;
3. money in equal to one waiting insurance EFT of that window (no trace in the description);
4. money in or out equal to one posted entry's effect on the account not yet matched (a bill paid by
   check clears up to 90 days later);
5. the bank rules (description contains a pattern): the line is booked to the rule's account.

A match that is not unique is left for a person: manual match (several entries to one line is a split),
or book the line to an account by hand. Reconciling a statement needs every line matched and the cleared
balance (every entry the bank has shown, to this statement) equal to the bank's ending balance.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from medoffice import audit, settings
from medoffice.db import transaction, utcnow
from medoffice.money import format_cents
from peewee import fn

from .actor import acting_user
from .bank_files import BankFileError, CsvColumns, ParsedStatement, is_ofx, read_csv, read_ofx
from .deposits import DepositError, deposit_eft, expected_efts
from .journal import JournalError, LineInput, post_entry
from .models import (Account, BankCsvMapping, BankLine, BankMatch, BankRule, BankStatement, Deposit, JournalEntry,
                     JournalLine)

OUT_WINDOW_DAYS = 90  # a check written today may clear months later


class BankError(ValueError):
    """A bank action that is refused, with the reason for the user."""


@dataclass(frozen=True)
class ImportResult:
    """What an import did: the statement (None when every line was a duplicate), lines added, duplicates
    skipped, lines matched."""

    statement: BankStatement | None
    lines: int
    duplicates: int
    matched: int


def bank_accounts():
    """Active asset accounts money can be banked in (not the in-transit or receivable accounts)."""
    return (Account.select().where((Account.type == "asset") & Account.active
                                   & (Account.role.is_null() | (Account.role == "bank")))
            .order_by(Account.role.is_null(), Account.number))


def _bank_account(account_id: int) -> Account:
    account = bank_accounts().where(Account.id == account_id).first()
    if account is None:
        raise BankError("Choose an active bank account.")
    return account


def csv_columns(account: Account) -> CsvColumns:
    """The account's saved CSV mapping. :raises BankError: none saved yet."""
    mapping = BankCsvMapping.get_or_none(BankCsvMapping.account == account.id)
    if mapping is None:
        raise BankError(f"Save the CSV columns of {account.label} first (Bank, CSV columns).")
    return CsvColumns(mapping.date_column, mapping.description_column, mapping.amount_column,
                      mapping.debit_column, mapping.credit_column, mapping.id_column, mapping.date_format)


def save_csv_columns(account_id: int, values: dict) -> BankCsvMapping:
    """Save how an account's CSV exports read (audited)."""
    account = _bank_account(account_id)
    if not values.get("amount_column") and not (values.get("debit_column") and values.get("credit_column")):
        raise BankError("Name the amount column, or both the debit and the credit columns.")
    try:
        dt.date(2026, 1, 31).strftime(values["date_format"])
        dt.datetime.strptime(dt.date(2026, 1, 31).strftime(values["date_format"]), values["date_format"])
    except ValueError:
        raise BankError("The date format does not read back a date (use codes like %m/%d/%Y).") from None
    with transaction():
        BankCsvMapping.insert(account=account.id, updated_at=utcnow(), **values).on_conflict(
            conflict_target=[BankCsvMapping.account], update={**values, "updated_at": utcnow()}).execute()
        audit.record("finance.bank.csv_columns", "finance_account", account.id, detail=values)
    return BankCsvMapping.get(BankCsvMapping.account == account.id)


def parse_file(account: Account, data: bytes) -> ParsedStatement:
    """Read a statement file for the account: OFX/QFX by its content, else CSV by the saved columns.

    :raises BankFileError: the file is refused whole (with the line and reason).
    :raises BankError: a CSV for an account without saved columns.
    """
    if not data.strip():
        raise BankFileError("The file is empty.")
    parsed = read_ofx(data) if is_ofx(data) else read_csv(data, csv_columns(account))
    if not parsed.lines:
        raise BankFileError("The file holds no transactions.")
    return parsed


def import_statement(account_id: int, data: bytes, file_name: str = "") -> ImportResult:
    """Import a statement file into a bank account, then match its lines (audited).

    :raises BankFileError, BankError: the file is refused whole; nothing is written.
    """
    account = _bank_account(account_id)
    parsed = parse_file(account, data)
    user_id, _name = acting_user()
    with transaction():
        keys = [line.dedupe_key for line in parsed.lines]
        known = set()
        for start in range(0, len(keys), 500):
            known.update(k for (k,) in BankLine.select(BankLine.dedupe_key).where(
                (BankLine.account == account.id) & BankLine.dedupe_key.in_(keys[start:start + 500])).tuples())
        new, seen = [], set()
        for line in parsed.lines:
            if line.dedupe_key not in known and line.dedupe_key not in seen:
                new.append(line)
                seen.add(line.dedupe_key)
        duplicates = len(parsed.lines) - len(new)
        if not new:
            audit.record("finance.bank.import", "finance_account", account.id,
                         detail={"file": file_name[:200], "lines": 0, "duplicates": duplicates})
            return ImportResult(None, 0, duplicates, 0)
        statement = BankStatement.create(
            account=account.id, file_name=file_name[:200], file_format=parsed.file_format,
            start_date=parsed.start_date or min(line.posted_date for line in new),
            end_date=parsed.end_date or max(line.posted_date for line in new),
            ending_balance_cents=parsed.ending_balance_cents, line_count=len(new), duplicate_count=duplicates,
            imported_by_user_id=user_id)
        for start in range(0, len(new), 500):
            BankLine.insert_many([{"statement": statement.id, "account": account.id, "posted_date": line.posted_date,
                                   "amount_cents": line.amount_cents, "description": line.description,
                                   "bank_id": line.bank_id, "dedupe_key": line.dedupe_key}
                                  for line in new[start:start + 500]]).execute()
        audit.record("finance.bank.import", "finance_bank_statement", statement.id,
                     detail={"file": file_name[:200], "lines": len(new), "duplicates": duplicates})
        matched = auto_match(statement)
    return ImportResult(statement, len(new), duplicates, matched)


# Matching -------------------------------------------------------------------------------------------------

def line_matched(line_ids: list[int]) -> dict[int, int]:
    """The cents matched so far of each line (lines with no match are absent)."""
    if not line_ids:
        return {}
    return dict(BankMatch.select(BankMatch.bank_line, fn.SUM(BankMatch.amount_cents))
                .where(BankMatch.bank_line.in_(line_ids)).group_by(BankMatch.bank_line).tuples())


def entry_effects(account_id: int, start: dt.date, end: dt.date, entry_ids: list[int] | None = None) -> dict[int, tuple]:
    """Posted entries dated in the range with a net effect on the account that the bank has not cleared,
    leaving out reversed entries and reversals: {entry id: (date, cents, memo)}."""
    reversed_ids = JournalEntry.select(JournalEntry.reverses).where(JournalEntry.reverses.is_null(False))
    net = fn.SUM(JournalLine.debit_cents - JournalLine.credit_cents)
    query = (JournalLine.select(JournalEntry.id, JournalEntry.entry_date, JournalEntry.memo, net.alias("net"))
             .join(JournalEntry, on=(JournalLine.entry == JournalEntry.id))
             .where((JournalLine.account == account_id) & (JournalEntry.status == "posted")
                    & (JournalEntry.entry_date >= start) & (JournalEntry.entry_date <= end)
                    & JournalEntry.reverses.is_null() & JournalEntry.id.not_in(reversed_ids)
                    & JournalEntry.id.not_in(BankMatch.select(BankMatch.entry)))
             .group_by(JournalEntry.id, JournalEntry.entry_date, JournalEntry.memo))
    if entry_ids is not None:
        query = query.where(JournalEntry.id.in_(entry_ids))
    return {r["id"]: (r["entry_date"], int(r["net"]), r["memo"]) for r in query.dicts() if int(r["net"])}


def _match(statement_id: int, line: BankLine | None, entry_id: int, cents: int, how: str,
           deposit_id: int | None = None) -> BankMatch:
    user_id, _name = acting_user()
    return BankMatch.create(statement=statement_id, bank_line=line.id if line else None, entry=entry_id,
                            deposit=deposit_id, amount_cents=cents, how=how, matched_by_user_id=user_id)


def _unique(candidates: list):
    return candidates[0] if len(candidates) == 1 else None


def auto_match(statement: BankStatement) -> int:
    """Match the statement's unmatched lines by the rules above; returns how many lines were matched."""
    window = dt.timedelta(days=settings.get("finance.bank_match_days", 5))
    with transaction():
        lines = list(BankLine.select().where(BankLine.statement == statement.id).order_by(BankLine.posted_date,
                                                                                        BankLine.id))
        done = line_matched([line.id for line in lines])
        lines = [line for line in lines if line.id not in done]
        if not lines:
            return 0
        first, last = lines[0].posted_date, lines[-1].posted_date
        account_id = statement.account_id
        deposits = {d.entry_id: d for d in Deposit.select().where(
            (Deposit.bank_account == account_id) & Deposit.voided_at.is_null()
            & (Deposit.deposit_date >= first - window) & (Deposit.deposit_date <= last))}
        effects = entry_effects(account_id, first - dt.timedelta(days=OUT_WINDOW_DAYS), last)
        rules = list(BankRule.select().where(BankRule.active).order_by(BankRule.id))
        efts = expected_efts()
        count = 0
        for line in lines:
            if _match_one(statement, line, window, deposits, effects, efts, rules):
                count += 1
                efts = expected_efts() if line.amount_cents > 0 else efts
    return count


def _match_one(statement, line, window, deposits, effects, efts, rules) -> bool:
    cents, day, text = line.amount_cents, line.posted_date, line.description.upper()
    if cents > 0:
        traced = [e for e in efts if e.trace and len(e.trace) >= 4 and e.trace.upper() in text
                  and e.amount_cents == cents]
        eft = _unique(traced)
        if eft is not None:
            return _deposit_and_match(statement, line, eft, "trace")
        slips = [d for entry_id, d in deposits.items() if entry_id in effects and d.total_cents == cents
                 and day - window <= d.deposit_date <= day]
        slip = _unique(slips)
        if slip is not None:
            _match(statement.id, line, slip.entry_id, cents, "deposit", slip.id)
            effects.pop(slip.entry_id)
            return True
        eft = _unique([e for e in efts if e.amount_cents == cents and e.effective_date
                       and day - window <= e.effective_date <= day])
        if eft is not None:
            return _deposit_and_match(statement, line, eft, "amount")
    low = day - (window if cents > 0 else dt.timedelta(days=OUT_WINDOW_DAYS))
    entry_id = _unique([i for i, (when, net, _memo) in effects.items()
                        if net == cents and low <= when <= day and i not in deposits])
    if entry_id is not None:
        _match(statement.id, line, entry_id, cents, "amount")
        effects.pop(entry_id)
        return True
    for rule in rules:
        if rule.pattern.upper() in text and (rule.direction == "in") == (cents > 0):
            book_line(line, rule.account_id, rule.memo or line.description, how="rule")
            return True
    return False


def _deposit_and_match(statement, line, eft, how: str) -> bool:
    try:
        deposit = deposit_eft(eft.trace, eft.payer_id, line.posted_date, line.account_id)
    except DepositError:
        return False  # e.g. the line's month is closed: left for a person
    _match(statement.id, line, deposit.entry_id, line.amount_cents, how, deposit.id)
    return True


def _line(line_id: int) -> tuple[BankLine, BankStatement]:
    line = BankLine.get_or_none(BankLine.id == line_id)
    if line is None:
        raise BankError("There is no such bank line.")
    statement = BankStatement.get_by_id(line.statement_id)
    if statement.reconciled_at is not None:
        raise BankError("The statement is reconciled: its matches are final.")
    return line, statement


def remaining(line: BankLine) -> int:
    """The cents of a line not matched yet."""
    return line.amount_cents - line_matched([line.id]).get(line.id, 0)


def match_entries(line_id: int, entry_ids: list[int]) -> list[BankMatch]:
    """Match a line by hand to one or more entries (a split), their effects adding up to what is left of it.

    :raises BankError: no entries, an entry already cleared or without effect on the account, or a total
        that is not what is left of the line.
    """
    wanted = sorted(set(entry_ids))
    if not wanted:
        raise BankError("Choose the entries the line stands for.")
    with transaction():
        line, statement = _line(line_id)
        effects = entry_effects(line.account_id, dt.date.min, dt.date.max, wanted)
        if len(effects) != len(wanted):
            raise BankError("Some entries chosen are cleared already or do not touch this bank account.")
        total, left = sum(net for _d, net, _m in effects.values()), remaining(line)
        if total != left:
            raise BankError(f"The entries come to {format_cents(total)}; the line has {format_cents(left)} "
                            "left to match.")
        deposits = {d.entry_id: d.id for d in Deposit.select().where(Deposit.entry.in_(wanted))}
        made = [_match(statement.id, line, entry_id, effects[entry_id][1], "manual", deposits.get(entry_id))
                for entry_id in wanted]
        audit.record("finance.bank.match", "finance_bank_line", line.id, detail={"entries": wanted})
    return made


def match_eft(line_id: int, trace: str, payer_id: int | None) -> BankMatch:
    """Deposit a waiting insurance EFT on the line's date and match it to the line (the rest of the line
    may be booked, e.g. a payer's fee).

    :raises BankError: the EFT does not wait, or is more than what is left of the line.
    """
    with transaction():
        line, statement = _line(line_id)
        try:
            deposit = deposit_eft(trace, payer_id, line.posted_date, line.account_id)
        except DepositError as exc:
            raise BankError(str(exc)) from None
        made = _match(statement.id, line, deposit.entry_id, deposit.total_cents, "manual", deposit.id)
        audit.record("finance.bank.match", "finance_bank_line", line.id, detail={"eft": trace})
    return made


def book_line(line: BankLine, account_id: int, memo: str, how: str = "booked") -> BankMatch:
    """Post an entry for what is left of a line, the bank against ``account_id``, and match it.

    :raises BankError: nothing left to book, the bank account itself, or the books refuse the entry.
    """
    left = remaining(line)
    if left == 0:
        raise BankError("The line is matched in full already.")
    if account_id == line.account_id:
        raise BankError("Choose the other side of the line, not the bank account itself.")
    other = Account.get_or_none(Account.id == account_id)
    if other is None:
        raise BankError("Choose an account.")
    bank, amount = line.account_id, abs(left)
    lines = ([LineInput(bank, debit_cents=amount, memo=memo[:200]), LineInput(other.id, credit_cents=amount, memo=memo[:200])]
             if left > 0 else
             [LineInput(other.id, debit_cents=amount, memo=memo[:200]), LineInput(bank, credit_cents=amount, memo=memo[:200])])
    with transaction():
        try:
            entry = post_entry(line.posted_date, f"Bank: {memo or line.description}"[:300], lines, kind="bank",
                               audit_detail={"bank_line": line.id})
        except JournalError as exc:
            raise BankError(str(exc)) from None
        return _match(line.statement_id, line, entry.id, left, how)


def book_line_by_hand(line_id: int, account_id: int, memo: str) -> BankMatch:
    """``book_line`` from the statement page (checks the statement is still open)."""
    line, _statement = _line(line_id)
    return book_line(line, account_id, memo.strip())


def unmatch(line_id: int) -> int:
    """Undo a line's matches (entries booked from it stay: reverse them in the journal if wrong); returns
    how many were undone. :raises BankError: a reconciled statement."""
    with transaction():
        line, _statement = _line(line_id)
        count = BankMatch.delete().where(BankMatch.bank_line == line.id).execute()
        audit.record("finance.bank.unmatch", "finance_bank_line", line.id, detail={"matches": count})
    return count


# Reconciliation -------------------------------------------------------------------------------------------

def _earlier_or_this(statement: BankStatement):
    return BankStatement.select(BankStatement.id).where(
        (BankStatement.account == statement.account_id)
        & ((BankStatement.end_date < statement.end_date)
           | ((BankStatement.end_date == statement.end_date) & (BankStatement.id <= statement.id))))


def cleared_balance(statement: BankStatement) -> int:
    """The net of every entry the bank has cleared on this account, through this statement."""
    return int(BankMatch.select(fn.COALESCE(fn.SUM(BankMatch.amount_cents), 0))
               .where(BankMatch.statement.in_(_earlier_or_this(statement))).scalar())


def reconciliation(statement: BankStatement) -> dict:
    """The statement's reconciliation: its lines with what they matched, the uncleared book items up to its
    end, the cleared balance against the bank's ending balance, and whether it can be reconciled."""
    lines = list(BankLine.select().where(BankLine.statement == statement.id).order_by(BankLine.posted_date,
                                                                                    BankLine.id))
    done = line_matched([line.id for line in lines])
    matches: dict[int, list] = {}
    for match in (BankMatch.select(BankMatch, JournalEntry).join(JournalEntry)
                  .where(BankMatch.statement == statement.id).order_by(BankMatch.id)):
        matches.setdefault(match.bank_line_id, []).append(match)
    rows = [{"line": line, "matched_cents": done.get(line.id, 0), "matches": matches.get(line.id, []),
             "open": done.get(line.id, 0) != line.amount_cents} for line in lines]
    uncleared = entry_effects(statement.account_id, dt.date.min, statement.end_date)
    cleared = cleared_balance(statement)
    ending = statement.ending_balance_cents
    open_lines = sum(1 for r in rows if r["open"])
    return {"statement": statement, "account": Account.get_by_id(statement.account_id), "rows": rows,
            "open_lines": open_lines, "ticked": matches.get(None, []),
            "uncleared": [{"entry_id": i, "date": d, "cents": c, "memo": m}
                          for i, (d, c, m) in sorted(uncleared.items(), key=lambda kv: (kv[1][0], kv[0]))],
            "cleared_cents": cleared, "ending_cents": ending,
            "difference_cents": None if ending is None else ending - cleared,
            "ready": open_lines == 0 and ending is not None and ending == cleared}


def tick_cleared(statement_id: int, entry_id: int) -> BankMatch:
    """Count an entry as cleared by the bank without a line of this statement (the opening balance, an item
    of a period before the first statement imported). :raises BankError: reconciled, or already cleared."""
    with transaction():
        statement = BankStatement.get_by_id(statement_id)
        if statement.reconciled_at is not None:
            raise BankError("The statement is reconciled: its matches are final.")
        effects = entry_effects(statement.account_id, dt.date.min, statement.end_date, [entry_id])
        if entry_id not in effects:
            raise BankError("That entry is cleared already or does not touch this bank account.")
        made = _match(statement.id, None, entry_id, effects[entry_id][1], "ticked")
        audit.record("finance.bank.tick", "finance_bank_statement", statement.id, detail={"entry": entry_id})
    return made


def reconcile(statement_id: int, ending_balance_cents: int | None = None) -> BankStatement:
    """Mark a statement reconciled (audited); ``ending_balance_cents`` supplies the bank's ending balance
    when the file had none (CSV).

    :raises BankError: lines left unmatched, or the cleared balance differs from the ending balance.
    """
    with transaction():
        statement = BankStatement.get_by_id(statement_id)
        if statement.reconciled_at is not None:
            raise BankError("The statement is reconciled already.")
        if ending_balance_cents is not None and ending_balance_cents != statement.ending_balance_cents:
            BankStatement.update(ending_balance_cents=ending_balance_cents).where(
                BankStatement.id == statement.id).execute()
            statement = BankStatement.get_by_id(statement.id)
        state = reconciliation(statement)
        if state["open_lines"]:
            raise BankError(f"{state['open_lines']} line(s) of the statement are not matched yet.")
        if state["ending_cents"] is None:
            raise BankError("Enter the statement's ending balance.")
        if not state["ready"]:
            raise BankError(f"The cleared balance is {format_cents(state['cleared_cents'])}, the bank's ending "
                            f"balance {format_cents(state['ending_cents'])} (a difference of "
                            f"{format_cents(state['difference_cents'])}): tick what cleared before this statement "
                            "(the opening balance) or find the missing item.")
        user_id, _name = acting_user()
        BankStatement.update(reconciled_at=utcnow(), reconciled_by_user_id=user_id).where(
            BankStatement.id == statement.id).execute()
        audit.record("finance.bank.reconcile", "finance_bank_statement", statement.id,
                     detail={"ending_cents": state["ending_cents"]})
    return BankStatement.get_by_id(statement.id)

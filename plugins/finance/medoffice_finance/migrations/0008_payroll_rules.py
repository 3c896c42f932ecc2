"""Payroll is booked from HR's pay runs: posting rules for its journal lines (wages, withholdings, employer
taxes), a rule condition long enough for their kinds, and the marketing account marked for marketing's
spend, which finance enters as bills. The seeded rules are frozen here, like 0002's."""
import datetime as dt

from peewee import Table
from medoffice.db import is_sqlite

_PAYROLL = "hr.payroll_journal_line"
# kind, debit account, credit account, description (the blank kind: any line no other rule names).
RULES = [
    ("", "6000", "2110", "Withheld from wages: taxes payable"),
    ("net_pay", "6000", "1000", "Net pay, paid from the operating account"),
    ("employee_401k", "6000", "2120", "401(k) deferral withheld"),
    ("employee_section_125", "6000", "2120", "Section 125 (cafeteria plan) deduction"),
    ("employee_post_tax", "6000", "2120", "After-tax deduction withheld"),
    ("employer_social_security", "6100", "2110", "Employer social security"),
    ("employer_medicare", "6100", "2110", "Employer Medicare"),
    ("employer_futa", "6100", "2110", "Federal unemployment tax (FUTA)"),
    ("employer_suta", "6100", "2110", "State unemployment tax (SUTA)"),
]


def up(migrator, db):
    if not is_sqlite(db):  # SQLite does not enforce a varchar's length
        db.execute_sql("ALTER TABLE finance_posting_rule ALTER COLUMN kind TYPE VARCHAR(40)")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    accounts = Table("finance_account", ("id", "number", "role", "type")).bind(db)
    ids = {row["number"]: row["id"] for row in accounts.select(accounts.id, accounts.number).dicts()}
    accounts.update(role="marketing").where((accounts.number == "6700") & accounts.role.is_null()
                                            & (accounts.type == "expense")).execute()
    rules = Table("finance_posting_rule", ("event_name", "basis", "party", "method", "kind", "group_code", "books",
                                           "debit_account_id", "credit_account_id", "description",
                                           "updated_at")).bind(db)
    taken = {kind for (kind,) in rules.select(rules.kind).where(rules.event_name == _PAYROLL).tuples()}
    rows = [{"event_name": _PAYROLL, "basis": "any", "party": "", "method": "", "kind": kind, "group_code": "",
             "books": True, "debit_account_id": ids[debit], "credit_account_id": ids[credit], "description": text,
             "updated_at": now}
            for kind, debit, credit, text in RULES if kind not in taken and debit in ids and credit in ids]
    if rows:
        rules.insert(rows).execute()

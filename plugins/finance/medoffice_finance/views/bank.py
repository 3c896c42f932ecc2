"""Bank: statements imported (OFX/QFX or CSV), a statement's lines matched and booked, its reconciliation
and PDF, each account's CSV columns, and the rules that book unmatched lines."""
from __future__ import annotations

import datetime as dt

from flask import Response, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from medoffice import audit, prepared
from medoffice.auth import can, requires
from medoffice.data_versions import kept
from medoffice.money import parse_cents
from medoffice.web.forms import choices
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..bank import (BankError, auto_match, bank_accounts, book_line_by_hand, entry_effects, import_statement,
                    match_eft, match_entries, reconcile, reconciliation, save_csv_columns, tick_cleared, unmatch)
from ..bank_files import BankFileError
from ..deposits import expected_efts, slip_pdf
from ..models import CHART, STATEMENTS, Account, BankCsvMapping, BankLine, BankRule, BankStatement
from . import bp

MAX_BYTES = 10 * 1024 * 1024


class ImportForm(FlaskForm):
    """A statement file and the bank account it belongs to."""

    account = SelectField("Bank account", validators=[DataRequired(message="Choose the bank account.")])
    file = FileField("Statement file", validators=[FileRequired("Choose the statement file your bank gave you.")],
                     description="OFX or QFX (Quicken or Money download), or CSV once its columns are saved. "
                                 "It is checked whole before anything is stored; lines imported before are skipped.")


class CsvColumnsForm(FlaskForm):
    """Which column of the bank's CSV holds what."""

    account = SelectField("Bank account", validators=[DataRequired(message="Choose the bank account.")])
    date_column = StringField("Date column", validators=[DataRequired(), Length(max=60)])
    date_format = StringField("Date format", default="%m/%d/%Y", validators=[DataRequired(), Length(max=20)],
                              description="%m/%d/%Y for 03/31/2026, %Y-%m-%d for 2026-03-31.")
    description_column = StringField("Description column", validators=[DataRequired(), Length(max=60)])
    amount_column = StringField("Amount column (signed)", validators=[Optional(), Length(max=60)],
                                description="Or leave blank and name the debit and credit columns.")
    debit_column = StringField("Debit (money out) column", validators=[Optional(), Length(max=60)])
    credit_column = StringField("Credit (money in) column", validators=[Optional(), Length(max=60)])
    id_column = StringField("Transaction id column", validators=[Optional(), Length(max=60)],
                            description="When the bank gives one; else duplicates are found by date, amount and "
                                        "description.")


class RuleForm(FlaskForm):
    """A bank rule: description pattern, direction, the account it books to."""

    pattern = StringField("Description contains", validators=[DataRequired(), Length(max=120)])
    direction = SelectField("Money", choices=[("out", "Out of the bank"), ("in", "Into the bank")])
    account = SelectField("Book to account", validators=[DataRequired(message="Choose the account.")])
    memo = StringField("Memo", validators=[Optional(), Length(max=200)])


class BookForm(FlaskForm):
    """Book what is left of a line to an account."""

    account = SelectField("Account", validators=[DataRequired(message="Choose the account.")])
    memo = StringField("Memo", validators=[Optional(), Length(max=200)])


_BANK_ACCOUNTS = bank_accounts().select(Account.id, Account.number, Account.name).tuples()
_ACTIVE_ACCOUNTS = Account.select(Account.id, Account.number, Account.name).where(Account.active).order_by(
    Account.number).tuples()


def _bank_choices():
    return _kept_choices(_BANK_ACCOUNTS, "finance.bank_account_choices")


def _account_choices():
    return _kept_choices(_ACTIVE_ACCOUNTS, "finance.active_account_choices")


def _kept_choices(query, name: str) -> list:
    """The accounts ``query`` reads as select options (the rows kept until an account changes, the options made
    afresh: a form may change its own)."""
    rows = kept(CHART.key, name, lambda: tuple(prepared.run(query, name).cursor))
    return choices([(str(id_), f"{number} {label}") for id_, number, label in rows])


def _statements_table():
    link = url_template("finance.statement", "bank_statement_id")
    return paginate(
        BankStatement.select(BankStatement, Account).join(Account), id="statements-table", key="finance.statements",
        columns=[TableColumn("id", "Statement", sort=BankStatement.id, numeric=True, link=lambda s: link(s.id)),
                 TableColumn("account", "Account", value=lambda s: s.account.label),
                 TableColumn("start", "From", sort=BankStatement.start_date, value=lambda s: s.start_date, kind="date"),
                 TableColumn("end", "To", sort=BankStatement.end_date, value=lambda s: s.end_date, kind="date"),
                 TableColumn("lines", "Lines", sort=BankStatement.line_count, numeric=True,
                             value=lambda s: s.line_count),
                 TableColumn("ending", "Ending balance", value=lambda s: s.ending_balance_cents, kind="money"),
                 TableColumn("status", "Status", kind="status",
                             value=lambda s: "reconciled" if s.reconciled_at else "open")],
        search=lambda text: BankStatement.file_name ** f"%{text}%", default_sort="id", endpoint="finance.bank",
        noun="statement", noun_plural="statements", search_placeholder="File name",
        empty_message="No statement imported yet. Import your bank's OFX or CSV file.",
        kept_by=(STATEMENTS.key, CHART.key))


def _bank_page(form: ImportForm, result=None, status: int = 200):
    form.account.choices = _bank_choices()
    return render_page("finance/bank.html", title="Bank", form=form, table=_statements_table(), result=result,
                       breadcrumbs=[("Bank", None)]), status


@bp.route("/bank")
@requires("finance.view")
def bank():
    """Imported statements, newest first, and the import form."""
    if "sort" not in request.args:
        return redirect(url_for("finance.bank", **{**request.args.to_dict(), "sort": "id", "desc": 1}))
    return _bank_page(ImportForm())


@bp.route("/bank/import", methods=["POST"])
@requires("finance.bank.reconcile")
def bank_import():
    """Import a statement file: refused whole when a line does not read; duplicates skipped; lines matched."""
    form = ImportForm()
    form.account.choices = _bank_choices()
    if not form.validate_on_submit():
        return _bank_page(form, status=422)
    data = form.file.data.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        form.file.errors.append("The file is larger than 10 MB: ask the bank for a shorter period.")
        return _bank_page(form, status=413)
    try:
        result = import_statement(int(form.account.data), data, form.file.data.filename or "statement")
    except (BankFileError, BankError) as exc:
        form.file.errors.append(str(exc))
        return _bank_page(form, status=422)
    if result.statement is None:
        notify(f"Nothing imported: all {result.duplicates} lines were imported before.", "error")
        return redirect(url_for("finance.bank"), 303)
    notify(f"Imported {result.lines} lines ({result.duplicates} imported before, skipped); "
           f"{result.matched} matched.")
    return redirect(url_for("finance.statement", bank_statement_id=result.statement.id), 303)


def _statement(statement_id: int) -> BankStatement:
    return BankStatement.get_or_none(BankStatement.id == statement_id) or abort(404)


def _candidates(state: dict) -> dict[int, list]:
    """For each open line, the uncleared entries of the same sign it could stand for, nearest first."""
    statement = state["statement"]
    effects = entry_effects(statement.account_id, statement.start_date - dt.timedelta(days=90),
                            statement.end_date + dt.timedelta(days=10))
    out = {}
    for row in state["rows"]:
        if not row["open"]:
            continue
        line = row["line"]
        same = [(i, d, c, m) for i, (d, c, m) in effects.items() if (c > 0) == (line.amount_cents > 0)]
        same.sort(key=lambda x: (abs(abs(x[2]) - abs(line.amount_cents)), abs((x[1] - line.posted_date).days)))
        out[line.id] = same[:15]
    return out


def _statement_page(statement: BankStatement, error: str = "", status: int = 200):
    state = reconciliation(statement)
    editable = can("finance.bank.reconcile") and statement.reconciled_at is None
    efts = expected_efts() if editable else []
    return render_page("finance/statement.html", title=f"Statement {statement.id}", r=state, error=error,
                       editable=editable, candidates=_candidates(state) if editable else {}, efts=efts,
                       accounts=[(a.id, a.label) for a in Account.select().where(Account.active)
                                 .order_by(Account.number)] if editable else [],
                       breadcrumbs=[("Bank", url_for("finance.bank")), (f"Statement {statement.id}", None)]), status


@bp.route("/bank/statements/<int:bank_statement_id>")
@requires("finance.view")
def statement(bank_statement_id: int):
    """A statement: its lines and what each matched, what to do with the rest, and its reconciliation."""
    return _statement_page(_statement(bank_statement_id))


def _act(statement: BankStatement, action, done: str):
    try:
        action()
    except BankError as exc:
        return _statement_page(statement, str(exc), 422)
    notify(done)
    return redirect(url_for("finance.statement", bank_statement_id=statement.id), 303)


def _line_of(line_id: int) -> BankLine:
    return BankLine.get_or_none(BankLine.id == line_id) or abort(404)


def _ids(name: str) -> list[int]:
    return [int(v) for v in request.form.getlist(name) if v.isdecimal() and len(v) < 12]


@bp.route("/bank/lines/<int:line_id>/match", methods=["POST"])
@requires("finance.bank.reconcile")
def bank_line_match(line_id: int):
    """Match a line to the entries chosen (several: a split)."""
    line = _line_of(line_id)
    return _act(BankStatement.get_by_id(line.statement_id), lambda: match_entries(line.id, _ids("entries")),
                "The line is matched.")


@bp.route("/bank/lines/<int:line_id>/eft", methods=["POST"])
@requires("finance.bank.reconcile")
def bank_line_eft(line_id: int):
    """Deposit a waiting insurance EFT on the line's date and match it."""
    line = _line_of(line_id)
    payer, _bar, trace = (request.form.get("eft") or "")[:80].partition("|")
    payer_id = int(payer) if payer.isdecimal() and len(payer) < 12 else None
    return _act(BankStatement.get_by_id(line.statement_id), lambda: match_eft(line.id, trace, payer_id),
                f"Insurance EFT {trace} deposited and matched.")


@bp.route("/bank/lines/<int:line_id>/book", methods=["POST"])
@requires("finance.bank.reconcile")
def bank_line_book(line_id: int):
    """Book what is left of a line to an account (a fee, interest)."""
    line = _line_of(line_id)
    statement = BankStatement.get_by_id(line.statement_id)
    form = BookForm()
    form.account.choices = _account_choices()
    if not form.validate_on_submit():
        return _statement_page(statement, next(iter(form.errors.values()))[0], 422)
    return _act(statement, lambda: book_line_by_hand(line.id, int(form.account.data), form.memo.data or ""),
                "The line is booked.")


@bp.route("/bank/lines/<int:line_id>/unmatch", methods=["POST"])
@requires("finance.bank.reconcile")
def bank_line_unmatch(line_id: int):
    """Undo a line's matches."""
    line = _line_of(line_id)
    return _act(BankStatement.get_by_id(line.statement_id), lambda: unmatch(line.id), "The line's matches are undone.")


@bp.route("/bank/statements/<int:bank_statement_id>/auto-match", methods=["POST"])
@requires("finance.bank.reconcile")
def statement_auto_match(bank_statement_id: int):
    """Run the matching rules again (after deposits or entries were made)."""
    found = _statement(bank_statement_id)
    if found.reconciled_at is not None:
        return _statement_page(found, "The statement is reconciled: its matches are final.", 422)
    count = auto_match(found)
    notify(f"{count} more line(s) matched.")
    return redirect(url_for("finance.statement", bank_statement_id=found.id), 303)


@bp.route("/bank/statements/<int:bank_statement_id>/tick", methods=["POST"])
@requires("finance.bank.reconcile")
def statement_tick(bank_statement_id: int):
    """Count a book entry as cleared before this statement (the opening balance)."""
    found = _statement(bank_statement_id)
    ids = _ids("entry")
    return _act(found, lambda: tick_cleared(found.id, ids[0] if ids else 0), "Counted as cleared.")


@bp.route("/bank/statements/<int:bank_statement_id>/reconcile", methods=["POST"])
@requires("finance.bank.reconcile")
def statement_reconcile(bank_statement_id: int):
    """Reconcile: every line matched and the cleared balance equal to the bank's ending balance."""
    found = _statement(bank_statement_id)
    text = (request.form.get("ending_balance") or "").strip()
    ending = None
    if text:
        try:
            ending = parse_cents(text[:20], allow_negative=True)
        except ValueError as exc:
            return _statement_page(found, f"Ending balance: {exc}.", 422)
    return _act(found, lambda: reconcile(found.id, ending), "The statement is reconciled.")


@bp.route("/bank/statements/<int:bank_statement_id>.pdf")
@requires("finance.view")
def statement_pdf(bank_statement_id: int):
    """The reconciliation report as a PDF (audited: it leaves the application)."""
    found = _statement(bank_statement_id)
    data = slip_pdf(render_template("finance/reconciliation_pdf.html", r=reconciliation(found)))
    audit.record("finance.bank.reconciliation_pdf", "finance_bank_statement", found.id)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="reconciliation-{found.id}.pdf"'})


@bp.route("/bank/csv-columns", methods=["GET", "POST"])
@requires("finance.bank.reconcile")
def bank_csv_columns():
    """Save how a bank account's CSV exports read."""
    form = CsvColumnsForm()
    form.account.choices = _bank_choices()
    if request.method == "GET" and request.args.get("account", "").isdecimal():
        saved = BankCsvMapping.get_or_none(BankCsvMapping.account == int(request.args["account"][:12]))
        if saved is not None:
            form = CsvColumnsForm(obj=saved, account=str(saved.account_id))
            form.account.choices = _bank_choices()
    if form.validate_on_submit():
        values = {k: (getattr(form, k).data or "").strip() for k in
                  ("date_column", "date_format", "description_column", "amount_column", "debit_column",
                   "credit_column", "id_column")}
        try:
            save_csv_columns(int(form.account.data), values)
        except BankError as exc:
            form.amount_column.errors.append(str(exc))
        else:
            notify("The CSV columns are saved.")
            return redirect(url_for("finance.bank"), 303)
    mappings = list(BankCsvMapping.select(BankCsvMapping, Account).join(Account).order_by(Account.number))
    return render_page("finance/csv_columns.html", title="CSV columns", form=form, mappings=mappings,
                       breadcrumbs=[("Bank", url_for("finance.bank")), ("CSV columns", None)]), \
        (422 if form.errors else 200)


_BANK_RULES = BankRule.select(BankRule, Account).join(Account).order_by(BankRule.id)


def _rules_page(form: RuleForm, status: int = 200):
    rules = list(prepared.run(_BANK_RULES, "finance.bank_rules"))
    return render_page("finance/bank_rules.html", title="Bank rules", form=form, rules=rules,
                       breadcrumbs=[("Bank", url_for("finance.bank")), ("Bank rules", None)]), status


@bp.route("/bank/rules")
@requires("finance.view")
def bank_rules():
    """The rules that book unmatched lines, and a form to add one."""
    form = RuleForm()
    form.account.choices = _account_choices()
    return _rules_page(form)


@bp.route("/bank/rules", methods=["POST"])
@requires("finance.bank.reconcile")
def bank_rule_new():
    """Add a rule."""
    form = RuleForm()
    form.account.choices = _account_choices()
    if not form.validate_on_submit():
        return _rules_page(form, 422)
    rule = BankRule.create(pattern=form.pattern.data.strip(), direction=form.direction.data,
                           account=int(form.account.data), memo=(form.memo.data or "").strip())
    audit.record("finance.bank_rule.create", "finance_bank_rule", rule.id,
                 detail={"pattern": rule.pattern, "account": rule.account_id})
    notify("The rule is added: it applies to lines matched from now on.")
    return redirect(url_for("finance.bank_rules"), 303)


@bp.route("/bank/rules/<int:rule_id>/delete", methods=["POST"])
@requires("finance.bank.reconcile")
def bank_rule_delete(rule_id: int):
    """Delete a rule (lines it booked keep their entries)."""
    rule = BankRule.get_or_none(BankRule.id == rule_id) or abort(404)
    rule.delete_instance()
    audit.record("finance.bank_rule.delete", "finance_bank_rule", rule.id, detail={"pattern": rule.pattern})
    notify("The rule is deleted.")
    return redirect(url_for("finance.bank_rules"), 303)

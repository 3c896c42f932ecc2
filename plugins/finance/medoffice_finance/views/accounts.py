"""The chart of accounts: the list with balances, add, edit (deactivate) and delete while unused."""
from __future__ import annotations

from operator import itemgetter

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from medoffice.auth import can, requires
from medoffice.plain import PlainSelect
from medoffice.web.forms import choices, form_values, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import JOIN, fn
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..chart import ChartError, delete_account, is_used, save_account
from ..models import ACCOUNT_TYPES, CHART, DEBIT_NORMAL, LINES, RULES, TOTALS, Account, AccountTotal
from . import bp


class AccountForm(FlaskForm):
    """An account's number, name, type and whether it takes postings."""

    number = StringField("Number", validators=[DataRequired(), Length(max=10)],
                         description="3 to 6 digits: 1xxx assets, 2xxx liabilities, 3xxx equity, 4xxx revenue, "
                                     "5xxx-9xxx expenses.")
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    type = SelectField("Type", choices=choices(ACCOUNT_TYPES.items()), default="expense")
    description = TextAreaField("Description", validators=[Optional(), Length(max=1000)])
    active = BooleanField("Active (takes postings)", default=True)


# The chart's rows as plain rows (a model costs a field assignment per column), each with its kept posted
# totals (finance_account_total, kept by post_entry) joined in: (id, number, name, type, active, debits less credits).
_NET = fn.COALESCE(AccountTotal.debit_cents - AccountTotal.credit_cents, 0)
_CHART = (PlainSelect(Account, [Account.id, Account.number, Account.name, Account.type, Account.active, _NET])
          .join(AccountTotal, JOIN.LEFT_OUTER, on=(AccountTotal.account == Account.id)))
_ID, _NUMBER, _NAME, _TYPE, _ACTIVE, _NET_AT = range(6)


def _balance(row) -> int:
    """The account's balance on its normal side (debit for assets and expenses, credit for the others)."""
    return row[_NET_AT] if row[_TYPE] in DEBIT_NORMAL else -row[_NET_AT]


@bp.route("/accounts")
@requires("finance.view")
def accounts():
    """The chart: number, name, type, status and each account's balance (its pages kept until an account or its
    posted totals change, per whether the user may edit accounts)."""
    may_edit = can("finance.accounts.edit")
    edit = url_template("finance.account_edit", "account_id") if may_edit else None
    table = paginate(
        _CHART, id="accounts-table", per_page=100, key="finance.accounts",
        columns=[
            TableColumn("number", "Number", sort=Account.number, value=itemgetter(_NUMBER),
                        link=(lambda a: edit(a[_ID])) if edit else None),
            TableColumn("name", "Name", sort=Account.name, value=itemgetter(_NAME)),
            TableColumn("type", "Type", sort=Account.type, value=lambda a: ACCOUNT_TYPES.get(a[_TYPE], a[_TYPE])),
            TableColumn("balance", "Balance", kind="money", value=_balance),
            TableColumn("active", "Status", value=lambda a: "active" if a[_ACTIVE] else "inactive"),
        ],
        search=lambda text: (Account.number ** f"{text}%") | (Account.name ** f"%{text}%"),
        default_sort="number", endpoint="finance.accounts", noun="account", noun_plural="accounts",
        search_placeholder="Number or name", empty_message="No accounts yet. Add one.",
        kept_by=(CHART.key, TOTALS.key), kept_with=(may_edit,))
    return render_page("finance/accounts.html", title="Chart of accounts", table=table,
                       breadcrumbs=[("Chart of accounts", None)])


def _save(form: AccountForm, account: Account | None):
    try:
        return save_account(form_values(form), account)
    except ChartError as exc:
        getattr(form, exc.field or "number").errors.append(str(exc))
        return None


def _form_page(html: str, title: str):
    return render_page("finance/account_form.html", title=title, content=with_csrf_token(html),
                       breadcrumbs=[("Chart of accounts", url_for("finance.accounts")), (title, None)])


def _form_html(form: AccountForm, account: Account | None) -> str:
    """An account's form (and its delete button while it was never used), CSRF tokens as slots."""
    deletable = account is not None and not account.role and not is_used(account)
    return slotted(render_template("finance/_account_form.html", form=form, account=account, deletable=deletable))


@bp.route("/accounts/new", methods=["GET", "POST"])
@requires("finance.accounts.edit")
def account_new():
    """Add an account (the blank form kept: it has no choices read from the books)."""
    if request.method == "GET":
        return _form_page(kept_part((CHART.key,), ("new account",), lambda: _form_html(AccountForm(), None)),
                          "New account")
    form = AccountForm()
    if form.validate_on_submit() and (account := _save(form, None)):
        notify(f"Added account {account.label}.")
        return redirect(url_for("finance.accounts"))
    return _form_page(_form_html(form, None), "New account"), (422 if form.errors else 200)


def _kept_account_form(account_id: int) -> tuple[str, str] | None:
    """An account's title and form as saved, kept until an account, a journal line or a posting rule changes (they
    say whether it may be deleted); None when there is no such account."""
    def build():
        account = Account.get_or_none(Account.id == account_id)
        if account is None:
            return None
        return f"Account {account.label}", _form_html(AccountForm(obj=account), account)

    return kept_part((CHART.key, LINES.key, RULES.key), ("account form", account_id), build)


@bp.route("/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@requires("finance.accounts.edit")
def account_edit(account_id: int):
    """Edit an account; unticking Active deactivates it."""
    if request.method == "GET":
        title, html = _kept_account_form(account_id) or abort(404)
        return _form_page(html, title)
    account = Account.get_or_none(Account.id == account_id) or abort(404)
    form = AccountForm(obj=account)
    if form.validate_on_submit() and (saved := _save(form, account)):
        notify(f"Saved account {saved.label}.")
        return redirect(url_for("finance.accounts"))
    return _form_page(_form_html(form, account), f"Account {account.label}"), (422 if form.errors else 200)


@bp.route("/accounts/<int:account_id>/delete", methods=["POST"])
@requires("finance.accounts.edit")
def account_delete(account_id: int):
    """Delete an account that was never used."""
    account = Account.get_or_none(Account.id == account_id) or abort(404)
    try:
        delete_account(account)
    except ChartError as exc:
        notify(str(exc), "error")
        return redirect(url_for("finance.account_edit", account_id=account.id)), 303
    notify(f"Deleted account {account.label}.")
    return redirect(url_for("finance.accounts")), 303

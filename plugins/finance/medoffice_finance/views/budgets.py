"""Budgets: the list and a new budget (blank, from last year, a copy), and a budget's grid of accounts by month,
edited cell by cell with htmx (or all at once without script), with each account's control."""
from __future__ import annotations

import calendar

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.models import Location
from medoffice.money import format_cents, parse_cents
from medoffice.prepared import slot
from medoffice.settings import today
from medoffice.web.forms import choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from peewee import JOIN, fn
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..budget import (CONTROLS, METHODS, BudgetError, amounts, amounts_by_account, create_budget, set_amount,
                      set_control)
from ..models import BUDGETS, CHART, Account, Budget, BudgetAmount, BudgetControl
from . import bp

MONTHS = [(m, calendar.month_abbr[m]) for m in range(1, 13)]


class NewBudgetForm(FlaskForm):
    """A new year's budget and how it starts."""

    year = IntegerField("Year", validators=[InputRequired(), NumberRange(1900, 2199)])
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    location = SelectField("Location", validators=[Optional()], description="Blank: the whole practice.")
    method = SelectField("Start from", choices=choices(METHODS.items()))
    percent = IntegerField("Change from last year (%)", default=0, validators=[InputRequired(), NumberRange(-100, 1000)])
    source = SelectField("Budget to copy", validators=[Optional()])
    carry_forward = BooleanField("Unused amounts carry forward to the next month")


# Every location (id, name, active) by name: the new budget's choices are the active ones, the list names any.
_LOCATIONS = Location.select(Location.id, Location.name, Location.active).order_by(Location.name).tuples()
_BUDGETS = Budget.select().order_by(Budget.year.desc(), Budget.name)


def _locations() -> tuple[tuple[int, str, bool], ...]:
    """Every location, read on every view: core's locations have no data version, so the kept list takes them among
    its arguments."""
    return tuple((id_, name, bool(active)) for id_, name, active in
                 prepared.run(_LOCATIONS, "finance.budget_locations").cursor)


def _new_form(budgets: list[Budget], locations: tuple[tuple[int, str, bool], ...]) -> NewBudgetForm:
    form = NewBudgetForm()
    form.location.choices = choices([("", "Whole practice")] + [
        (str(id_), name) for id_, name, active in locations if active])
    form.source.choices = choices([("", "")] + [(str(b.id), f"{b.year} {b.name}") for b in budgets])
    return form


def _list_page(html: str):
    return render_page("finance/budgets.html", title="Budgets", content=with_csrf_token(html),
                       breadcrumbs=[("Budgets", None)])


def _list_html(form: NewBudgetForm | None, rows: list[Budget], locations: tuple[tuple[int, str, bool], ...]) -> str:
    """The budgets, and the new budget's form when given, its CSRF token a slot."""
    names = {id_: name for id_, name, _active in locations}
    return slotted(render_template("finance/_budgets.html", rows=rows, names=names, form=form))


def _blank_list_html(may_edit: bool, locations: tuple[tuple[int, str, bool], ...]) -> str:
    rows = list(prepared.run(_BUDGETS, "finance.budgets"))
    form = None
    if may_edit:
        form = _new_form(rows, locations)
        form.year.data = today().year
    return _list_html(form, rows, locations)


@bp.route("/budgets")
@requires("finance.view")
def budgets():
    """The budgets, and the form for a new one (kept until a budget changes, per the locations, the year and
    whether the user may create budgets)."""
    may_edit, locations = can("finance.budget.edit"), _locations()
    html = kept_part((BUDGETS.key,), ("budgets", may_edit, locations, today().year),
                     lambda: _blank_list_html(may_edit, locations))
    return _list_page(html)


@bp.route("/budgets", methods=["POST"])
@requires("finance.budget.edit")
def budget_new():
    """Create a budget."""
    rows, locations = list(prepared.run(_BUDGETS, "finance.budgets")), _locations()
    form = _new_form(rows, locations)
    if form.validate_on_submit():
        try:
            budget = create_budget(form.year.data, form.name.data or "",
                                   location_id=int(form.location.data) if form.location.data else None,
                                   method=form.method.data, percent=form.percent.data,
                                   source_id=int(form.source.data) if form.source.data else None,
                                   carry_forward=form.carry_forward.data)
        except BudgetError as exc:
            form.method.errors.append(str(exc))
        else:
            notify(f"Budget {budget.name} created.")
            return redirect(url_for("finance.budget", budget_id=budget.id), 303)
    return _list_page(_list_html(form, rows, locations)), 422


_BUDGET = Budget.select().where(Budget.id == slot("budget")).limit(1)
# The grid's rows: active revenue and expense accounts, and inactive ones the budget still has cells for, each
# with its control in the budget (read in the same statement: a query of its own costs more than its SQL).
_GRID_ACCOUNTS = (Account.select(Account.id, Account.number, Account.name, fn.COALESCE(BudgetControl.action, "ignore"))
                  .join(BudgetControl, JOIN.LEFT_OUTER, on=((BudgetControl.account == Account.id)
                                                            & (BudgetControl.budget == slot("budget"))))
                  .where(Account.type.in_(["revenue", "expense"])
                         & (Account.active | Account.id.in_(BudgetAmount.select(BudgetAmount.account)
                                                            .where(BudgetAmount.budget == slot("budget")))))
                  .order_by(Account.number).tuples())


def _budget(budget_id: int) -> Budget:
    return next(iter(prepared.run(_BUDGET, "finance.budget", budget=budget_id)), None) or abort(404)


def _grid_accounts(budget: Budget) -> list[tuple[int, str, str]]:
    """The grid's rows as plain (account id, label, control) rows: a model per account costs a field assignment a
    column."""
    rows = prepared.run(_GRID_ACCOUNTS, "finance.budget_grid_accounts", budget=budget.id).cursor
    return [(account_id, f"{number} {name}", control) for account_id, number, name, control in rows]  # Account.label


_CELL = ('<input class="budget-cell{invalid}" name="cell-{account}-{month}" value="{value}" inputmode="decimal" '
         'maxlength="20"\n  aria-label="Budget {account} month {month}"{error}\n'
         '  hx-post="{url}" hx-trigger="change" hx-swap="outerHTML"\n'
         '  hx-vals=\'{{"account": "{account}", "month": "{month}"}}\'>')


def budget_cell_html(cell_url: str, account_id: int, month: int, value: str, error: str = "") -> Markup:
    """One cell's input (the grid's, and the answer to saving it), marked invalid with ``error`` when refused.

    Formatted here rather than by a template macro: the grid has a dozen a row, and a macro call costs ~30 µs.
    """
    return Markup(_CELL.format(invalid=" invalid" if error else "", account=int(account_id), month=int(month),
                               value=escape(value), url=escape(cell_url),
                               error=Markup(' aria-invalid="true" title="{}"').format(error) if error else ""))


# Each control's options, the chosen one selected: the same three on every row.
_CONTROL_OPTIONS = {chosen: "".join(f'<option value="{key}"{" selected" if key == chosen else ""}>{escape(name)}</option>'
                                    for key, name in CONTROLS.items()) for chosen in CONTROLS}
_CONTROL_NAMES = {key: str(escape(name)) for key, name in CONTROLS.items()}


_CELL_PARTS: dict[tuple[str, int], list[tuple[int, str, str]]] = {}


def _cell_parts(cell_url: str, account_id: int) -> list[tuple[int, str, str]]:
    """Each month of an account's row of inputs: (month, the text before its amount, the text after), as _CELL
    written out. A pure function of the budget's cell URL and the account, so built once for each and kept (the
    grid has a dozen cells a row, each a long string of six values)."""
    key = (str(cell_url), int(account_id))
    found = _CELL_PARTS.get(key)
    if found is None:
        if len(_CELL_PARTS) >= 4096:
            _CELL_PARTS.clear()
        found = _CELL_PARTS[key] = [
            (month, f'<td><input class="budget-cell" name="cell-{account_id}-{month}" value="',
             f'" inputmode="decimal" maxlength="20"\n  aria-label="Budget {account_id} month {month}"\n'
             f'  hx-post="{cell_url}" hx-trigger="change" hx-swap="outerHTML"\n'
             f'  hx-vals=\'{{"account": "{account_id}", "month": "{month}"}}\'></td>') for month, _label in MONTHS]
    return found


_NO_AMOUNTS = [0] * 12


def _grid_row(account: tuple[int, str, str], months: list[int], urls: tuple[str, str], editable: bool,
              errors: dict, typed: dict) -> Markup:
    """An account's row of the grid: its twelve months' cents (inputs when ``editable``), the year and its control.

    Written here rather than in the template: the grid has a dozen cells and a control a row, which the
    template's loops and a macro call per cell made the most of the page's time.
    """
    cell_url, control_url = urls
    account_id, label, control = account[0], escape(account[1]), account[2]
    parts = [f'<tr><th scope="row">{label}</th>\n']
    if not editable:
        parts.extend([f"<td>{format_cents(cents)}</td>" for cents in months])
    elif not typed and not errors:  # the amounts as saved (digits, a point, a sign) need no escaping
        parts.extend([f"{before}{cents / 100:.2f}{after}"
                      for (_month, before, after), cents in zip(_cell_parts(cell_url, account_id), months)])
    else:
        for (month, before, after), cents in zip(_cell_parts(cell_url, account_id), months):
            key = (account_id, month)
            if key in typed or key in errors:
                value = typed.get(key) or "%.2f" % (cents / 100)
                parts.append(f"<td>{budget_cell_html(cell_url, account_id, month, value, errors.get(key, ''))}</td>")
            else:
                parts.append(f"{before}{cents / 100:.2f}{after}")
    parts.append(f'\n<td class="num">{format_cents(sum(months))}</td>\n<td>')
    if editable:
        options = _CONTROL_OPTIONS[control]
        parts.append(f'<select name="control-{account_id}" aria-label="Control of {label}" hx-post="{control_url}" '
                     f'hx-trigger="change" hx-vals=\'{{"account": "{account_id}"}}\' hx-swap="none">{options}</select>')
    else:
        parts.append(_CONTROL_NAMES[control])
    parts.append("</td></tr>")
    return Markup("".join(parts))


def _grid(budget: Budget, errors: dict | None = None, typed: dict | None = None, status: int = 200):
    """A budget's page drawn afresh (a refused grid with the cells typed and their errors)."""
    return _grid_page(_grid_parts(budget, can("finance.budget.edit"), errors or {}, typed or {})), status


def _grid_parts(budget: Budget, editable: bool, errors: dict, typed: dict) -> tuple[str, str, str]:
    """A budget's title, breadcrumb and grid (its CSRF token a slot)."""
    cells = amounts_by_account(budget.id)
    urls = (escape(url_for("finance.budget_cell", budget_id=budget.id)),
            escape(url_for("finance.budget_control", budget_id=budget.id)))
    rows = Markup("".join([_grid_row(a, cells.get(a[0], _NO_AMOUNTS), urls, editable, errors, typed)
                           for a in _grid_accounts(budget)]))  # written out once
    html = render_template("finance/_budget.html", budget=budget, rows=rows, months=MONTHS, editable=editable,
                           errors=errors)
    return f"{budget.year} {budget.name}", budget.name, slotted(html)


def _grid_page(parts: tuple[str, str, str]):
    title, crumb, html = parts
    return render_page("finance/budget.html", title=title, content=with_csrf_token(html),
                       breadcrumbs=[("Budgets", url_for("finance.budgets")), (crumb, None)])


@bp.route("/budgets/<int:budget_id>")
@requires("finance.view")
def budget(budget_id: int):
    """The grid: accounts by month, yearly totals and each account's control (kept until a budget, its cells or
    controls, or an account changes, per whether the user may edit budgets)."""
    editable = can("finance.budget.edit")

    def build():
        found = next(iter(prepared.run(_BUDGET, "finance.budget", budget=budget_id)), None)
        return _grid_parts(found, editable, {}, {}) if found is not None else None

    parts = kept_part((BUDGETS.key, CHART.key), ("budget", budget_id, editable), build)
    return _grid_page(parts) if parts is not None else abort(404)


def _cents(text: str) -> int:
    text = (text or "").strip()[:20]
    return parse_cents(text) if text else 0


@bp.route("/budgets/<int:budget_id>/cell", methods=["POST"])
@requires("finance.budget.edit")
def budget_cell(budget_id: int):
    """Save one cell (htmx): answers the cell's input, marked invalid with the reason when refused."""
    found = _budget(budget_id)
    account, month = request.form.get("account", ""), request.form.get("month", "")
    if not (account.isdecimal() and len(account) < 12 and month.isdecimal() and len(month) < 3):
        abort(400, "Say which account and month.")
    text = request.form.get("amount") or request.form.get(f"cell-{account}-{month}", "")
    error = ""
    try:
        set_amount(found.id, int(account), int(month), _cents(text))
    except (ValueError, BudgetError) as exc:
        error = str(exc)
    shown = text if error else format_cents(_cents(text)).replace("$", "")
    return (budget_cell_html(url_for("finance.budget_cell", budget_id=found.id), int(account), int(month), shown, error),
            422 if error else 200)


@bp.route("/budgets/<int:budget_id>/grid", methods=["POST"])
@requires("finance.budget.edit")
def budget_grid(budget_id: int):
    """Save the whole grid (without script): every cell checked first; nothing saved when one is refused."""
    found = _budget(budget_id)
    cells = amounts(found.id)
    wanted, errors, typed = {}, {}, {}
    for account_id, _label, _control in _grid_accounts(found):
        for month, _month_label in MONTHS:
            key = f"cell-{account_id}-{month}"
            if key not in request.form:
                continue
            text = request.form[key]
            try:
                cents = _cents(text)
            except ValueError as exc:
                errors[(account_id, month)], typed[(account_id, month)] = str(exc), text[:20]
                continue
            if cents != cells.get((account_id, month), 0):
                wanted[(account_id, month)] = cents
    if errors:
        return _grid(found, errors, typed, 422)
    for (account_id, month), cents in wanted.items():
        set_amount(found.id, account_id, month, cents)
    notify(f"{len(wanted)} cell(s) saved.")
    return redirect(url_for("finance.budget", budget_id=found.id), 303)


@bp.route("/budgets/<int:budget_id>/control", methods=["POST"])
@requires("finance.budget.edit")
def budget_control(budget_id: int):
    """Set an account's control: ignore, warn or stop."""
    found = _budget(budget_id)
    account = request.form.get("account", "")
    if not account.isdecimal() or len(account) > 11:
        abort(400, "Say which account.")
    # htmx posts the whole grid form with the select, so each account's select has its own name.
    action = request.form.get(f"control-{account}", "")
    try:
        set_control(found.id, int(account), action)
    except BudgetError as exc:
        abort(422, str(exc))
    if request.headers.get("HX-Request"):
        return "", 204
    notify("The control is saved.")
    return redirect(url_for("finance.budget", budget_id=found.id), 303)

"""Budgets: the list and a new budget (blank, from last year, a copy), and a budget's grid of accounts by month,
edited cell by cell with htmx (or all at once without script), with each account's control."""
from __future__ import annotations

import calendar

from flask import abort, get_template_attribute, redirect, request, url_for
from flask_wtf import FlaskForm
from medoffice.auth import can, requires
from medoffice.models import Location
from medoffice.money import format_cents, parse_cents
from medoffice.settings import today
from medoffice.web.forms import choices
from medoffice.web.shell import notify, render_page
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..budget import CONTROLS, METHODS, BudgetError, amounts, create_budget, set_amount, set_control
from ..models import Account, Budget, BudgetControl
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


def _new_form() -> NewBudgetForm:
    form = NewBudgetForm()
    form.location.choices = choices([("", "Whole practice")] + [(str(loc.id), loc.name) for loc in
                                                                 Location.select().where(Location.active)
                                                                 .order_by(Location.name)])
    form.source.choices = choices([("", "")] + [(str(b.id), f"{b.year} {b.name}") for b in
                                                Budget.select().order_by(Budget.year.desc(), Budget.name)])
    return form


def _list_page(form: NewBudgetForm, status: int = 200):
    rows = list(Budget.select().order_by(Budget.year.desc(), Budget.name))
    names = {loc.id: loc.name for loc in Location.select(Location.id, Location.name)}
    return render_page("finance/budgets.html", title="Budgets", rows=rows, names=names, form=form,
                       breadcrumbs=[("Budgets", None)]), status


@bp.route("/budgets")
@requires("finance.view")
def budgets():
    """The budgets, and the form for a new one."""
    form = _new_form()
    form.year.data = form.year.data or today().year
    return _list_page(form)


@bp.route("/budgets", methods=["POST"])
@requires("finance.budget.edit")
def budget_new():
    """Create a budget."""
    form = _new_form()
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
    return _list_page(form, 422)


def _budget(budget_id: int) -> Budget:
    return Budget.get_or_none(Budget.id == budget_id) or abort(404)


def _grid_accounts(budget: Budget, cells: dict) -> list[Account]:
    used = {a for a, _m in cells}
    return list(Account.select().where(Account.type.in_(["revenue", "expense"])
                                       & (Account.active | Account.id.in_(list(used) or [0])))
                .order_by(Account.number))


def _grid(budget: Budget, errors: dict | None = None, typed: dict | None = None, status: int = 200):
    cells = amounts(budget.id)
    controls = {c.account_id: c.action for c in BudgetControl.select().where(BudgetControl.budget == budget.id)}
    year_totals: dict[int, int] = {}
    for (account, _month), cents in cells.items():
        year_totals[account] = year_totals.get(account, 0) + cents
    return render_page("finance/budget.html", title=f"{budget.year} {budget.name}", budget=budget, cells=cells,
                       year_totals=year_totals, cell_url=url_for("finance.budget_cell", budget_id=budget.id),
                       accounts=_grid_accounts(budget, cells), months=MONTHS, controls=controls, control_names=CONTROLS,
                       editable=can("finance.budget.edit"), errors=errors or {}, typed=typed or {},
                       breadcrumbs=[("Budgets", url_for("finance.budgets")), (budget.name, None)]), status


@bp.route("/budgets/<int:budget_id>")
@requires("finance.view")
def budget(budget_id: int):
    """The grid: accounts by month, yearly totals and each account's control."""
    return _grid(_budget(budget_id))


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
    cell = get_template_attribute("finance/_budget_cell.html", "budget_cell")
    return cell(url_for("finance.budget_cell", budget_id=found.id), int(account), int(month),
                text if error else format_cents(_cents(text)).replace("$", ""), error), (422 if error else 200)


@bp.route("/budgets/<int:budget_id>/grid", methods=["POST"])
@requires("finance.budget.edit")
def budget_grid(budget_id: int):
    """Save the whole grid (without script): every cell checked first; nothing saved when one is refused."""
    found = _budget(budget_id)
    cells = amounts(found.id)
    wanted, errors, typed = {}, {}, {}
    for account in _grid_accounts(found, cells):
        for month, _label in MONTHS:
            key = f"cell-{account.id}-{month}"
            if key not in request.form:
                continue
            text = request.form[key]
            try:
                cents = _cents(text)
            except ValueError as exc:
                errors[(account.id, month)], typed[(account.id, month)] = str(exc), text[:20]
                continue
            if cents != cells.get((account.id, month), 0):
                wanted[(account.id, month)] = cents
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

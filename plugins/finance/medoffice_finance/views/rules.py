"""Posting rules: the settings page that says how each kind of billing or payroll event is booked."""
from __future__ import annotations

from collections import namedtuple

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.web.forms import choices, form_values, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import url_template
from peewee import JOIN
from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import Length, Optional

from ..books import BASES, anything_posted, books
from ..models import BOOKS, CHART, RULES, Account, PostingRule
from ..rule_service import RuleError, delete_rule, save_rule
from ..rules import CONDITIONS, EVENT_TITLES, KIND_TITLES, specificity
from . import bp

ANY = [("", "Any")]


class RuleForm(FlaskForm):
    """A rule's event, conditions and accounts."""

    event_name = SelectField("Event", choices=choices(EVENT_TITLES.items()))
    basis = SelectField("Basis of the books", choices=choices([("any", "Any"), ("accrual", "Accrual"),
                                                               ("cash", "Cash")]))
    party = SelectField("Party", choices=choices(ANY + [("insurance", "Insurance"), ("patient", "Patient")]))
    method = SelectField("Payment method", choices=choices(ANY + [(m, m.upper() if m == "eft" else m.capitalize())
                                                                 for m in ("cash", "check", "card", "eft")]))
    kind = SelectField("Kind (of adjustment or payroll line)", choices=choices(ANY + list(KIND_TITLES.items())))
    group_code = SelectField("CAS group code", choices=choices(ANY + [(c, c) for c in ("CO", "PR", "OA", "PI", "CR")]))
    books = BooleanField("Book these events (untick: matched and deliberately not booked)", default=True)
    debit_account = SelectField("Debit", validators=[Optional()])
    credit_account = SelectField("Credit", validators=[Optional()])
    description = StringField("Description", validators=[Optional(), Length(max=200)])


def _form(rule: PostingRule | None = None) -> RuleForm:
    form = RuleForm(obj=rule)
    accounts = choices([("", "")] + [(str(a.id), a.label) for a in
                                     Account.select().where(Account.active).order_by(Account.number)])
    form.debit_account.choices = accounts
    form.credit_account.choices = accounts
    if rule is not None and not form.is_submitted():
        form.debit_account.data = str(rule.debit_account_id or "")
        form.credit_account.data = str(rule.credit_account_id or "")
    return form


def _values(form: RuleForm) -> dict:
    values = form_values(form)
    for side in ("debit_account", "credit_account"):
        values[side] = int(values[side]) if values[side] else None
    return values


_RULE_COLUMNS = ("id", "event_name", "basis", "party", "method", "kind", "group_code", "books", "debit_account_id",
                 "credit_account_id", "description")
RuleRow = namedtuple("RuleRow", _RULE_COLUMNS)
"""A posting rule as its list shows it (read raw: the list has dozens, and a model per row cost more than the SQL)."""
_DEBIT, _CREDIT = Account.alias(), Account.alias()
# Each rule with its accounts' numbers and names (LEFT JOINs: one statement, not the rules and then every label).
_RULES = (PostingRule.select(PostingRule.id, PostingRule.event_name, PostingRule.basis, PostingRule.party,
                             PostingRule.method, PostingRule.kind, PostingRule.group_code, PostingRule.books,
                             PostingRule.debit_account, PostingRule.credit_account, PostingRule.description,
                             _DEBIT.number, _DEBIT.name, _CREDIT.number, _CREDIT.name)
          .join(_DEBIT, JOIN.LEFT_OUTER, on=(PostingRule.debit_account == _DEBIT.id))
          .switch(PostingRule).join(_CREDIT, JOIN.LEFT_OUTER, on=(PostingRule.credit_account == _CREDIT.id))
          .tuples())


def _conditions(rule) -> str:
    """The conditions a rule sets, as "party insurance; method check"."""
    return "; ".join(f"{name.replace('_', ' ')} {getattr(rule, name)}" for name in CONDITIONS if getattr(rule, name))


def _label(number, name) -> str:
    """An account's label (``Account.label``), or nothing for a rule without that account."""
    return "" if number is None else f"{number} {name}"


def _rule_rows(rows: list, labels: dict, edit) -> Markup:
    """The rules' table rows, written here rather than in the template's loop (dozens of rows of six cells)."""
    html = []
    for r in rows:
        title = escape(EVENT_TITLES[r.event_name])
        event = f'<a href="{escape(edit(r.id))}">{title}</a>' if edit else title
        if r.books:
            accounts = f"<td>{escape(labels[r.id][0])}</td><td>{escape(labels[r.id][1])}</td>\n      \n      "
        else:
            accounts = '<td colspan="2">Not booked</td>\n      '
        html.append(f"\n    <tr><td>{event}</td>\n      <td>{escape(r.basis)}</td>\n      <td>{escape(_conditions(r))}</td>"
                    f"\n      {accounts}<td>{escape(r.description)}</td></tr>\n  ")
    return Markup("".join(html))


@bp.route("/rules")
@requires("finance.view")
def rules():
    """Every rule by event, the most specific first, and the books' basis (kept until a rule, an account, the
    books' setup or whether anything is posted changes, per whether the user may edit rules)."""
    may_edit = can("finance.rules.edit")
    html = kept_part((RULES.key, CHART.key, BOOKS.key), ("rules", may_edit), lambda: _rules_html(may_edit))
    return render_page("finance/rules.html", title="Posting rules", content=Markup(html),
                       breadcrumbs=[("Posting rules", None)])


def _rules_html(may_edit: bool) -> str:
    """The rules page's content, read from the books."""
    order = {name: i for i, name in enumerate(EVENT_TITLES)}
    found, labels = [], {}
    for row in prepared.run(_RULES, "finance.posting_rules").cursor:
        found.append(RuleRow(*row[:7], bool(row[7]), *row[8:11]))
        labels[row[0]] = (_label(row[11], row[12]), _label(row[13], row[14]))
    rows = sorted(found, key=lambda r: (order[r.event_name], -specificity(r), r.id))
    edit = url_template("finance.rule_edit", "rule_id") if may_edit else None
    return render_template("finance/_rules.html", rows=_rule_rows(rows, labels, edit), books=books(), bases=BASES,
                           basis_fixed=anything_posted(), may_edit=may_edit)


def _rule_page(content: Markup, title: str):
    return render_page("finance/rule_form.html", title=title, content=content,
                       breadcrumbs=[("Posting rules", url_for("finance.rules")), (title, None)])


def _rule_form_html(form: RuleForm, rule: PostingRule | None) -> Markup:
    return Markup(render_template("finance/_rule_form.html", form=form, rule=rule))


def _kept_rule_form(rule_id: int | None) -> str | None:
    """The form of rule ``rule_id`` as saved (None: a new rule's), its CSRF token a slot; kept until a rule or an
    account changes. None when there is no such rule."""
    def build():
        rule = None
        if rule_id is not None:
            rule = PostingRule.get_or_none(PostingRule.id == rule_id)
            if rule is None:
                return None
        return slotted(_rule_form_html(_form(rule), rule))

    return kept_part((RULES.key, CHART.key), ("rule form", rule_id), build)


@bp.route("/rules/new", methods=["GET", "POST"])
@requires("finance.rules.edit")
def rule_new():
    """Add a rule."""
    if request.method == "GET":
        return _rule_page(with_csrf_token(_kept_rule_form(None)), "New posting rule")
    form = _form()
    if form.validate_on_submit():
        try:
            save_rule(_values(form))
        except RuleError as exc:
            getattr(form, exc.field or "event_name").errors.append(str(exc))
        else:
            notify("Rule added: it books events from now on.")
            return redirect(url_for("finance.rules"))
    return _rule_page(_rule_form_html(form, None), "New posting rule"), 422 if form.errors else 200


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@requires("finance.rules.edit")
def rule_edit(rule_id: int):
    """Edit a rule; events already booked keep their entries."""
    title = f"Posting rule {rule_id}"
    if request.method == "GET":
        html = _kept_rule_form(rule_id)
        return _rule_page(with_csrf_token(html), title) if html is not None else abort(404)
    rule = PostingRule.get_or_none(PostingRule.id == rule_id) or abort(404)
    form = _form(rule)
    if form.validate_on_submit():
        try:
            save_rule(_values(form), rule)
        except RuleError as exc:
            getattr(form, exc.field or "event_name").errors.append(str(exc))
        else:
            notify("Rule saved: it books events from now on.")
            return redirect(url_for("finance.rules"))
    return _rule_page(_rule_form_html(form, rule), title), 422 if form.errors else 200


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
@requires("finance.rules.edit")
def rule_delete(rule_id: int):
    """Delete a rule."""
    rule = PostingRule.get_or_none(PostingRule.id == rule_id) or abort(404)
    delete_rule(rule)
    notify(f"Rule {rule.id} deleted.")
    return redirect(url_for("finance.rules"), 303)

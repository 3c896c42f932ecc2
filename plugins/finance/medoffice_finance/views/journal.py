"""The journal: posted entries, a new entry with its lines, an entry's detail, and reversing it."""
from __future__ import annotations

from operator import itemgetter

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup
from medoffice import prepared
from medoffice.plain import PlainSelect
from medoffice.auth import can, requires
from medoffice.limits import DateInRange
from medoffice.models import Location, User
from medoffice.money import parse_cents
from medoffice.settings import today
from medoffice.web.forms import choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.query import whole_number
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from peewee import JOIN, fn
from wtforms import BooleanField, DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..budget import BudgetError, enforce
from ..journal import KINDS, OWNED_KINDS, JournalError, LineInput, post_entry, reverse_entry
from ..models import BOOKS, CHART, LINES, Account, BudgetLine, JournalEntry, JournalLine
from ..slots import id_slots
from . import bp
from .locations import active_locations


class LineForm(Form):
    """One line of a new entry (a row of the grid); blank rows are ignored."""

    account = SelectField("Account", validators=[Optional()])
    debit = StringField("Debit", validators=[Optional(), Length(max=20)])
    credit = StringField("Credit", validators=[Optional(), Length(max=20)])
    memo = StringField("Line memo", validators=[Optional(), Length(max=200)])
    location = SelectField("Location", validators=[Optional()])
    budget_line = SelectField("Budget line", validators=[Optional()])


class EntryForm(FlaskForm):
    """A journal entry: its date, memo and lines."""

    entry_date = DateField("Date", validators=[DataRequired(message="Enter the entry's date."), DateInRange()])
    memo = StringField("Memo", validators=[DataRequired(message="Say what the entry is for."), Length(max=300)])
    opening = BooleanField("These are the opening balances of the books")
    lines = FieldList(FormField(LineForm), min_entries=6, max_entries=60)


class ReverseForm(FlaskForm):
    """The date and reason of a reversing entry."""

    entry_date = DateField("Date of the reversal", validators=[DataRequired(), DateInRange()])
    reason = TextAreaField("Reason", validators=[DataRequired(message="Say why the entry is reversed."),
                                                 Length(max=250)])


def _fill_choices(form: EntryForm, locations: tuple[tuple[int, str], ...]) -> None:
    accounts = [("", "")] + [(str(a.id), a.label) for a in
                             Account.select().where(Account.active).order_by(Account.number)]
    places = [("", "")] + [(str(id_), name) for id_, name in locations]
    budget = [("", "")] + [(str(b.id), b.name) for b in
                           BudgetLine.select().where(BudgetLine.active).order_by(BudgetLine.name)]
    for row in form.lines:
        row.form.account.choices = choices(accounts)
        row.form.location.choices = choices(places)
        row.form.budget_line.choices = choices(budget)


def _blank_entry_form(rows: int, locations: tuple[tuple[int, str], ...]) -> str:
    """The new entry's form with ``rows`` blank lines, dated today, its CSRF token a slot (kept)."""
    form = EntryForm(lines=[{}] * rows)
    form.entry_date.data = today()
    _fill_choices(form, locations)
    return slotted(_entry_form_html(form))


def _entry_form_html(form: EntryForm) -> Markup:
    return Markup(render_template("finance/_entry_form.html", form=form, rows=len(form.lines)))


def _amount(field) -> int:
    text = (field.data or "").strip()
    if not text:
        return 0
    try:
        return parse_cents(text)
    except ValueError as exc:
        field.errors.append(str(exc)[:1].upper() + str(exc)[1:] + ".")
        return 0


def _lines(form: EntryForm) -> tuple[list[LineInput], list]:
    """The filled rows as lines, and the form rows they came from (errors go to the rows)."""
    lines, rows = [], []
    for row in form.lines:
        sub = row.form
        debit, credit = _amount(sub.debit), _amount(sub.credit)
        if not sub.account.data and not (sub.debit.data or "").strip() and not (sub.credit.data or "").strip():
            continue
        if not sub.account.data:
            sub.account.errors.append("Choose the account.")
            continue
        lines.append(LineInput(int(sub.account.data), debit, credit, (sub.memo.data or "").strip(),
                               int(sub.location.data) if sub.location.data else None,
                               int(sub.budget_line.data) if sub.budget_line.data else None))
        rows.append(sub)
    return lines, rows


_TOTALS_QUERIES: dict[int, object] = {}


def _entry_totals(ids: list[int]) -> dict[int, int]:
    """Each entry's total debits, for the given entries (one prepared query per number of entries, built once)."""
    if not ids:
        return {}
    slots, values = id_slots(ids)
    query = _TOTALS_QUERIES.get(len(ids))
    if query is None:
        if len(_TOTALS_QUERIES) >= 64:
            _TOTALS_QUERIES.clear()
        query = _TOTALS_QUERIES[len(ids)] = (JournalLine.select(JournalLine.entry, fn.SUM(JournalLine.debit_cents))
                                             .where(JournalLine.entry.in_(slots)).group_by(JournalLine.entry).tuples())
    return dict(prepared.run(query, ("finance.entry_totals", len(ids)), **values).cursor)


# The posted entries' four shown columns as plain rows: (id, entry date, kind, memo).
_POSTED = PlainSelect(JournalEntry, [JournalEntry.id, JournalEntry.entry_date, JournalEntry.kind,
                                     JournalEntry.memo]).where(JournalEntry.status == "posted")


@bp.route("/journal")
@requires("finance.view")
def journal():
    """Posted entries, newest first unless the user sorts otherwise, with their totals; each page of them kept until
    an entry or a line changes."""
    if "sort" not in request.args:
        return redirect(url_for("finance.journal", **{**request.args.to_dict(), "sort": "id", "desc": 1}))
    link = url_template("finance.entry", "entry_id")
    table = paginate(
        _POSTED, id="journal-table", key="finance.journal",
        columns=[
            TableColumn("id", "Entry", sort=JournalEntry.id, numeric=True, value=itemgetter(0),
                        link=lambda e: link(e[0])),
            TableColumn("entry_date", "Date", sort=JournalEntry.entry_date, kind="date",
                        value=itemgetter(1)),
            TableColumn("kind", "Kind", sort=JournalEntry.kind, value=lambda e: KINDS.get(e[2], e[2])),
            TableColumn("memo", "Memo", sort=JournalEntry.memo, value=itemgetter(3)),
            TableColumn("total", "Amount", kind="money", value=itemgetter(4)),
        ],
        search=lambda text: JournalEntry.memo ** f"%{text}%", default_sort="id",
        endpoint="finance.journal", noun="entry", noun_plural="entries", search_placeholder="Words in the memo",
        empty_message="No entries yet. Post one, or turn billing on: its payments are booked here.",
        kept_by=(BOOKS.key, LINES.key), attach=_with_totals)
    return render_page("finance/journal.html", title="Journal", table=table, breadcrumbs=[("Journal", None)])


def _with_totals(rows: list) -> None:
    """Add each entry's total debits to its row (a fifth value), in one query for the page."""
    totals = _entry_totals([row[0] for row in rows])
    rows[:] = [(*row, int(totals.get(row[0], 0))) for row in rows]


@bp.route("/journal/new", methods=["GET", "POST"])
@requires("finance.journal.post")
def entry_new():
    """Post a new entry: it balances or is refused with the reason, nothing half-written."""
    rows = whole_number("rows", 6, minimum=2, maximum=60)
    locations = active_locations()
    if request.method == "GET":  # the blank form, kept until an account or a budget line changes
        html = kept_part((CHART.key,), ("new entry", rows, today(), locations),
                         lambda: _blank_entry_form(rows, locations))
        return _new_entry_page(with_csrf_token(html)), 200
    form = EntryForm()
    _fill_choices(form, locations)
    if form.validate_on_submit():
        lines, line_rows = _lines(form)
        if not any(row.form.errors or any(f.errors for f in row.form) for row in form.lines):
            try:
                warnings = enforce([(line.account_id, line.debit_cents, line.location_id) for line in lines
                                    if line.debit_cents], form.entry_date.data)
                entry = post_entry(form.entry_date.data, form.memo.data.strip(), lines,
                                   kind="opening" if form.opening.data else "manual")
            except BudgetError as exc:
                form.form_errors.append(str(exc))
            except JournalError as exc:
                if exc.line is not None and exc.line < len(line_rows):
                    line_rows[exc.line].account.errors.append(str(exc))
                else:
                    form.form_errors.append(str(exc))
            else:
                notify(" ".join([f"Posted entry {entry.id}.", *warnings]))
                return redirect(url_for("finance.entry", entry_id=entry.id))
    status = 422 if (form.errors or form.form_errors or any(f.errors for row in form.lines for f in row.form)) else 200
    return _new_entry_page(_entry_form_html(form)), status


def _new_entry_page(form_html: Markup):
    """The new entry's page around its form."""
    return render_page("finance/entry_form.html", title="New journal entry", content=form_html,
                       breadcrumbs=[("Journal", url_for("finance.journal")), ("New entry", None)])


@bp.route("/journal/<int:entry_id>")
@requires("finance.view")
def entry(entry_id: int):
    """One entry: its lines and totals, what it reverses or was reversed by, and the reverse form."""
    entry = JournalEntry.get_or_none((JournalEntry.id == entry_id) & (JournalEntry.status == "posted")) or abort(404)
    return _entry_page(entry, ReverseForm(entry_date=today()))


def _entry_page(entry: JournalEntry, form: ReverseForm):
    lines = list(JournalLine.select(JournalLine, Account, Location, BudgetLine)
                 .join(Account).switch(JournalLine).join(Location, join_type=JOIN.LEFT_OUTER)
                 .switch(JournalLine).join(BudgetLine, join_type=JOIN.LEFT_OUTER)
                 .where(JournalLine.entry == entry.id).order_by(JournalLine.id))
    reversal = JournalEntry.get_or_none(JournalEntry.reverses == entry.id)
    poster = User.get_or_none(User.id == entry.posted_by_user_id) if entry.posted_by_user_id else None
    return render_page("finance/entry.html", title=f"Entry {entry.id}", entry=entry, lines=lines,
                       kinds=KINDS, reversal=reversal, poster=poster, owned=OWNED_KINDS.get(entry.kind, ""), form=form if can("finance.journal.post") else None,
                       debits=sum(line.debit_cents for line in lines),
                       credits=sum(line.credit_cents for line in lines),
                       breadcrumbs=[("Journal", url_for("finance.journal")), (f"Entry {entry.id}", None)])


@bp.route("/journal/<int:entry_id>/reverse", methods=["POST"])
@requires("finance.journal.post")
def entry_reverse(entry_id: int):
    """Post the reversing entry of a posted one."""
    entry = JournalEntry.get_or_none((JournalEntry.id == entry_id) & (JournalEntry.status == "posted")) or abort(404)
    form = ReverseForm()
    if form.validate_on_submit():
        try:
            reversal = reverse_entry(entry, form.entry_date.data, form.reason.data)
        except JournalError as exc:
            form.reason.errors.append(str(exc))
        else:
            notify(f"Posted entry {reversal.id}, reversing entry {entry.id}.")
            return redirect(url_for("finance.entry", entry_id=reversal.id))
    return _entry_page(entry, form), 422

"""Payables pages: vendors (with their W-9), bills (entered, approved, voided, with the invoice), paying the
bills due, and recurring bills."""
from __future__ import annotations

from operator import itemgetter

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from medoffice import plain, prepared
from medoffice.auth import can, requires
from medoffice.limits import DateInRange
from medoffice.money import parse_cents
from medoffice.settings import today
from medoffice.web.field_html import html_attrs
from medoffice.web.forms import choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import (BooleanField, DateField, FieldList, Form, FormField, IntegerField, SelectField, StringField,
                     TextAreaField)
from peewee import SQL
from wtforms import widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..bank import bank_accounts
from ..models import BILLS, CHART, RECURRING, VENDORS, Account, Bill, BillLine, BillPayment, RecurringBill, Vendor
from ..payables import (FREQUENCIES, METHODS, BillLineInput, PayablesError, approve_bill, create_bill, pay_bill,
                        save_recurring, save_vendor, void_bill)
from . import bp
from .locations import active_locations

STATUSES = {"awaiting": "Awaiting approval", "approved": "Approved", "void": "Void"}


_ACCOUNTS = (Account.select(Account.id, Account.number, Account.name)
             .where(Account.active & Account.type.in_(["expense", "asset"])).order_by(Account.number)
             .tuples())
_VENDORS = Vendor.select(Vendor.id, Vendor.name).where(Vendor.active).order_by(Vendor.name).tuples()


def _accounts():
    rows = prepared.run(_ACCOUNTS, "finance.payable_accounts").cursor
    return [("", "")] + [(str(id_), f"{number} {name}") for id_, number, name in rows]


def _vendors():
    return [("", "")] + [(str(id_), name) for id_, name in prepared.run(_VENDORS, "finance.active_vendors")]


class VendorForm(FlaskForm):
    """A vendor."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    is_1099 = BooleanField("Gets a 1099-NEC (attach the W-9 on the vendor's page)")
    default_account = SelectField("Default expense account", validators=[Optional()])
    terms_days = IntegerField("Terms (days to pay)", default=30, validators=[InputRequired(), NumberRange(0, 365)])
    email = StringField("E-mail", validators=[Optional(), Length(max=200)])
    address = TextAreaField("Address", validators=[Optional(), Length(max=1000)])
    active = BooleanField("Active", default=True)


@bp.route("/vendors")
@requires("finance.view")
def vendors():
    """The vendors (their pages kept until a vendor changes)."""
    link = url_template("finance.vendor", "vendor_id")
    table = paginate(
        Vendor.select(), id="vendors-table", key="finance.vendors",
        columns=[TableColumn("name", "Name", sort=Vendor.name, link=lambda v: link(v.id)),
                 TableColumn("is_1099", "1099", kind="boolean"), TableColumn("terms_days", "Terms", numeric=True),
                 TableColumn("active", "Active", kind="boolean")],
        search=lambda text: Vendor.name ** f"%{text}%", default_sort="name", endpoint="finance.vendors",
        noun="vendor", noun_plural="vendors", search_placeholder="Name", empty_message="No vendors yet. Add one.",
        kept_by=(VENDORS.key,))
    return render_page("finance/vendors.html", title="Vendors", table=table, breadcrumbs=[("Vendors", None)])


def _vendor_form(form: VendorForm, vendor: Vendor | None):
    form.default_account.choices = choices(_accounts())
    if form.validate_on_submit():
        values = {"name": form.name.data, "is_1099": form.is_1099.data,
                  "default_account": int(form.default_account.data) if form.default_account.data else None,
                  "terms_days": form.terms_days.data, "email": (form.email.data or "").strip(),
                  "address": (form.address.data or "").strip(), "active": form.active.data}
        try:
            saved = save_vendor(values, vendor)
        except PayablesError as exc:
            getattr(form, exc.field or "name").errors.append(str(exc))
        else:
            notify(f"Saved vendor {saved.name}.")
            return redirect(url_for("finance.vendor", vendor_id=saved.id), 303)
    return _vendor_page(_vendor_parts(form, vendor), vendor.id if vendor else None), (422 if form.errors else 200)


def _vendor_parts(form: VendorForm | None, vendor: Vendor | None) -> tuple[str, str, str]:
    """A vendor's title and what its page shows before and after its W-9 panel (its form, if given, and its
    recent bills), CSRF tokens as slots."""
    title = vendor.name if vendor else "New vendor"
    bills = (list(Bill.select().where(Bill.vendor == vendor.id).order_by(Bill.bill_date.desc()).limit(50))
             if vendor else [])
    context = dict(title=title, form=form, vendor=vendor, bills=bills)
    return (title, slotted(render_template("finance/_vendor_head.html", **context)),
            slotted(render_template("finance/_vendor_bills.html", **context)))


def _vendor_page(parts: tuple[str, str, str], vendor_id: int | None):
    """A vendor's page from its parts; the W-9 panel is drawn on every view."""
    title, head, tail = parts
    return render_page("finance/vendor.html", title=title, vendor_id=vendor_id, head=with_csrf_token(head),
                       tail=with_csrf_token(tail), breadcrumbs=[("Vendors", url_for("finance.vendors")), (title, None)])


@bp.route("/vendors/new", methods=["GET", "POST"])
@requires("finance.bills.edit")
def vendor_new():
    """Add a vendor (the blank form kept until an account changes)."""
    if request.method == "GET":
        parts = kept_part((CHART.key,), ("new vendor",), lambda: _vendor_parts(_blank_vendor_form(), None))
        return _vendor_page(parts, None)
    return _vendor_form(VendorForm(), None)


def _blank_vendor_form() -> VendorForm:
    form = VendorForm()
    form.default_account.choices = choices(_accounts())
    return form


@bp.route("/vendors/<int:vendor_id>")
@requires("finance.view")
def vendor(vendor_id: int):
    """A vendor: details, W-9, recent bills (kept until a vendor, a bill or an account changes, per whether the user
    may edit vendors)."""
    may_edit = can("finance.bills.edit")

    def build():
        found = Vendor.get_or_none(Vendor.id == vendor_id)
        if found is None:
            return None
        form = None
        if may_edit:
            form = VendorForm(obj=found, default_account=str(found.default_account_id or ""))
            form.default_account.choices = choices(_accounts())
        return _vendor_parts(form, found)

    parts = kept_part((VENDORS.key, BILLS.key, CHART.key), ("vendor", vendor_id, may_edit), build)
    return _vendor_page(parts, vendor_id) if parts is not None else abort(404)


@bp.route("/vendors/<int:vendor_id>", methods=["POST"])
@requires("finance.bills.edit")
def vendor_edit(vendor_id: int):
    """Save a vendor."""
    found = Vendor.get_or_none(Vendor.id == vendor_id) or abort(404)
    return _vendor_form(VendorForm(), found)


class BillLineForm(Form):
    """One line of a bill; blank rows are ignored."""

    account = SelectField("Account", validators=[Optional()])
    amount = StringField("Amount", validators=[Optional(), Length(max=20)])
    memo = StringField("Line memo", validators=[Optional(), Length(max=200)])
    location = SelectField("Location", validators=[Optional()])


class BillForm(FlaskForm):
    """A vendor's bill."""

    vendor = SelectField("Vendor", validators=[DataRequired(message="Choose the vendor.")])
    number = StringField("Vendor's invoice number", validators=[Optional(), Length(max=60)])
    bill_date = DateField("Bill date", validators=[DataRequired(), DateInRange()])
    due_date = DateField("Due date", validators=[Optional(), DateInRange()],
                         description="Blank: the bill date plus the vendor's terms.")
    memo = StringField("Memo", validators=[Optional(), Length(max=200)])
    lines = FieldList(FormField(BillLineForm), min_entries=4, max_entries=30)


# The columns the bills list shows as plain rows: (id, number, vendor, bill date, due date, status, total, paid);
# two joined models of 17 and 9 columns per row cost more than the page's query.
_BILLS = plain.PlainSelect(Bill, [Bill.id, Bill.number, Vendor.name, Bill.bill_date, Bill.due_date, Bill.status,
                                  Bill.total_cents, Bill.paid_cents]).join(Vendor)


@bp.route("/bills")
@requires("finance.view")
def bills():
    """Bills, by due date (their pages kept until a bill or a vendor changes)."""
    link = url_template("finance.bill", "bill_id")
    table = paginate(
        _BILLS, id="bills-table", key="finance.bills",
        columns=[TableColumn("number", "Bill", sort=Bill.number, value=itemgetter(1), link=lambda b: link(b[0])),
                 TableColumn("vendor", "Vendor", sort=Vendor.name, value=itemgetter(2)),
                 TableColumn("bill_date", "Date", sort=Bill.bill_date, kind="date", value=itemgetter(3)),
                 TableColumn("due_date", "Due", sort=Bill.due_date, kind="date", value=itemgetter(4)),
                 TableColumn("status", "Status", kind="status", value=lambda b: STATUSES.get(b[5], b[5])),
                 TableColumn("total", "Total", sort=Bill.total_cents, kind="money", value=itemgetter(6)),
                 TableColumn("open", "Open", kind="money", value=lambda b: b[6] - b[7])],
        search=lambda text: (Bill.number ** f"%{text}%") | (Vendor.name ** f"%{text}%"), default_sort="due_date",
        endpoint="finance.bills", noun="bill", noun_plural="bills", search_placeholder="Bill number or vendor",
        empty_message="No bills yet. Enter one from a vendor's invoice.", kept_by=(BILLS.key, VENDORS.key))
    return render_page("finance/bills.html", title="Bills", table=table, breadcrumbs=[("Bills", None)])


def _bill_lines(form: BillForm) -> list[BillLineInput] | None:
    lines, ok = [], True
    for row in form.lines:
        sub = row.form
        if not sub.account.data and not (sub.amount.data or "").strip():
            continue
        if not sub.account.data:
            sub.account.errors.append("Choose the account.")
            ok = False
            continue
        try:
            cents = parse_cents((sub.amount.data or "").strip())
        except ValueError as exc:
            sub.amount.errors.append(str(exc)[:1].upper() + str(exc)[1:] + ".")
            ok = False
            continue
        lines.append(BillLineInput(int(sub.account.data), cents, (sub.memo.data or "").strip(),
                                   int(sub.location.data) if sub.location.data else None))
    return lines if ok else None


@bp.route("/bills/new", methods=["GET", "POST"])
@requires("finance.bills.edit")
def bill_new():
    """Enter a bill: approved at once at or under the threshold, else waiting for approval."""
    locations = active_locations()
    if request.method == "GET":  # the blank form, kept until a vendor or an account changes
        html = kept_part((CHART.key, VENDORS.key), ("new bill", today(), locations),
                         lambda: _blank_bill_form(locations))
        return _new_bill_page(with_csrf_token(html)), 200
    form = _bill_form(locations)
    if form.validate_on_submit():
        lines = _bill_lines(form)
        if lines is not None:
            try:
                bill = create_bill(int(form.vendor.data), form.number.data or "", form.bill_date.data, lines,
                                   due_date=form.due_date.data, memo=(form.memo.data or "").strip())
            except PayablesError as exc:
                target = getattr(form, exc.field, None) if exc.field else None
                (target.errors if target is not None else form.form_errors).append(str(exc))
            else:
                notify(f"Bill {bill.number} entered" + (": it waits for approval." if bill.status == "awaiting"
                                                        else " and approved."))
                return redirect(url_for("finance.bill", bill_id=bill.id), 303)
    return _new_bill_page(_bill_form_html(form)), 422


def _bill_form(locations: tuple[tuple[int, str], ...]) -> BillForm:
    """The bill form (the request's data, if posted) with its vendors', accounts' and locations' choices."""
    form = BillForm()
    form.vendor.choices = choices(_vendors())
    accounts, places = _accounts(), [("", "")] + [(str(id_), name) for id_, name in locations]
    for row in form.lines:
        row.form.account.choices = choices(accounts)
        row.form.location.choices = choices(places)
    return form


def _blank_bill_form(locations: tuple[tuple[int, str], ...]) -> str:
    """The new bill's form, dated today, its CSRF token a slot (kept)."""
    form = _bill_form(locations)
    form.bill_date.data = today()
    return slotted(_bill_form_html(form))


def _bill_form_html(form: BillForm) -> Markup:
    return Markup(render_template("finance/_bill_form.html", form=form))


def _new_bill_page(form_html: Markup):
    """The new bill's page around its form."""
    return render_page("finance/bill_form.html", title="New bill", content=form_html,
                       breadcrumbs=[("Bills", url_for("finance.bills")), ("New bill", None)])


def _bill_page(found: Bill, error: str = "", status: int = 200):
    """A bill's page drawn afresh (after a refused approval or void, with the reason)."""
    return _bill_page_of(_bill_parts(found, error), found.id), status


def _bill_page_of(parts: tuple[str, str, str], bill_id: int):
    """A bill's page from its parts (the title, before and after its invoice panel, CSRF tokens as slots); the
    invoice panel is drawn on every view."""
    title, head, tail = parts
    return render_page("finance/bill.html", title=title, bill_id=bill_id, head=with_csrf_token(head),
                       tail=with_csrf_token(tail),
                       breadcrumbs=[("Bills", url_for("finance.bills")), (title, None)])


def _bill_parts(found: Bill, error: str = "") -> tuple[str, str, str]:
    """A bill's title and what its page shows before and after its invoice panel, CSRF tokens as slots."""
    lines = list(BillLine.select(BillLine, Account).join(Account).where(BillLine.bill == found.id).order_by(BillLine.id))
    payments = list(BillPayment.select().where(BillPayment.bill == found.id).order_by(BillPayment.paid_on))
    context = dict(bill=found, lines=lines, payments=payments, vendor=Vendor.get_by_id(found.vendor_id),
                   statuses=STATUSES, error=error, methods=METHODS)
    return (f"Bill {found.number}", slotted(render_template("finance/_bill_head.html", **context)),
            slotted(render_template("finance/_bill_void.html", **context)))


def _bill(bill_id: int) -> Bill:
    return Bill.get_or_none(Bill.id == bill_id) or abort(404)


@bp.route("/bills/<int:bill_id>")
@requires("finance.view")
def bill(bill_id: int):
    """A bill: its lines, status, payments and invoice (kept until a bill, a vendor or an account changes, per what
    the user may do with it)."""
    def build():
        found = Bill.get_or_none(Bill.id == bill_id)
        return _bill_parts(found) if found is not None else None

    may = tuple(can(name) for name in ("finance.bills.approve", "finance.bills.pay", "finance.bills.edit"))
    parts = kept_part((BILLS.key, VENDORS.key, CHART.key), ("bill", bill_id, may), build)
    return _bill_page_of(parts, bill_id) if parts is not None else abort(404)


@bp.route("/bills/<int:bill_id>/approve", methods=["POST"])
@requires("finance.bills.approve")
def bill_approve(bill_id: int):
    """Approve a bill waiting for approval."""
    found = _bill(bill_id)
    try:
        approve_bill(found.id)
    except PayablesError as exc:
        return _bill_page(found, str(exc), 422)
    notify(f"Bill {found.number} approved.")
    return redirect(url_for("finance.bill", bill_id=found.id), 303)


@bp.route("/bills/<int:bill_id>/void", methods=["POST"])
@requires("finance.bills.edit")
def bill_void(bill_id: int):
    """Void a bill nothing was paid on."""
    found = _bill(bill_id)
    try:
        void_bill(found.id, (request.form.get("reason") or "")[:500], today())
    except PayablesError as exc:
        return _bill_page(found, str(exc), 422)
    notify(f"Bill {found.number} voided.")
    return redirect(url_for("finance.bill", bill_id=found.id), 303)


class PayForm(FlaskForm):
    """How the chosen bills are paid."""

    paid_on = DateField("Payment date", validators=[DataRequired(), DateInRange()])
    bank_account = SelectField("From bank account", validators=[DataRequired(message="Choose the bank account.")])
    method = SelectField("Method", choices=choices(METHODS.items()))
    first_check = StringField("First check number", validators=[Optional(), Length(max=20)],
                              description="Checks are numbered from it, one per bill, in the order listed.")


@bp.route("/bills/pay", methods=["GET", "POST"])
@requires("finance.bills.pay")
def bills_pay():
    """Pay bills due: tick them, adjust the amounts (partial payments), record checks or ACH."""
    if request.method == "GET":  # kept until a bill, a vendor or an account changes
        html = kept_part((BILLS.key, VENDORS.key, CHART.key), ("pay bills", today()), _blank_pay_html)
        return _pay_page(with_csrf_token(html)), 200
    due = _bills_due()
    form = _pay_form()
    errors = []
    if form.validate_on_submit():
        chosen = {int(v) for v in request.form.getlist("bills") if v.isdecimal() and len(v) < 12}
        picked = [b for b in due if b.id in chosen]
        if not picked:
            errors.append("Tick the bills to pay.")
        check = (form.first_check.data or "").strip()
        if form.method.data == "check" and picked and not check.isdecimal():
            errors.append("Enter the first check number (digits).")
        amounts = {}
        for found in picked:
            try:
                amounts[found.id] = parse_cents((request.form.get(f"amount-{found.id}") or "")[:20].strip())
            except ValueError as exc:
                errors.append(f"Bill {found.number}: {exc}.")
        if not errors:
            paid = 0
            try:
                for number, found in enumerate(picked):
                    check_number = str(int(check) + number) if form.method.data == "check" else ""
                    pay_bill(found.id, amounts[found.id], form.paid_on.data, int(form.bank_account.data),
                             form.method.data, check_number)
                    paid += 1
            except PayablesError as exc:
                errors.append(f"Bill {found.number}: {exc}" + (f" ({paid} paid before it.)" if paid else ""))
            else:
                notify(f"{paid} bill(s) paid. The check register is under Reports.")
                return redirect(url_for("finance.bills_pay"), 303)
    else:
        errors.extend(message for messages in form.errors.values() for message in messages)
    return _pay_page(_pay_html(form, due, errors)), (422 if errors else 200)


def _bills_due() -> list[Bill]:
    """Approved bills not paid in full, by due date (at most 200), with their vendors."""
    return list(Bill.select(Bill, Vendor).join(Vendor).where((Bill.status == "approved")
                                                            & (Bill.paid_cents < Bill.total_cents))
                .order_by(Bill.due_date, Vendor.name, Bill.id).limit(200))


def _pay_form() -> PayForm:
    form = PayForm()
    form.bank_account.choices = choices([(str(a.id), a.label) for a in bank_accounts()])
    return form


def _blank_pay_html() -> str:
    """The bills due and the payment form, dated today, its CSRF token a slot (kept)."""
    form = _pay_form()
    form.paid_on.data = today()
    return slotted(_pay_html(form, _bills_due(), []))


def _pay_html(form: PayForm, due: list[Bill], errors: list[str]) -> Markup:
    return Markup(render_template("finance/_bills_pay.html", form=form, due=due, errors=errors))


def _pay_page(content: Markup):
    return render_page("finance/bills_pay.html", title="Pay bills", content=content,
                       breadcrumbs=[("Bills", url_for("finance.bills")), ("Pay bills", None)])


def _quoted(value) -> str:
    return str(escape(value)).replace(chr(34), "&quot;")  # as core's html_attrs writes an attribute


class PlainSelect(widgets.Select):
    """wtforms' single select, the same HTML as core's (medoffice.web.field_html), its options written straight from
    the field's choices: through wtforms' Choice objects and attribute formatting each option cost ~2.5 us, and the
    accounts' select has forty. Selects with option attributes or groups are left to wtforms."""

    def __call__(self, field, **kwargs):
        options = field.choices
        if (self.multiple or "name" in kwargs or not isinstance(options, list)
                or not all(type(c) is SelectChoice and not c.render_kw and c.optgroup is None for c in options)):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for name in self.validation_attrs:
            if name in flags and name not in kwargs:
                kwargs[name] = flags[name]
        kwargs["name"] = field.name
        coerce, data = field.coerce, field.data
        html = [f"<select {html_attrs(kwargs)}>"]
        for c in options:
            value = str(c.value) if isinstance(c.value, bool) else c.value
            quoted = value if type(value) is str and value.isdigit() else _quoted(value)  # ids need no escaping
            html.append(f'<option {"selected " if coerce(c.value) == data else ""}value="{quoted}">'
                        f'{escape(c.label or c.value)}</option>')
        html.append("</select>")
        return Markup("".join(html))


class RecurringForm(FlaskForm):
    """A recurring bill."""

    vendor = SelectField("Vendor", validators=[DataRequired(message="Choose the vendor.")], widget=PlainSelect())
    memo = StringField("What for", validators=[DataRequired(), Length(max=200)])
    account = SelectField("Account", validators=[DataRequired(message="Choose the account.")], widget=PlainSelect())
    amount = StringField("Amount", validators=[DataRequired(), Length(max=20)])
    frequency = SelectField("How often", choices=choices(FREQUENCIES.items()), widget=PlainSelect())
    interval = IntegerField("Every how many weeks", default=1, validators=[InputRequired(), NumberRange(1, 52)])
    starts_on = DateField("First date", validators=[DataRequired(), DateInRange()])
    ends_on = DateField("Last date", validators=[Optional(), DateInRange()])
    days_ahead = IntegerField("Enter it this many days ahead", default=14, validators=[InputRequired(),
                                                                                      NumberRange(0, 90)])


# The form's vendors (0, id, name) and accounts (1, id, number, name), each in the order of _VENDORS and _ACCOUNTS,
# in one statement: a query of its own costs ~30-40 us besides its SQL.
_VENDORS_AND_ACCOUNTS = (
    Vendor.select(SQL("0"), Vendor.id, Vendor.name, Vendor.name).where(Vendor.active)
    .union_all(Account.select(SQL("1"), Account.id, Account.number, Account.name)
               .where(Account.active & Account.type.in_(["expense", "asset"])))
    .order_by(SQL("1"), SQL("3")).tuples())


def _recurring_form() -> RecurringForm:
    form = RecurringForm()
    vendors, accounts = [("", "")], [("", "")]
    for kind, id_, text, name in prepared.run(_VENDORS_AND_ACCOUNTS, "finance.recurring_choices").cursor:
        if kind == 0:
            vendors.append((str(id_), text))
        else:
            accounts.append((str(id_), f"{text} {name}"))
    form.vendor.choices = choices(vendors)
    form.account.choices = choices(accounts)
    return form


# The columns the list shows, as plain rows (dates converted): two joined models built per row cost more than the
# page's query.
_RECURRING = (RecurringBill.select(Vendor.name.alias("vendor_name"), RecurringBill.memo, RecurringBill.frequency,
                                   RecurringBill.interval, RecurringBill.starts_on, RecurringBill.amount_cents,
                                   RecurringBill.created_through)
              .join(Vendor).order_by(Vendor.name, RecurringBill.id).dicts())


def _recurring_page(html: str):
    return render_page("finance/recurring.html", title="Recurring bills", content=with_csrf_token(html),
                       breadcrumbs=[("Bills", url_for("finance.bills")), ("Recurring bills", None)])


def _recurring_html(form: RecurringForm | None) -> str:
    """The recurring bills, and the form to add one when given, its CSRF token a slot."""
    rows = list(prepared.run(_RECURRING, "finance.recurring_bills"))
    return slotted(render_template("finance/_recurring.html", form=form, rows=rows, frequencies=FREQUENCIES))


@bp.route("/bills/recurring")
@requires("finance.view")
def recurring():
    """Recurring bills, and the form to add one (kept until a recurring bill, a vendor or an account changes, per
    whether the user may add one)."""
    may_edit = can("finance.bills.edit")
    html = kept_part((RECURRING.key, VENDORS.key, CHART.key), ("recurring bills", may_edit),
                     lambda: _recurring_html(_recurring_form() if may_edit else None))
    return _recurring_page(html)


@bp.route("/bills/recurring", methods=["POST"])
@requires("finance.bills.edit")
def recurring_new():
    """Add a recurring bill."""
    form = _recurring_form()
    if form.validate_on_submit():
        try:
            cents = parse_cents(form.amount.data.strip())
            save_recurring({"vendor": int(form.vendor.data), "memo": form.memo.data.strip(),
                            "account": int(form.account.data), "location": None, "amount_cents": cents,
                            "frequency": form.frequency.data, "interval": form.interval.data,
                            "starts_on": form.starts_on.data, "ends_on": form.ends_on.data,
                            "days_ahead": form.days_ahead.data})
        except (ValueError, PayablesError) as exc:
            form.amount.errors.append(str(exc))
        else:
            notify("The recurring bill is saved: the daily job enters each one ahead of its date.")
            return redirect(url_for("finance.recurring"), 303)
    return _recurring_page(_recurring_html(form)), 422

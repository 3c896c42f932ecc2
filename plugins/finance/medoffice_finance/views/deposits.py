"""Deposits: the list of slips, a new slip from undeposited desk payments, the slip and its PDF."""
from __future__ import annotations

from flask import Response, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from medoffice import audit
from medoffice.auth import can, requires
from medoffice.limits import DateInRange
from medoffice.settings import today
from medoffice.web.forms import choices
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..deposits import DepositError, make_deposit, slip, slip_pdf, undeposited, void_deposit
from ..models import DEPOSITS, Account, Deposit
from . import bp


class DepositForm(FlaskForm):
    """The payments on the slip, its date and the bank account."""

    payments = SelectMultipleField("Payments to deposit", coerce=int, validate_choice=False)
    deposit_date = DateField("Deposit date", validators=[DataRequired(), DateInRange()])
    bank_account = SelectField("Bank account", validators=[DataRequired(message="Choose the bank account.")])
    memo = StringField("Memo", validators=[Optional(), Length(max=200)])


class VoidForm(FlaskForm):
    """When and why a slip is voided."""

    void_date = DateField("Date of the reversal", validators=[DataRequired(), DateInRange()])
    reason = TextAreaField("Reason", validators=[DataRequired(message="Say why the deposit is voided."),
                                                 Length(max=500)])


def _bank_choices():
    banks = (Account.select().where((Account.type == "asset") & Account.active
                                    & (Account.role.is_null() | (Account.role == "bank")))
             .order_by(Account.role.is_null(), Account.number))
    return choices([(str(a.id), a.label) for a in banks])


@bp.route("/deposits")
@requires("finance.view")
def deposits():
    """The slips, newest first unless sorted otherwise, and what waits to be deposited."""
    if "sort" not in request.args:
        return redirect(url_for("finance.deposits", **{**request.args.to_dict(), "sort": "date", "desc": 1}))
    link = url_template("finance.deposit", "deposit_id")
    table = paginate(
        Deposit.select(), id="deposits-table", key="finance.deposits",
        columns=[TableColumn("id", "Slip", sort=Deposit.id, numeric=True, link=lambda d: link(d.id)),
                 TableColumn("date", "Date", sort=Deposit.deposit_date, value=lambda d: d.deposit_date, kind="date"),
                 TableColumn("memo", "Memo", sort=Deposit.memo),
                 TableColumn("status", "Status", kind="status",
                             value=lambda d: "voided" if d.voided_at else "posted"),
                 TableColumn("total", "Total", sort=Deposit.total_cents, value=lambda d: d.total_cents, kind="money")],
        search=lambda text: Deposit.memo ** f"%{text}%", default_sort="date", endpoint="finance.deposits",
        noun="deposit", noun_plural="deposits", search_placeholder="Words in the memo",
        empty_message="No deposits yet. Make one from the desk's cash and checks.", kept_by=(DEPOSITS.key,))
    waiting = undeposited()
    return render_page("finance/deposits.html", title="Deposits", table=table, waiting=waiting,
                       waiting_cents=sum(w.amount_cents for w in waiting), breadcrumbs=[("Deposits", None)])


@bp.route("/deposits/new", methods=["GET", "POST"])
@requires("finance.deposits.make")
def deposit_new():
    """Build a slip: tick the cash and checks going to the bank."""
    waiting = undeposited()
    form = DepositForm()
    form.bank_account.choices = _bank_choices()
    if request.method == "GET":
        form.deposit_date.data = today()
        form.payments.data = [w.booked_event_id for w in waiting if w.amount_cents > 0]
    if form.validate_on_submit():
        try:
            deposit = make_deposit(form.payments.data or [], form.deposit_date.data, int(form.bank_account.data),
                                   (form.memo.data or "").strip())
        except DepositError as exc:
            form.payments.errors.append(str(exc))
        else:
            notify(f"Deposit {deposit.id} posted: print the slip for the bank.")
            return redirect(url_for("finance.deposit", deposit_id=deposit.id))
    return render_page("finance/deposit_form.html", title="New deposit", form=form, waiting=waiting,
                       breadcrumbs=[("Deposits", url_for("finance.deposits")), ("New deposit", None)]), \
        (422 if form.errors else 200)


@bp.route("/deposits/<int:deposit_id>")
@requires("finance.view")
def deposit(deposit_id: int):
    """One slip: the checks listed, the cash, the total and its journal entry."""
    found = Deposit.get_or_none(Deposit.id == deposit_id) or abort(404)
    return _deposit_page(found, VoidForm(void_date=today()))


def _deposit_page(found: Deposit, form: VoidForm, status: int = 200):
    return render_page("finance/deposit.html", title=f"Deposit {found.id}", s=slip(found),
                       form=form if can("finance.deposits.make") and not found.voided_at else None,
                       breadcrumbs=[("Deposits", url_for("finance.deposits")), (f"Deposit {found.id}", None)]), status


@bp.route("/deposits/<int:deposit_id>/void", methods=["POST"])
@requires("finance.deposits.make")
def deposit_void(deposit_id: int):
    """Void a slip: its entry is reversed and its payments wait for the bank again."""
    found = Deposit.get_or_none(Deposit.id == deposit_id) or abort(404)
    form = VoidForm()
    if form.validate_on_submit():
        try:
            void_deposit(found, form.void_date.data, form.reason.data)
        except DepositError as exc:
            form.reason.errors.append(str(exc))
        else:
            notify(f"Deposit {found.id} voided: its payments wait for the bank again.")
            return redirect(url_for("finance.deposit", deposit_id=found.id))
    return _deposit_page(found, form, 422)


@bp.route("/deposits/<int:deposit_id>.pdf")
@requires("finance.view")
def deposit_pdf(deposit_id: int):
    """The slip as a PDF to take to the bank (audited: it leaves the application)."""
    found = Deposit.get_or_none(Deposit.id == deposit_id) or abort(404)
    data = slip_pdf(render_template("finance/deposit_pdf.html", s=slip(found)))
    audit.record("finance.deposit.pdf", "finance_deposit", found.id)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="deposit-{found.id}.pdf"'})

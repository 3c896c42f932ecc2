"""The fee schedule: list, and the add/edit form with per-payer expected amounts."""
from __future__ import annotations

from types import SimpleNamespace

from flask import abort, redirect, url_for
from flask_wtf import FlaskForm
from medoffice.auth import can, requires
from medoffice.money import format_cents
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..models import FEES, ExpectedAmount, Fee, Payer
from ..reference import ReferenceDataError, modifier_is_valid_format, procedure_code_is_valid_format, save_fee
from . import bp
from .fields import MoneyField


class FeeForm(FlaskForm):
    """A fee-schedule entry; the per-payer ``allowed_<id>`` fields are added per request."""

    code = StringField("Code", description="CPT (5 characters) or HCPCS Level II (a letter and 4 digits).",
                       validators=[DataRequired()], filters=[lambda v: (v or "").strip().upper()])
    modifier = StringField("Modifier", description="Only when the charge differs with this modifier (e.g. 26).",
                           validators=[Optional()], filters=[lambda v: (v or "").strip().upper()])
    description = StringField("Description", description="Your own words. Do not paste AMA CPT descriptions.",
                              validators=[Optional(), Length(max=120)])
    charge = MoneyField("Charge", validators=[InputRequired(message="Enter the charge, such as 125.00.")])
    active = BooleanField("Active", default=True)

    def validate_code(self, field):
        """CPT or HCPCS shape."""
        if not procedure_code_is_valid_format(field.data):
            raise ValidationError("Use a CPT code (5 characters, such as 99213) or a HCPCS code (such as G0438).")

    def validate_modifier(self, field):
        """Two letters or digits."""
        if field.data and not modifier_is_valid_format(field.data):
            raise ValidationError("A modifier is two letters or digits, such as 25 or TC.")


def _form_for(payers: list[Payer], **kwargs) -> FeeForm:
    class PayerFeeForm(FeeForm):
        pass

    for payer in payers:
        setattr(PayerFeeForm, f"allowed_{payer.id}", MoneyField(
            f"Expected from {payer.name}", validators=[Optional()],
            description="What this payer allows for the code; blank if unknown."))
    return PayerFeeForm(**kwargs)


_LIST_COLUMNS = (Fee.id, Fee.code, Fee.modifier, Fee.description, Fee.charge_cents, Fee.active)


@bp.route("/fees")
@requires("billing.view")
def fees():
    """The fee schedule, searchable by code or description."""
    editable = can("billing.fees.edit")
    edit_url = url_template("billing.fee_edit", "fee_id")
    table = paginate(
        Fee.select(*_LIST_COLUMNS).objects(SimpleNamespace),
        id="fees-table",
        columns=[
            TableColumn("code", "Code", sort=Fee.code, link=(lambda f: edit_url(f.id)) if editable else None),
            TableColumn("modifier", "Modifier", sort=Fee.modifier),
            TableColumn("description", "Description", sort=Fee.description),
            TableColumn("charge", "Charge", sort=Fee.charge_cents, numeric=True,
                        value=lambda f: format_cents(f.charge_cents)),
            TableColumn("active", "Status", value=lambda f: "active" if f.active else "inactive"),
        ],
        search=lambda text: (Fee.code ** f"%{text}%") | (Fee.description ** f"%{text}%"),
        default_sort="code", endpoint="billing.fees", noun="code", noun_plural="codes",
        search_placeholder="Code or description",
        empty_message="The fee schedule is empty. Add a code, or load the demo data.", key=("billing.fees",),
        kept_by=FEES.key, kept_with=(editable,),
    )
    return render_page("billing/fees.html", title="Fee schedule", table=table, breadcrumbs=[("Fee schedule", None)])


def _payers() -> list[Payer]:
    return list(Payer.select().where(Payer.active == True).order_by(Payer.name))  # noqa: E712


def _save(form, payers, fee):
    values = {"code": form.code.data, "modifier": form.modifier.data or "", "description": (form.description.data or "").strip(),
              "charge_cents": form.charge.data, "active": form.active.data}
    allowed = {p.id: getattr(form, f"allowed_{p.id}").data for p in payers}
    try:
        return save_fee(values, allowed, fee)
    except ReferenceDataError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return None


@bp.route("/fees/new", methods=["GET", "POST"])
@requires("billing.fees.edit")
def fee_new():
    """Add a code to the fee schedule."""
    payers = _payers()
    form = _form_for(payers)
    if form.validate_on_submit():
        fee = _save(form, payers, None)
        if fee is not None:
            notify(f"Added {fee.code} at {format_cents(fee.charge_cents)}.")
            return redirect(url_for("billing.fees"))
    return render_page("billing/fee_form.html", title="Add a fee", form=form,
                       breadcrumbs=[("Fee schedule", url_for("billing.fees")), ("Add", None)]), (422 if form.errors else 200)


@bp.route("/fees/<int:fee_id>/edit", methods=["GET", "POST"])
@requires("billing.fees.edit")
def fee_edit(fee_id: int):
    """Edit a fee and its expected amounts."""
    fee = Fee.get_or_none(Fee.id == fee_id) or abort(404)
    payers = _payers()
    expected = {e.payer_id: e.allowed_cents for e in ExpectedAmount.select().where(ExpectedAmount.fee == fee)}
    data = {"code": fee.code, "modifier": fee.modifier, "description": fee.description, "charge": fee.charge_cents,
            "active": fee.active, **{f"allowed_{pid}": cents for pid, cents in expected.items()}}
    form = _form_for(payers, data=data)
    if form.validate_on_submit():
        saved = _save(form, payers, fee)
        if saved is not None:
            notify(f"Saved {saved.code}.")
            return redirect(url_for("billing.fees"))
    label = fee.code + (f"-{fee.modifier}" if fee.modifier else "")
    return render_page("billing/fee_form.html", title=f"Edit {label}", form=form, fee=fee,
                       breadcrumbs=[("Fee schedule", url_for("billing.fees")), (label, None)]), (422 if form.errors else 200)

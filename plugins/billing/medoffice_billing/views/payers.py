"""Payers: the list and the add/edit form."""
from __future__ import annotations

from types import SimpleNamespace

from flask import abort, redirect, url_for
from flask_wtf import FlaskForm
from medoffice.auth import can, requires
from medoffice.web.forms import choices, form_values
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate, url_template
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..models import PAYERS, Payer
from ..reference import FILING_INDICATORS, ReferenceDataError, save_payer
from . import bp


class PayerForm(FlaskForm):
    """A payer's identity, address and filing rules."""

    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    payer_id = StringField("Payer id", description="The id your clearinghouse uses for this payer.",
                           validators=[Optional(), Regexp(r"^[A-Za-z0-9]{2,20}$",
                                                          message="Use 2 to 20 letters or digits.")])
    address1 = StringField("Claims address", validators=[Optional(), Length(max=120)])
    address2 = StringField("Address line 2", validators=[Optional(), Length(max=120)])
    city = StringField("City", validators=[Optional(), Length(max=80)])
    state = StringField("State", validators=[Optional(), Regexp(r"^[A-Za-z]{2}$", message="Use the two-letter state code.")])
    zip = StringField("ZIP code", validators=[Optional(), Regexp(r"^\d{5}(-?\d{4})?$", message="Use 5 or 9 digits.")])
    phone = StringField("Phone", validators=[Optional(), Length(max=20)])
    filing_indicator = SelectField("Claim filing indicator", choices=choices(FILING_INDICATORS.items()), default="CI")
    timely_filing_days = IntegerField("Timely filing limit (days)", default=365,
                                      validators=[InputRequired(message="Enter the number of days."),
                                                  NumberRange(1, 3650, message="Enter 1 to 3650 days.")])
    electronic = BooleanField("Takes electronic claims (837P)", default=True)
    secondary_electronic = BooleanField("Takes secondary claims electronically", default=True)
    active = BooleanField("Active", default=True)
    notes = TextAreaField("Notes", validators=[Optional(), Length(max=2000)])


_LIST_COLUMNS = (Payer.id, Payer.name, Payer.payer_id, Payer.filing_indicator, Payer.timely_filing_days,
                 Payer.electronic, Payer.active)


@bp.route("/payers")
@requires("billing.view")
def payers():
    """The payer list, searchable by name or payer id."""
    editable = can("billing.payers.edit")
    edit_url = url_template("billing.payer_edit", "payer_id")
    table = paginate(
        Payer.select(*_LIST_COLUMNS).objects(SimpleNamespace),
        id="payers-table",
        columns=[
            TableColumn("name", "Name", sort=Payer.name, link=(lambda p: edit_url(p.id)) if editable else None),
            TableColumn("payer_id", "Payer id", sort=Payer.payer_id),
            TableColumn("filing", "Filing", value=lambda p: FILING_INDICATORS.get(p.filing_indicator, p.filing_indicator)),
            TableColumn("timely_filing_days", "Filing limit (days)", sort=Payer.timely_filing_days, numeric=True),
            TableColumn("claims", "Claims", value=lambda p: "electronic" if p.electronic else "paper only"),
            TableColumn("active", "Status", value=lambda p: "active" if p.active else "inactive"),
        ],
        search=lambda text: (Payer.name ** f"%{text}%") | (Payer.payer_id ** f"%{text}%"),
        default_sort="name", endpoint="billing.payers", noun="payer", noun_plural="payers",
        search_placeholder="Name or payer id",
        empty_message="No payers yet. Add one, or load the demo data.",
        key=("billing.payers",), kept_by=PAYERS.key, kept_with=(editable,),
    )
    return render_page("billing/payers.html", title="Payers", table=table, breadcrumbs=[("Payers", None)])


def _save(form: PayerForm, payer: Payer | None):
    values = form_values(form)
    values["state"] = values["state"].upper()
    try:
        return save_payer(values, payer)
    except ReferenceDataError as exc:
        getattr(form, exc.field).errors.append(str(exc))
        return None


@bp.route("/payers/new", methods=["GET", "POST"])
@requires("billing.payers.edit")
def payer_new():
    """Add a payer."""
    form = PayerForm()
    if form.validate_on_submit():
        payer = _save(form, None)
        if payer is not None:
            notify(f"Added {payer.name}.")
            return redirect(url_for("billing.payers"))
    return render_page("billing/payer_form.html", title="Add a payer", form=form,
                       breadcrumbs=[("Payers", url_for("billing.payers")), ("Add", None)]), (422 if form.errors else 200)


@bp.route("/payers/<int:payer_id>/edit", methods=["GET", "POST"])
@requires("billing.payers.edit")
def payer_edit(payer_id: int):
    """Edit a payer."""
    payer = Payer.get_or_none(Payer.id == payer_id) or abort(404)
    form = PayerForm(obj=payer)
    if form.validate_on_submit():
        saved = _save(form, payer)
        if saved is not None:
            notify(f"Saved {saved.name}.")
            return redirect(url_for("billing.payers"))
    return render_page("billing/payer_form.html", title=f"Edit {payer.name}", form=form, payer=payer,
                       breadcrumbs=[("Payers", url_for("billing.payers")), (payer.name, None)]), (422 if form.errors else 200)

"""The finance overview: the checks against billing, the books' setup, and the dashboard card."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_wtf import FlaskForm
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.limits import DateInRange
from medoffice.web.forms import choices
from medoffice.web.shell import notify, render_page
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..books import BASES, BooksError, books, set_up
from ..invariants import book_figures, run_all
from ..models import Books, Period
from . import bp


class BooksForm(FlaskForm):
    """The basis of the books and the day they open."""

    basis = SelectField("Basis", choices=choices(BASES.items()))
    opened_on = DateField("Books open on", validators=[Optional(), DateInRange()])


_LATEST_CLOSED = Period.select().where(Period.status == "closed").order_by(Period.start_date.desc()).limit(1)


def _page(form: BooksForm, setup: Books, status: int = 200):
    figures = book_figures()  # checked, and the counts shown: one statement
    return render_page("finance/dashboard.html", title="Finance", bases=BASES, books=setup,
                       checks=run_all(figures=figures, books_basis=setup.basis),
                       basis_fixed=figures.posted_entries > 0,  # anything_posted(), as counted
                       form=form if can("finance.accounts.edit") else None, entries=figures.posted_entries,
                       booked=figures.booked,
                       closed=next(iter(prepared.run(_LATEST_CLOSED, "finance.latest_closed")), None),
                       breadcrumbs=[("Finance", None)]), status


@bp.route("/")
@requires("finance.view")
def dashboard():
    """The overview."""
    setup = books()
    return _page(BooksForm(obj=setup), setup)


@bp.route("/setup", methods=["POST"])
@requires("finance.accounts.edit")
def setup():
    """Choose the basis (before anything is posted) and the opening day."""
    form = BooksForm()
    if form.validate_on_submit():
        try:
            set_up(form.basis.data, form.opened_on.data)
        except BooksError as exc:
            form.basis.errors.append(str(exc))
        else:
            notify("The books' setup is saved.")
            return redirect(url_for("finance.dashboard"), 303)
    return _page(form, books(), 422)


@bp.route("/widget")
@requires("finance.view")
def checks_widget():
    """The dashboard card: whether the books agree with billing (an htmx fragment)."""
    return render_template("finance/_checks.html", checks=run_all(kept=True))

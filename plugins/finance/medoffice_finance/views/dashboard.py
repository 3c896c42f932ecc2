"""The finance overview: the checks against billing, the books' setup, and the dashboard card."""
from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_wtf import FlaskForm
from medoffice import prepared
from medoffice.auth import can, requires
from medoffice.limits import DateInRange
from medoffice.web.forms import choices, with_csrf_token
from medoffice.web.kept import kept_part, slotted
from medoffice.web.shell import notify, render_page
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from ..books import BASES, BooksError, books, set_up
from ..invariants import kept_checks
from ..models import BOOKS, PERIODS, Books, Period
from . import bp


class BooksForm(FlaskForm):
    """The basis of the books and the day they open."""

    basis = SelectField("Basis", choices=choices(BASES.items()))
    opened_on = DateField("Books open on", validators=[Optional(), DateInRange()])


_LATEST_CLOSED = Period.select().where(Period.status == "closed").order_by(Period.start_date.desc()).limit(1)


def _page(books_html: str, checks: list, status: int = 200):
    """The overview around its books section, with the checks against billing."""
    return render_page("finance/dashboard.html", title="Finance", checks=checks,
                       books_section=with_csrf_token(books_html), breadcrumbs=[("Finance", None)]), status


def _books_html(form: BooksForm | None, setup: Books, entries: int, booked: int) -> str:
    """The books section: the counts, the latest closed month, the basis and the setup form when given, its CSRF
    token a slot."""
    return slotted(render_template("finance/_books.html", bases=BASES, books=setup, basis_fixed=entries > 0,
                                   form=form, entries=entries, booked=booked,
                                   closed=next(iter(prepared.run(_LATEST_CLOSED, "finance.latest_closed")), None)))


@bp.route("/")
@requires("finance.view")
def dashboard():
    """The overview (its books section kept until the books' setup, a posting or a month's close changes, per the
    counts shown and whether the user may change the setup)."""
    (figures, checks), may_edit = kept_checks(), can("finance.accounts.edit")

    def build():
        setup = books()
        return _books_html(BooksForm(obj=setup) if may_edit else None, setup, figures.posted_entries, figures.booked)

    html = kept_part((BOOKS.key, PERIODS.key), ("books", figures.posted_entries, figures.booked, may_edit), build)
    return _page(html, checks)


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
    figures, checks = kept_checks()
    return _page(_books_html(form, books(), figures.posted_entries, figures.booked), checks, 422)


@bp.route("/widget")
@requires("finance.view")
def checks_widget():
    """The dashboard card: whether the books agree with billing (an htmx fragment)."""
    return render_template("finance/_checks.html", checks=kept_checks()[1])

"""The plugin's pages: the greetings list with its form, and the dashboard widget fragment."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from medoffice import settings
from medoffice.auth import requires
from medoffice.web.forms import form_values
from medoffice.web.shell import notify, render_page
from medoffice.web.tables import TableColumn, paginate

from .greetings import add_greeting, count_since, latest, start_of_day
from .models import GREETINGS, Greeting
from .pictures import BOARD

# The blueprint is named after the plugin: its endpoints are "hello.<view>".
bp = Blueprint("hello", __name__, url_prefix="/hello")


class GreetingForm(FlaskForm):
    """One greeting; the longest allowed is the practice setting ``hello.max_length``."""

    message = TextAreaField("Message", validators=[DataRequired(message="Write a greeting.")])

    def validate_message(self, field):
        """Keep greetings within the practice's limit."""
        limit = settings.get("hello.max_length")
        Length(max=limit, message=f"Keep it to {limit} characters or fewer.")(self, field)


# Built once: the list's query is the same on every view, and with ``key`` below paginate compiles its SQL once
# per sort instead of on every request; with ``kept_by`` its rows, count and HTML are kept until a greeting
# changes (medoffice.data_versions).
_GREETINGS = Greeting.select()


def _page(form: GreetingForm):
    zone = settings.practice_timezone()  # looked up once per page, not once per row
    table = paginate(
        _GREETINGS,
        id="greetings-table",
        columns=[
            TableColumn("created_at", "When", sort=Greeting.created_at,
                        value=lambda g: g.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")),
            TableColumn("message", "Message", sort=Greeting.message),
        ],
        search=lambda text: Greeting.message ** f"%{text}%",
        default_sort="created_at", endpoint="hello.greetings", key="hello.greetings", kept_by=GREETINGS.key,
        noun="greeting", noun_plural="greetings", search_placeholder="Search greetings",
        empty_message="No greetings yet. Leave the first one.",
    )
    return render_page("hello/greetings.html", title="Greetings", table=table, form=form, board=BOARD,
                       breadcrumbs=[("Greetings", None)])


@bp.route("/")
@requires("hello.greetings.view")
def greetings():
    """List greetings (searchable, sortable) with the form to add one."""
    return _page(GreetingForm())


@bp.route("/", methods=["POST"])
@requires("hello.greetings.edit")
def greeting_add():
    """Save a greeting; invalid input comes back with inline errors and status 422."""
    form = GreetingForm()
    if form.validate_on_submit():
        add_greeting(form_values(form)["message"])
        notify("Greeting saved.")
        return redirect(url_for("hello.greetings"))
    return _page(form), 422


@bp.route("/widget")
@requires("hello.greetings.view")
def widget():
    """The dashboard card: today's count and the latest greeting (an htmx fragment)."""
    today_count = count_since(start_of_day(settings.today()))
    return render_template("hello/_widget.html", today_count=today_count, latest=latest())

"""Typed report parameters: a WTForms form built from a report's ``ReportParam``s.

The same form parses query arguments (the report page, CSV and PDF links, so every result is
a bookmarkable URL) and ``--param name=value`` pairs from the CLI.
"""
from __future__ import annotations

import datetime as dt

from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateField, Form, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..contributions import ReportParam, ReportSpec
from ..limits import DateInRange, WholeNumberInRange
from ..models import Location, StaffMember

KINDS = ("date", "choice", "text", "int", "location", "provider", "bool")
# Query arguments the report page itself uses; "run" marks a submitted form (an unchecked
# box sends nothing, so without it a submitted form could not be told from a first visit).
RESERVED = frozenset({"run", "sort", "desc"})
FALSE_VALUES = (False, "false", "False", "0", "no", "off", "n", "")
BLANK_LABELS = {"choice": "Any", "location": "All locations", "provider": "All providers"}


def _evaluate(value):
    return value() if callable(value) else value


def location_choices() -> list[tuple[str, str]]:
    """Active locations as (id, name) pairs, by name."""
    query = Location.select(Location.id, Location.name).where(Location.active == True)  # noqa: E712
    return [(str(loc.id), loc.name) for loc in query.order_by(Location.name)]


def provider_choices() -> list[tuple[str, str]]:
    """Active providers as (id, 'Last, First, Credentials') pairs, by name."""
    query = (StaffMember.select(StaffMember.id, StaffMember.first_name, StaffMember.last_name,
                                StaffMember.credentials)
             .where(StaffMember.is_provider == True, StaffMember.active == True)  # noqa: E712
             .order_by(StaffMember.last_name, StaffMember.first_name))
    return [(str(s.id), s.display_name) for s in query]


def choices_for(param: ReportParam) -> list[tuple[str, str]]:
    """The (value, label) options of a choice, location or provider parameter."""
    if param.kind == "location":
        options = location_choices()
    elif param.kind == "provider":
        options = provider_choices()
    else:
        options = [(str(value), str(label)) for value, label in _evaluate(param.choices)]
    blank = "Choose…" if param.required else BLANK_LABELS[param.kind]
    return [("", blank), *options]


def _field(param: ReportParam):
    from ..web.forms import choices  # the web package imports the reports: not at module level

    required = param.required and param.kind != "bool"
    kwargs = {"id": f"param-{param.name}"}
    if param.kind == "date":
        return DateField(param.label, format="%Y-%m-%d", **kwargs,
                         invalid_value_message="Enter a real date as YYYY-MM-DD.",
                         validators=[InputRequired("Enter a date.") if required else Optional(), DateInRange()])
    if param.kind == "int":
        return IntegerField(param.label, **kwargs, invalid_value_message="Enter a whole number.",
                            validators=[InputRequired("Enter a number.") if required else Optional(),
                                        WholeNumberInRange()])
    if param.kind in ("choice", "location", "provider"):
        return SelectField(param.label, choices=choices(choices_for(param)), **kwargs,
                           invalid_choice_message="Choose one of the listed values.",
                           validators=[DataRequired("Choose a value.") if required else Optional()])
    if param.kind == "bool":
        return BooleanField(param.label, false_values=FALSE_VALUES, **kwargs)
    if param.kind == "text":
        return StringField(param.label, **kwargs, validators=[
            DataRequired("Enter a value.") if required else Optional(), Length(max=200)])
    raise ValueError(f"unknown report parameter kind {param.kind!r} (use one of {', '.join(KINDS)})")


def build_form(spec: ReportSpec, data: MultiDict) -> Form:
    """A form for ``spec``'s parameters, filled from ``data`` (not validated yet).

    :raises ValueError: a parameter has an unknown kind or a reserved name.
    """
    fields = {}
    for param in spec.params:
        if param.name in RESERVED:
            raise ValueError(f"report {spec.id}: parameter name {param.name!r} is reserved")
        fields[param.name] = _field(param)
    form_class = type("ReportParamsForm", (Form,), fields)
    return form_class(formdata=data)


def encode_value(value) -> str | None:
    """A parameter value as its query-argument text (None when blank)."""
    if value is None or value is False or value == "":
        return None
    if value is True:
        return "y"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def with_defaults(spec: ReportSpec, given: MultiDict, unchecked_is_false: bool) -> MultiDict:
    """``given`` plus the defaults of the parameters it lacks.

    :param unchecked_is_false: a missing bool means an unchecked box (a submitted web form),
        not "use the default" (first visit, CLI).
    """
    data = MultiDict()
    for param in spec.params:
        if param.name in given:
            data.setlist(param.name, given.getlist(param.name))
        elif not (param.kind == "bool" and unchecked_is_false):
            text = encode_value(_evaluate(param.default))
            if text is not None:
                data[param.name] = text
    return data


def request_data(spec: ReportSpec, args: MultiDict) -> tuple[MultiDict, bool]:
    """Form data for a web request and whether the form was submitted (vs. a first visit)."""
    submitted = "run" in args or any(p.name in args for p in spec.params)
    return with_defaults(spec, args, unchecked_is_false=submitted), submitted


def cli_data(spec: ReportSpec, pairs: list[str]) -> MultiDict:
    """Form data from ``name=value`` pairs given on the command line, defaults for the rest.

    :raises ValueError: a pair without "=", or a name the report does not take.
    """
    names = [p.name for p in spec.params]
    given = MultiDict()
    for pair in pairs:
        name, sep, value = pair.partition("=")
        name = name.strip()
        if not sep:
            raise ValueError(f"--param {pair!r}: write it as NAME=VALUE")
        if name not in names:
            takes = ", ".join(names) if names else "no parameters"
            raise ValueError(f"report {spec.id} has no parameter {name!r} (it takes: {takes})")
        given.add(name, value.strip())
    return with_defaults(spec, given, unchecked_is_false=False)


def _parsed(param: ReportParam, field):
    value = field.data
    if param.kind == "bool":
        return bool(value)
    if param.kind in ("location", "provider"):
        return int(value) if value else None
    if param.kind in ("choice", "text"):
        return (value or "").strip() or None
    return value


def validate(spec: ReportSpec, form: Form) -> dict | None:
    """Validate the form; the parsed values by parameter name, or None (errors are on the form).

    The report's own ``check`` runs only when every field is valid on its own.
    """
    if not form.validate():
        return None
    values = {p.name: _parsed(p, form[p.name]) for p in spec.params}
    problems = spec.check(**values) if spec.check else {}
    for name, message in problems.items():
        form[name].errors = [*form[name].errors, message]
    return None if problems else values


def errors_text(form: Form) -> str:
    """The form's errors as one line, e.g. ``start: Enter a real date as YYYY-MM-DD.``."""
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in form.errors.items())


def query_args(spec: ReportSpec, values: dict) -> dict[str, str]:
    """Query arguments that reproduce this run (for sort, CSV and PDF links)."""
    args = {"run": "1"}
    for param in spec.params:
        text = encode_value(values.get(param.name))
        if text is not None:
            args[param.name] = text
    return args


def jsonable(values: dict) -> dict:
    """Parameter values with dates as ISO text (for audit details and JSON output)."""
    return {name: value.isoformat() if isinstance(value, dt.date) else value
            for name, value in values.items()}


def describe(spec: ReportSpec, form: Form, values: dict) -> list[tuple[str, str]]:
    """(label, shown value) pairs for the PDF and print header; choices show their labels."""
    shown = []
    for param in spec.params:
        value = values.get(param.name)
        if param.kind in ("choice", "location", "provider"):
            labels = {choice.value: choice.label for choice in form[param.name].choices}
            text = labels.get(encode_value(value) or "", "")
        elif param.kind == "bool":
            text = "Yes" if value else "No"
        else:
            text = encode_value(value) or "—"
        shown.append((param.label, text))
    return shown

"""The practice settings page: one form built from the ``SettingSpec``s of enabled plugins.

Each spec becomes a typed field (text, int, bool, choice, cents, markdown), grouped under
its plugin. Besides its kind, a setting is checked by what its name says it holds, so
plugins get the same rules by naming alone:

- ``<plugin>.npi`` or ``<plugin>.<x>_npi``: a valid NPI (10 digits, CMS check digit);
- ``tax_id`` / ``<x>_tax_id``: a federal EIN (stored as 9 digits);
- ``phone`` / ``<x>_phone``: a phone number; ``timezone`` / ``<x>_timezone``: an IANA key;
- ``state``: two letters (stored upper case); ``zip``: 5 or 9 digits;
- ``core.theme``: an installed theme (``medoffice.themes.available``).

Empty text values are allowed (except the practice name and time zone). Saving writes only
what changed, audits it with before/after values, and a theme change takes effect in every
process on its next request (the state version is bumped).
"""
from __future__ import annotations

from functools import cache
from itertools import groupby

from flask import current_app, redirect, url_for
from markupsafe import Markup, escape
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, StopValidation, ValidationError

from .. import audit, settings, themes
from ..access import requires
from ..db import transaction
from ..identifiers import normalize_ein, npi_is_valid, timezone_is_valid, timezone_names
from ..money import format_cents, parse_cents
from . import core_blueprint as bp
from .field_html import TextArea
from .forms import choices
from .patients import PHONE
from .shell import notify, render_page

THEME_SETTING = "core.theme"
REQUIRED = {"core.practice_name"}
EXTRA_VALIDATORS = {
    "core.idle_timeout_minutes": [NumberRange(min=1, max=480, message="Use 1 to 480 minutes.")],
}


def _whole_number(form, field):
    if field.data is None:
        field.errors[:] = []
        raise StopValidation("Enter a whole number.")


def _npi(form, field):
    if field.data and not npi_is_valid(field.data):
        raise ValidationError("This is not a valid NPI: it needs 10 digits and the last one is a check digit.")


def _ein(form, field):
    if field.data:
        try:
            normalize_ein(field.data)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _timezone(form, field):
    if not timezone_is_valid(field.data or ""):
        raise ValidationError("Use a time zone name from the list, such as America/Chicago.")


def _cents(form, field):
    if not (field.data or "").strip():
        raise ValidationError("Enter an amount such as 25.00.")
    try:
        parse_cents(field.data)
    except ValueError as exc:
        raise ValidationError(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _holds(name: str, what: str) -> bool:
    """True when setting ``name`` is ``<plugin>.<what>`` or ``<plugin>.<anything>_<what>``."""
    tail = name.rsplit(".", 1)[-1]
    return tail == what or tail.endswith("_" + what)


def _name_rules(name: str) -> list:
    """Validators a setting gets from what its name says it holds."""
    tail = name.rsplit(".", 1)[-1]
    if _holds(name, "npi"):
        return [_npi]
    if _holds(name, "tax_id"):
        return [_ein]
    if _holds(name, "timezone"):
        return [_timezone]
    if _holds(name, "phone"):
        return [Optional(), PHONE]
    if tail == "state":
        return [Optional(), Regexp(r"^[A-Za-z]{2}$", message="Use the two-letter state code.")]
    if tail == "zip":
        return [Optional(), Regexp(r"^\d{5}(-?\d{4})?$", message="Use 5 or 9 digits.")]
    return []


def _theme_label(name: str) -> str:
    return name.replace("-", " ").replace("_", " ").capitalize()


def _field(spec, theme_names):
    """The unbound WTForms field for one setting spec."""
    kw = {"label": spec.label, "description": spec.help}
    rules = [*_name_rules(spec.name), *EXTRA_VALIDATORS.get(spec.name, [])]
    if spec.kind == "int":
        return IntegerField(validators=[_whole_number, *rules], **kw)
    if spec.kind == "bool":
        return BooleanField(**kw)
    if spec.kind == "choice":
        if spec.name == THEME_SETTING:
            return SelectField(choices=choices((t, _theme_label(t)) for t in theme_names), **kw)
        kinds = {type(v) for v, _ in spec.choices}
        return SelectField(choices=choices(spec.choices), coerce=kinds.pop() if len(kinds) == 1 else str, **kw)
    if spec.kind == "cents":
        return StringField(validators=[_cents], **kw)
    if spec.kind == "markdown":
        return TextAreaField(filters=[_strip], validators=[Length(max=100_000), *rules], widget=TextArea(), **kw)
    required = [DataRequired()] if spec.name in REQUIRED else []
    render_kw = {"list": "timezones", "autocomplete": "off"} if _timezone in rules else None
    return StringField(filters=[_strip], validators=[*required, Length(max=500), *rules], render_kw=render_kw, **kw)


def _form_class(specs: dict, instance):
    """The settings form class: one field per spec, built once per plugin state and set of installed themes."""
    runtime = current_app.extensions["medoffice"]
    theme_names = tuple(themes.available(instance))
    return runtime.derived(("settings form", theme_names), lambda: type("SettingsForm", (FlaskForm,), {
        name: _field(spec, theme_names) for name, spec in specs.items()}))


def _current(spec):
    """A setting's effective value; unset text is "" so saving an untouched form changes nothing."""
    value = settings.get(spec.name)
    return "" if value is None and spec.kind in ("text", "markdown") else value


def _initial(spec, value):
    """A stored value as the form shows it."""
    if spec.kind == "cents":
        return format_cents(value) if isinstance(value, int) else ""
    if spec.kind == "bool":
        return bool(value)
    return value


def _stored_value(spec, data):
    """A valid form value as it is stored (cents as an int, EIN as 9 digits, state upper case)."""
    if spec.kind == "cents":
        return parse_cents(data)
    if spec.kind not in ("text", "markdown"):
        return data
    data = data or ""
    if spec.kind == "text" and data and _holds(spec.name, "tax_id"):
        return normalize_ein(data)
    if spec.kind == "text" and spec.name.rsplit(".", 1)[-1] == "state":
        return data.upper()
    return data


@cache
def timezone_datalist() -> Markup:
    """The ``timezones`` datalist the time zone inputs suggest from (~600 options: built once per process)."""
    options = "".join(f'<option value="{escape(zone)}">' for zone in timezone_names())
    return Markup(f'<datalist id="timezones">{options}</datalist>')


def _plugin_of(name: str) -> str:
    return name.split(".", 1)[0]


def _groups(form, specs: dict) -> list[tuple[str, list]]:
    """[(plugin title, [(field, spec)])] in plugin order (core first)."""
    host = current_app.extensions["medoffice"].host
    order = {p.name: i for i, p in enumerate(host.ordered())}
    ordered = sorted(specs.values(), key=lambda s: order.get(_plugin_of(s.name), len(order)))
    groups = []
    for plugin, items in groupby(ordered, key=lambda s: _plugin_of(s.name)):
        loaded = host.plugins.get(plugin)
        title = "Practice" if plugin == "core" else (loaded.info.title if loaded and loaded.info else plugin)
        groups.append((title, [(form[s.name], s) for s in items]))
    return groups


@bp.route("/admin/settings", methods=["GET", "POST"])
@requires("core.settings.edit")
def settings_page():
    """Edit the practice profile, theme and every enabled plugin's settings."""
    runtime = current_app.extensions["medoffice"]
    specs = settings.specs()
    current = {name: _current(spec) for name, spec in specs.items()}
    form_class = _form_class(specs, runtime.instance)
    form = form_class(data={name: _initial(specs[name], value) for name, value in current.items()})
    if form.validate_on_submit():
        new = {name: _stored_value(spec, form[name].data) for name, spec in specs.items()}
        changed = {name: value for name, value in new.items() if value != current[name]}
        if changed:
            with transaction():
                settings.set_many(changed)
                audit.record("settings.update", "settings", "practice", detail={"changed": {
                    name: {"before": current[name], "after": value} for name, value in changed.items()}})
                if THEME_SETTING in changed:
                    runtime.bump()
            if THEME_SETTING in changed:
                runtime.refresh()
        notify(f"Saved {len(changed)} setting{'s' if len(changed) != 1 else ''}." if changed else "Nothing changed.")
        return redirect(url_for("core.settings_page"))
    needs_zones = any(_timezone in form[name].validators for name in specs)
    return render_page(
        "core/settings.html", title="Settings", form=form, groups=_groups(form, specs),
        timezones=timezone_datalist() if needs_zones else None,
        breadcrumbs=[("Admin", None), ("Settings", None)],
    ), (422 if form.errors else 200)

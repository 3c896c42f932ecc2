"""The practice settings page: a form per section, built from the ``SettingSpec``s of enabled plugins.

Each spec becomes a typed field (text, int, bool, choice, cents, markdown), in its section (the
spec's ``section``, else its plugin's title), which is saved on its own; a number or amount must
lie in the spec's declared range (``minimum``..``maximum``).
Besides its kind, a setting is checked by what its name says it holds, so
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

import re
from dataclasses import dataclass
from functools import cache

from flask import abort, current_app, redirect, render_template, request, url_for
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, StopValidation, ValidationError

from .. import audit, settings, themes
from ..auth.access import requires
from ..contributions import NUMERIC_SETTING_KINDS
from ..db import transaction
from ..identifiers import normalize_ein, npi_is_valid, timezone_is_valid, timezone_names
from ..money import format_cents, parse_cents
from . import core_blueprint as bp
from .field_html import TextArea
from .forms import choices, with_csrf_token
from .kept import kept_part
from .patients import PHONE
from .shell import CSRF_SLOT, notify, render_page, wants_fragment

THEME_SETTING = "core.theme"
REQUIRED = {"core.practice_name"}


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


def _in_range(spec):
    """The spec's declared range and own ``check``, on the value as it would be stored (cents for an amount)."""
    def check(form, field):
        try:
            value = _stored_value(spec, field.data)
        except ValueError:
            return  # not a number at all: the field's own validator said so
        found = spec.problem(value)
        if found:
            raise ValidationError(found)
    return check


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
    rules = [*_name_rules(spec.name), *([_in_range(spec)] if spec.kind in NUMERIC_SETTING_KINDS or spec.check else [])]
    if spec.kind == "int":
        return IntegerField(validators=[_whole_number, *rules], render_kw={"min": spec.minimum, "max": spec.maximum},
                            **kw)
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


def _theme_names(specs: dict, instance) -> tuple:
    # Only the section holding the theme reads the theme folders: the page has a form per section.
    return tuple(themes.available(instance)) if THEME_SETTING in specs else ()


def _form_class(specs: dict, instance, key: str = "", theme_names: tuple | None = None):
    """The form class of these settings (one section's, ``key``; or every setting): one field per spec,
    built once per plugin state and set of installed themes."""
    runtime = current_app.extensions["medoffice"]
    if theme_names is None:
        theme_names = _theme_names(specs, instance)
    return runtime.derived(("settings form", key, theme_names), lambda: type("SettingsForm", (FlaskForm,), {
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


@dataclass(frozen=True)
class Section:
    """A part of the settings page with its own form and Save: ``key`` names it in the URL and ids."""

    key: str
    title: str
    specs: dict


def _sections(specs: dict) -> list[Section]:
    """The settings in sections (a spec's ``section``, else its plugin's title), in plugin order (core
    first) and, within a plugin, in the order its sections are first declared."""
    host = current_app.extensions["medoffice"].host
    order = {p.name: i for i, p in enumerate(host.ordered())}
    ordered = sorted(specs.values(), key=lambda s: order.get(_plugin_of(s.name), len(order)))
    titles = {}
    for plugin in dict.fromkeys(_plugin_of(s.name) for s in ordered):
        loaded = host.plugins.get(plugin)
        titles[plugin] = "Practice" if plugin == "core" else (loaded.info.title if loaded and loaded.info else plugin)
    grouped: dict[str, dict] = {}
    for spec in ordered:
        grouped.setdefault(spec.section or titles[_plugin_of(spec.name)], {})[spec.name] = spec
    keys: set[str] = set()
    sections = []
    for title, members in grouped.items():
        key = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "settings"
        while key in keys:
            key += "-x"
        keys.add(key)
        sections.append(Section(key, title, members))
    return sections


def _section_form(section: Section, runtime, formdata=None, current=None, theme_names=None):
    """The section's form: bound to the request's data when posted, else showing the stored values."""
    if current is None:
        current = {name: _current(spec) for name, spec in section.specs.items()}
    form = _form_class(section.specs, runtime.instance, section.key, theme_names)(
        formdata=formdata, data={name: _initial(section.specs[name], value) for name, value in current.items()})
    return form, current


def _shown(section: Section, form) -> dict:
    """What the section template needs: the section, its form and its (field, spec) pairs."""
    return {"section": section, "form": form, "fields": [(form[name], spec) for name, spec in section.specs.items()]}


def _stored_sections_html(sections: list[Section], runtime) -> dict[str, str]:
    """Each section's form showing the stored values, as ``core/_settings_section.html`` renders it, by section key,
    with the CSRF token left as a slot (``forms.with_csrf_token`` puts in the request's).

    Kept until a setting (the access version), the plugin state or the installed themes change: building and
    rendering the page's ~18 forms and ~70 fields cost ~10 ms a request, and reading the ~70 values to key them
    by still cost a fifth of the page.
    """
    theme_names = tuple(themes.available(runtime.instance))

    def build() -> dict[str, str]:
        drawn = {}
        for section in sections:
            names = theme_names if THEME_SETTING in section.specs else ()
            form, _ = _section_form(section, runtime, theme_names=names)
            drawn[section.key] = render_template("core/_settings_section.html", **_shown(section, form),
                                                 csrf_token=lambda: CSRF_SLOT)
        return drawn
    return kept_part((), ("settings sections", theme_names), build)


@bp.route("/admin/settings", methods=["GET", "POST"])
@requires("core.settings.edit")
def settings_page():
    """Edit the practice profile, theme and every enabled plugin's settings, one section at a time.

    Each section is its own form (``?section=<key>``): saving it validates and writes only its
    settings, so a value elsewhere that the rules would now refuse never blocks it. From the page,
    htmx swaps just the section back in (its errors, or its saved values and a toast); without
    script the page redirects to the section. A POST without a section saves every setting at once.
    """
    runtime = current_app.extensions["medoffice"]
    specs = settings.specs()
    sections = runtime.derived("settings sections", lambda: _sections(specs))
    posted = request.args.get("section") if request.method == "POST" else None
    if posted is not None and posted not in {s.key for s in sections}:
        abort(404)
    chosen = [s for s in sections if s.key == posted] or ([Section("", "", specs)] if request.method == "POST" else [])
    status = 200
    bound = {}
    for section in chosen:
        form, current = _section_form(section, runtime, request.form)
        if form.validate_on_submit():
            changed = _save(section.specs, current, form)
            notify(f"Saved {len(changed)} setting{'s' if len(changed) != 1 else ''}." if changed else "Nothing changed.")
            target = url_for("core.settings_page") + (f"#settings-{section.key}" if section.key else "")
            if not wants_fragment():
                return redirect(target)
            if THEME_SETTING in changed:  # the whole page changes: load it again, the toast with it
                return "", 204, {"HX-Refresh": "true"}
            form, _ = _section_form(section, runtime)  # the stored values, as a fresh page would show them
        else:
            status = 422
        if wants_fragment() and section.key:
            return render_template("core/_settings_section_swap.html", **_shown(section, form)), status
        bound[section.key] = form
    shown = []
    # every setting posted at once shows what was sent in each section; otherwise the others show what is stored
    stored = {} if "" in bound else _stored_sections_html(sections, runtime)
    for section in sections:
        form = bound.get(section.key)
        if form is None and "" in bound:
            form, _ = _section_form(section, runtime, request.form)
            form.validate()
        if form is None:
            html = with_csrf_token(stored[section.key])
        else:
            html = Markup(render_template("core/_settings_section.html", **_shown(section, form)))
        shown.append({"section": section, "html": html})
    needs_zones = any(spec.kind == "text" and _holds(spec.name, "timezone") for spec in specs.values())
    return render_page(
        "core/settings.html", title="Settings", sections=shown,
        timezones=timezone_datalist() if needs_zones else None,
        breadcrumbs=[("Admin", None), ("Settings", None)],
    ), status


def _save(specs: dict, current: dict, form, username: str | None = None) -> dict:
    """Store what a validated settings form changed, audited with before and after; returns {name: value}."""
    runtime = current_app.extensions["medoffice"]
    new = {name: _stored_value(spec, form[name].data) for name, spec in specs.items()}
    changed = {name: value for name, value in new.items() if value != current[name]}
    if changed:
        with transaction():
            settings.set_many(changed)
            audit.record("settings.update", "settings", "practice", username=username, detail={"changed": {
                name: {"before": current[name], "after": value} for name, value in changed.items()}})
            if THEME_SETTING in changed:
                runtime.bump()
        if THEME_SETTING in changed:
            runtime.refresh()
    return changed


class SettingsInputError(ValueError):
    """Values the settings page would refuse: ``problems`` maps each setting to its messages."""

    def __init__(self, problems: dict[str, list[str]]):
        super().__init__("; ".join(f"{name}: {' '.join(messages)}" for name, messages in problems.items()))
        self.problems = problems


TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on", "y"}, {"0", "false", "no", "off", "n", ""}


def save_typed(typed: dict[str, str], username: str) -> dict:
    """Validate settings given as text, exactly as the settings page would had they been typed
    there (same fields, rules and ranges), and store them audited as ``username``.

    Needs a request context (the page's form is a Flask-WTF form); the CLI opens a bare one.
    :return: {name: stored value} of what changed.
    :raises SettingsInputError: an unknown setting, or a value the page would refuse; nothing is written.
    """
    specs = settings.specs()
    unknown = sorted(set(typed) - set(specs))
    if unknown:
        raise SettingsInputError({name: ["There is no such setting (see `medoffice settings list`)."]
                                  for name in unknown})
    current = {name: _current(spec) for name, spec in specs.items()}
    formdata = MultiDict()
    for name, spec in specs.items():
        text = typed[name].strip() if name in typed else None
        if spec.kind == "bool":
            if text is not None and text.lower() not in TRUE_WORDS | FALSE_WORDS:
                raise SettingsInputError({name: ["Use true or false."]})
            if (text.lower() in TRUE_WORDS) if text is not None else bool(current[name]):
                formdata.add(name, "y")
            continue
        shown = _initial(spec, current[name])
        formdata.add(name, text if text is not None else "" if shown is None else str(shown))
    form = _form_class(specs, current_app.extensions["medoffice"].instance)(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        raise SettingsInputError({name: list(messages) for name, messages in form.errors.items()})
    return _save(specs, current, form, username=username)

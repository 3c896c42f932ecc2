"""The settings page (typed, validated, audited) and themes switched live from it."""
import importlib
import json
import sys
import textwrap
import types
from html.parser import HTMLParser
from pathlib import Path

import pytest

from medoffice import PluginInfo, SettingSpec, hookimpl, settings
from medoffice.db import db
from medoffice.models import AuditEvent, Setting
from medoffice.testing import login, reads_of, write_sql

NPI = "1234567893"


class FormValues(HTMLParser):
    """What a browser would submit for the first form on a page with method=post."""

    def __init__(self):
        super().__init__()
        self.values, self._select, self._textarea, self._in_form = {}, None, None, False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method") == "post" and "settings-form" in a.get("class", ""):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") == "checkbox":
                if "checked" in a:
                    self.values[a["name"]] = a.get("value", "y")
            else:
                self.values[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False


def current_form(client) -> dict:
    """The settings form as the page shows it now (what Save would send unchanged)."""
    parser = FormValues()
    parser.feed(client.get("/admin/settings").get_data(as_text=True))
    # Browsers drop the newline that follows <textarea>, as the HTML spec says.
    return {k: v[1:] if v.startswith("\n") else v for k, v in parser.values.items()}


def in_app(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def settings_audits(app):
    return in_app(app, lambda: [json.loads(e.detail) for e in AuditEvent.select().where(
        AuditEvent.action == "settings.update").order_by(AuditEvent.seq)])


def probe_plugin(tmp_path) -> types.ModuleType:
    """A plugin declaring one setting of every kind."""
    module = types.ModuleType("settingsprobe_plugin")
    module.__file__ = str(tmp_path / "settingsprobe_plugin.py")
    module.PLUGIN = PluginInfo("settingsprobe", "Settings probe")

    @hookimpl
    def medoffice_settings():
        return [
            SettingSpec("settingsprobe.copay", "Default copay", kind="cents", default=2500, minimum=0, maximum=50000),
            SettingSpec("settingsprobe.reminders", "Send reminders", kind="bool", default=True),
            SettingSpec("settingsprobe.channel", "Channel", kind="choice", default="sms",
                        choices=[("sms", "Text message"), ("email", "E-mail")]),
            SettingSpec("settingsprobe.days_ahead", "Days ahead", kind="int", default=2, minimum=1, maximum=14),
            SettingSpec("settingsprobe.handout", "New patient handout", kind="markdown", default=""),
            SettingSpec("settingsprobe.billing_npi", "Billing NPI"),
        ]

    module.medoffice_settings = medoffice_settings
    return module


@pytest.fixture
def probe_app(make_app, tmp_path):
    return make_app(extra=[probe_plugin(tmp_path)])


# --- the settings page ------------------------------------------------------------------------

def test_settings_page_requires_the_settings_permission(client, client_as):
    assert client.get("/admin/settings").status_code == 302
    assert client_as("front_desk").get("/admin/settings").status_code == 403
    assert client_as("billing").post("/admin/settings", data={"core.practice_name": "X"}).status_code == 403
    assert client_as("office_manager").get("/admin/settings").status_code == 200


def test_form_is_grouped_by_plugin_and_typed(probe_app):
    client = login(probe_app.test_client())
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "<legend>Practice</legend>" in page and "<legend>Settings probe</legend>" in page
    assert page.index("<legend>Practice</legend>") < page.index("<legend>Settings probe</legend>")
    values = current_form(client)
    assert values["core.practice_name"] == "My Practice"
    assert values["core.timezone"] == "America/New_York"
    assert values["core.theme"] == "default"
    assert values["settingsprobe.copay"] == "$25.00"
    assert values["settingsprobe.reminders"] == "y"
    assert values["settingsprobe.channel"] == "sms"
    assert values["settingsprobe.days_ahead"] == "2"
    assert 'type="checkbox"' in page and '<option value="high-contrast">High contrast</option>' in page
    assert '<datalist id="timezones">' in page and '<option value="America/Chicago">' in page
    assert 'hx-post="/markdown/preview?field=settingsprobe.handout"' in page
    assert 'id="settingsprobe.handout-preview"' in page


def test_invalid_values_get_inline_errors_and_nothing_is_saved(probe_app):
    client = login(probe_app.test_client())
    form = current_form(client)
    form.update({
        "core.practice_name": "", "core.practice_npi": "1234567890", "core.tax_id": "12345",
        "core.state": "Texas", "core.zip": "7870", "core.timezone": "Mars/Olympus_Mons",
        "core.theme": "no-such-theme", "core.idle_timeout_minutes": "abc",
        "settingsprobe.copay": "12.345", "settingsprobe.days_ahead": "",
        "settingsprobe.billing_npi": "1111111111", "settingsprobe.channel": "fax",
    })
    response = client.post("/admin/settings", data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for name in ("core.practice_name", "core.practice_npi", "core.tax_id", "core.state", "core.zip",
                 "core.timezone", "core.theme", "core.idle_timeout_minutes", "settingsprobe.copay",
                 "settingsprobe.days_ahead", "settingsprobe.billing_npi", "settingsprobe.channel"):
        assert f'id="{name}-error"' in page, name
    assert "check digit" in page and "America/Chicago" in page and "two decimal places" in page
    assert in_app(probe_app, lambda: Setting.select().count()) == 0
    assert settings_audits(probe_app) == []


def test_idle_timeout_has_a_sane_range(admin_client):
    form = current_form(admin_client)
    form["core.idle_timeout_minutes"] = "0"
    response = admin_client.post("/admin/settings", data=form)
    assert response.status_code == 422 and "Use a whole number from 1 to 480." in response.get_data(as_text=True)


def test_saving_stores_typed_values_and_audits_before_and_after(probe_app):
    client = login(probe_app.test_client())
    form = current_form(client)
    form.update({"core.practice_name": "Riverside Family Medicine", "core.practice_npi": NPI,
                 "core.tax_id": "12-3456789", "core.state": "tx", "core.timezone": "America/Chicago",
                 "settingsprobe.copay": "30.50", "settingsprobe.channel": "email",
                 "settingsprobe.days_ahead": "3", "settingsprobe.handout": "# Bring your insurance card"})
    del form["settingsprobe.reminders"]  # unticked
    response = client.post("/admin/settings", data=form, follow_redirects=True)
    assert response.status_code == 200 and "Saved 10 settings." in response.get_data(as_text=True)

    def stored():
        names = ["core.practice_name", "core.practice_npi", "core.tax_id", "core.state", "core.timezone",
                 "settingsprobe.copay", "settingsprobe.reminders", "settingsprobe.channel",
                 "settingsprobe.days_ahead", "settingsprobe.handout", "core.city"]
        return {n: settings.get(n) for n in names}, Setting.select().count()

    values, rows = in_app(probe_app, stored)
    assert values == {
        "core.practice_name": "Riverside Family Medicine", "core.practice_npi": NPI, "core.tax_id": "123456789",
        "core.state": "TX", "core.timezone": "America/Chicago", "settingsprobe.copay": 3050,
        "settingsprobe.reminders": False, "settingsprobe.channel": "email", "settingsprobe.days_ahead": 3,
        "settingsprobe.handout": "# Bring your insurance card", "core.city": None,
    }
    assert rows == 10  # untouched settings keep using their defaults
    (detail,) = settings_audits(probe_app)
    assert detail["changed"]["settingsprobe.copay"] == {"before": 2500, "after": 3050}
    assert detail["changed"]["core.practice_name"] == {"before": "My Practice", "after": "Riverside Family Medicine"}
    assert detail["changed"]["settingsprobe.reminders"] == {"before": True, "after": False}
    assert len(detail["changed"]) == 10

    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'value="$30.50"' in page and "<h1 id=\"md-bring-your-insurance-card\">" in page
    again = client.post("/admin/settings", data=current_form(client), follow_redirects=True)
    assert "Nothing changed." in again.get_data(as_text=True)
    assert len(settings_audits(probe_app)) == 1


def test_sections_kept_between_requests_show_each_session_its_token_and_the_current_values(probe_app):
    """The page keeps each section's HTML: another session gets its own CSRF token in every form, and a
    value changed outside the page (CLI, another process) shows at once."""
    import re

    first, second = login(probe_app.test_client()), login(probe_app.test_client())
    pages = [client.get("/admin/settings").get_data(as_text=True) for client in (first, second)]
    tokens = [set(re.findall(r'name="csrf_token" value="([^"]*)"', page)) for page in pages]
    headers = [re.search(r'"X-CSRFToken": "([^"]*)"', page).group(1) for page in pages]
    assert [len(t) for t in tokens] == [1, 1] and tokens[0] != tokens[1]
    assert tokens == [{headers[0]}, {headers[1]}]
    assert pages[0].count('class="form settings-form"') > 1
    assert current_form(second)["settingsprobe.days_ahead"] == "2"

    def change():
        with probe_app.test_request_context():
            settings.set_many({"settingsprobe.days_ahead": 5})
    in_app(probe_app, change)
    assert current_form(first)["settingsprobe.days_ahead"] == "5"
    assert not reads_of(first, "/admin/settings", ("core_setting",))  # a view reads no setting until one changes
    in_app(probe_app, lambda: write_sql("UPDATE core_setting SET value = ? WHERE name = ?", "7",
                                        "settingsprobe.days_ahead"))  # as the CLI or a SQL console would
    assert current_form(second)["settingsprobe.days_ahead"] == "7"

    def forms(client):
        page = client.get("/admin/settings").get_data(as_text=True)
        return re.sub(r'csrf_token" value="[^"]*"', "", page[page.index("<h1>Settings</h1>"):])
    assert forms(first) == forms(second)


# --- themes -----------------------------------------------------------------------------------

def test_switching_theme_takes_effect_on_the_next_request_in_every_process(make_app, tmp_path):
    instance = tmp_path / "shared-instance"
    app = make_app(instance=instance)
    other = make_app(instance=instance)  # a second server process on the same database
    client, other_client = login(app.test_client()), login(other.test_client())

    def theme_css(c):
        response = c.get("/static/theme/theme.css")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    assert 'Theme "default"' in theme_css(client) and 'Theme "default"' in theme_css(other_client)
    assert "toasts-inline" not in other_client.get("/staff").get_data(as_text=True)

    form = current_form(client)
    form["core.theme"] = "high-contrast"
    page = client.post("/admin/settings", data=form, follow_redirects=True).get_data(as_text=True)
    # This process: the very next page already uses the theme's template and stylesheet.
    assert 'data-theme="high-contrast"' in page
    assert 'class="toasts toasts-inline"' in page and "<strong>Success:</strong> Saved 1 setting." in page
    css = theme_css(client)
    assert 'Theme "high-contrast"' in css and "--focus: #ffdd00" in css and "text-decoration: underline" in css
    # The other process notices through the state version, without being rebuilt.
    assert 'Theme "high-contrast"' in theme_css(other_client)
    assert 'class="toasts toasts-inline"' in other_client.get("/staff").get_data(as_text=True)
    assert settings_audits(app)[-1]["changed"] == {"core.theme": {"before": "default", "after": "high-contrast"}}

    form["core.theme"] = "default"
    client.post("/admin/settings", data=form)
    assert 'Theme "default"' in theme_css(other_client)
    assert "toasts-inline" not in other_client.get("/staff").get_data(as_text=True)


PROBE_PLUGIN = '''
"""A plugin with a page template of its own, for the theme override test."""
from flask import Blueprint, render_template

from medoffice import Permission, PluginInfo, hookimpl
from medoffice.auth.access import requires

PLUGIN = PluginInfo("themeprobe", "Theme probe")
bp = Blueprint("themeprobe", __name__)


@bp.route("/themeprobe")
@requires("themeprobe.page.view")
def page():
    return render_template("themeprobe/page.html", title="Probe", breadcrumbs=[])


@hookimpl
def medoffice_permissions():
    return [Permission("themeprobe.page.view", "See the probe page")]


@hookimpl
def medoffice_blueprints():
    return [bp]
'''


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_instance_theme_overrides_a_plugin_template_and_extends_the_original(make_app, tmp_path, monkeypatch):
    package = tmp_path / "pkgs" / "themeprobe_plugin"
    write(package / "__init__.py", PROBE_PLUGIN)
    write(package / "templates" / "themeprobe" / "page.html", """\
        {% extends layout_template %}
        {% block content %}<p id="original">Plugin page</p>{% endblock %}
    """)
    instance = tmp_path / "inst"
    theme = instance / "themes" / "clinic-brand"
    write(theme / "static" / "theme.css", ":root { --accent: #5b2a86; }\n")
    write(theme / "templates" / "themeprobe" / "page.html", """\
        {% extends "default:themeprobe/page.html" %}
        {% block content %}<p id="themed">Clinic brand</p>{{ super() }}{% endblock %}
    """)
    monkeypatch.syspath_prepend(str(tmp_path / "pkgs"))
    monkeypatch.delitem(sys.modules, "themeprobe_plugin", raising=False)
    module = importlib.import_module("themeprobe_plugin")
    app = make_app(instance=instance, extra=[module])
    client = login(app.test_client())

    before = client.get("/themeprobe").get_data(as_text=True)
    assert 'id="original"' in before and 'id="themed"' not in before
    form = current_form(client)
    assert "clinic-brand" in client.get("/admin/settings").get_data(as_text=True)
    form["core.theme"] = "clinic-brand"
    assert client.post("/admin/settings", data=form).status_code == 302
    after = client.get("/themeprobe").get_data(as_text=True)
    assert 'id="themed"' in after and 'id="original"' in after
    assert after.index('id="themed"') < after.index('id="original"')
    assert client.get("/static/theme/theme.css").get_data(as_text=True) == ":root { --accent: #5b2a86; }\n"

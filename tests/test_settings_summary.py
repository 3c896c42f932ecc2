"""The settings page in sections, each its own form with its own Save (issue 17 item 7): saving one
section validates and writes only its settings, htmx swaps just that section back, and the error
summary links each error to its field."""
import re
from html.parser import HTMLParser

from medoffice import settings
from medoffice.testing import connected


class Sections(HTMLParser):
    """The page's forms: {section form id: {field name: value}} as Save would send them."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.select = {}, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("id") or "").startswith("settings-"):
            self.current = self.forms.setdefault(attrs["id"], {"_action": attrs["action"]})
        if self.current is None:
            return
        if tag == "input" and attrs.get("name") and attrs.get("type") != "checkbox":
            self.current[attrs["name"]] = attrs.get("value") or ""
        if tag == "input" and attrs.get("type") == "checkbox" and "checked" in attrs:
            self.current[attrs["name"]] = attrs.get("value") or "y"
        if tag == "select":
            self.select = attrs["name"]
        if tag == "option" and "selected" in attrs:
            self.current[self.select] = attrs.get("value")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def section_forms(client) -> dict:
    parser = Sections()
    parser.feed(client.get("/admin/settings").get_data(as_text=True))
    return parser.forms


def post(client, form: dict, **kw):
    data = {k: v for k, v in form.items() if k != "_action"}
    return client.post(form["_action"].replace("&amp;", "&"), data=data, **kw)


def test_every_section_is_its_own_form_with_a_save_and_a_link(admin_client):
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)" class="form settings-form" id="(settings-[a-z0-9-]+)"',
                       page)
    ids = [i for _, i in forms]
    assert {"settings-practice", "settings-time-dates-and-theme", "settings-sign-in-and-security",
            "settings-billing-claims-and-837p-files", "settings-billing-statements"} <= set(ids)
    assert all(f'href="#{i}"' in page for i in ids) and len(set(ids)) == len(ids)
    assert page.count('<button type="submit">Save<span class="visually-hidden">') == len(ids)
    assert all(action.endswith(f"?section={i.removeprefix('settings-')}") for action, i in forms)


def test_error_summary_links_to_each_field_in_error(admin_client):
    practice = section_forms(admin_client)["settings-practice"]
    practice.update({"core.zip": "7870", "core.state": "Texas"})
    response = post(admin_client, practice)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    summary = body[body.index('class="form-error error-summary"'):]
    summary = summary[:summary.index("</div>")]
    for name in ("core.zip", "core.state"):
        assert f'href="#{name}"' in summary and f'id="{name}"' in body
    assert "Use 5 or 9 digits." in summary and "Use the two-letter state code." in summary


def test_saving_one_section_leaves_the_others_alone_even_when_they_hold_a_now_invalid_value(admin_client, app):
    with app.test_request_context(), connected(app):
        # Stored before the page's rules refused it (ZIP codes have 5 or 9 digits): the Practice
        # section would refuse it if it were validated.
        settings.set_many({"core.zip": "7870", "core.city": "Austin"})
    forms = section_forms(admin_client)
    display = forms["settings-time-dates-and-theme"]
    assert "core.zip" not in display and "core.idle_timeout_minutes" not in display
    display["core.date_format"] = "us"
    response = post(admin_client, display)
    assert response.status_code == 302 and response.headers["Location"].endswith("#settings-time-dates-and-theme")
    with app.test_request_context(), connected(app):
        assert settings.get("core.date_format") == "us"
        assert settings.get("core.zip") == "7870" and settings.get("core.city") == "Austin"
    # The practice section itself still says what is wrong when it is saved.
    assert post(admin_client, section_forms(admin_client)["settings-practice"]).status_code == 422


def test_htmx_swaps_just_the_section_with_a_toast(admin_client, app):
    display = section_forms(admin_client)["settings-time-dates-and-theme"]
    display["core.date_format"] = "day_first"
    response = post(admin_client, display, headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.count("<form") == 1 and 'id="settings-time-dates-and-theme"' in body
    assert 'id="toasts"' in body and 'hx-swap-oob="true"' in body and "Saved 1 setting." in body
    assert "<h1>" not in body and 'id="settings-practice"' not in body
    assert 'value="day_first" selected' in body or "selected value=\"day_first\"" in body
    security = section_forms(admin_client)["settings-sign-in-and-security"]
    security["core.idle_timeout_minutes"] = "0"
    refused = post(admin_client, security, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert text.count("<form") == 1 and 'href="#core.idle_timeout_minutes"' in text
    with app.test_request_context(), connected(app):
        assert settings.get("core.idle_timeout_minutes") == 15 and settings.get("core.date_format") == "day_first"


def test_an_unknown_section_is_not_found(admin_client):
    practice = section_forms(admin_client)["settings-practice"]
    practice["_action"] = "/admin/settings?section=nowhere"
    assert post(admin_client, practice).status_code == 404


def test_a_theme_change_reloads_the_whole_page(admin_client, app):
    display = section_forms(admin_client)["settings-time-dates-and-theme"]
    display["core.theme"] = "high-contrast"
    response = post(admin_client, display, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Refresh"] == "true"
    assert 'data-theme="high-contrast"' in admin_client.get("/admin/settings").get_data(as_text=True)

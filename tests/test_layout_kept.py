"""The layout kept between pages (medoffice.web.layout): the same HTML as rendering core/layout.html afresh,
each user their own navigation and top bar, each session its own CSRF token, toasts and themes honoured."""
from __future__ import annotations

import re

import pytest

from medoffice.db import db
from medoffice.models import Patient
from medoffice.testing import TEST_PASSWORD, create_test_user, login
from medoffice.web import layout


def in_db(app, fn):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return fn()
        finally:
            db.close()


def both_ways(client, monkeypatch, url):
    """(kept, full) HTML of ``url``: with the kept layout, then with core/layout.html rendered afresh."""
    kept = client.get(url)
    with monkeypatch.context() as patch:
        patch.setattr(layout, "layout_template", lambda: layout.FULL)
        full = client.get(url)
    assert kept.status_code == full.status_code
    return kept.get_data(as_text=True), full.get_data(as_text=True)


@pytest.fixture
def odd_patient(app):
    def create():
        return Patient.create(account_number="P0000777", first_name="Bob <b>", last_name="O'Brien & Sons",
                              date_of_birth="1970-01-01", sex="M").id
    return in_db(app, create)


def test_the_kept_layout_writes_what_the_template_writes(app, monkeypatch, odd_patient):
    admin = login(app.test_client(), "admin")
    front = login(app.test_client(), "front_desk")
    for client in (admin, front):
        for url in ("/", "/today", "/patients", f"/patients/{odd_patient}", "/staff", "/change-password"):
            kept, full = both_ways(client, monkeypatch, url)
            assert kept == full, url
    crumbs = both_ways(admin, monkeypatch, f"/patients/{odd_patient}")[0]
    assert "O&#39;Brien &amp; Sons, Bob &lt;b&gt;" in crumbs and "<b>" not in crumbs.split("<main", 1)[1][:2000]
    anonymous = app.test_client()
    kept, full = both_ways(anonymous, monkeypatch, "/login")
    assert kept == full and "Log out" not in kept


def test_each_user_gets_their_own_navigation_and_each_session_its_own_token(app):
    name = create_test_user(app, ("admin",))
    admin, other_admin = app.test_client(), app.test_client()  # two sessions of one user: one kept head
    for client in (admin, other_admin):
        assert client.post("/login", data={"username": name, "password": TEST_PASSWORD}).status_code == 302
    front = login(app.test_client(), "front_desk")
    pages = {who: client.get("/staff").get_data(as_text=True)
             for who, client in (("admin", admin), ("front", front), ("other", other_admin), ("front2", front))}
    assert 'href="/admin/settings"' in pages["admin"] and 'href="/admin/settings"' not in pages["front"]
    assert 'href="/admin/settings"' not in pages["front2"]

    def tokens(html):
        return set(re.findall(r'"X-CSRFToken": "([^"]+)"', html)) | set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
    assert len(tokens(pages["admin"])) == 1 and len(tokens(pages["other"])) == 1
    assert tokens(pages["admin"]) != tokens(pages["other"])  # same head kept, each session's token put in
    assert "\x00" not in "".join(pages.values())
    assert front.post("/logout", data={"csrf_token": tokens(pages["front"]).pop()}).status_code in (302, 303)


def test_a_page_with_toasts_to_show_renders_the_layout_afresh(app):
    admin = login(app.test_client(), "admin")
    with admin.session_transaction() as session:
        session["_flashes"] = [("success", "Saved <it>.")]
    page = admin.get("/staff").get_data(as_text=True)
    assert "Saved &lt;it&gt;." in page and 'class="toast toast-success"' in page
    assert "Saved" not in admin.get("/staff").get_data(as_text=True)  # shown once, then the kept layout again


def test_a_theme_with_its_own_layout_is_never_bypassed(make_app, tmp_path, monkeypatch):
    from test_settings_themes import current_form, write

    instance = tmp_path / "inst"
    theme = instance / "themes" / "own-layout"
    write(theme / "static" / "theme.css", ":root { --accent: #5b2a86; }\n")
    write(theme / "templates" / "core" / "layout.html", """\
        <!doctype html><html lang="en"><head><title>{{ title }}</title></head>
        <body><p id="own-layout">Clinic layout</p><main id="main">{% block content %}{% endblock %}</main></body></html>
    """)
    write(theme / "templates" / "core" / "_toasts.html", "")
    app = make_app(instance=instance)
    client = login(app.test_client())
    assert 'id="own-layout"' not in client.get("/staff").get_data(as_text=True)
    form = current_form(client)
    form["core.theme"] = "own-layout"
    assert client.post("/admin/settings", data=form).status_code == 302
    client.get("/staff")  # the settings page's toast
    page = client.get("/staff").get_data(as_text=True)
    assert 'id="own-layout"' in page and "<title>Staff</title>" in page

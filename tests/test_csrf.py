"""CSRF: every state-changing route refuses a request without a valid token, and accepts the
token a page hands to htmx in ``hx-headers`` (and to plain forms in ``csrf_token``)."""
import json
import re

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from medoffice.testing import TEST_PASSWORD, create_test_user

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_MESSAGE = "The form expired or was sent from elsewhere"


def hx_token(page: str) -> str:
    """The token the layout gives htmx: <body hx-headers='{"X-CSRFToken": "..."}'>."""
    headers = re.search(r"hx-headers='([^']+)'", page).group(1)
    return json.loads(headers)["X-CSRFToken"]


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def state_changing_routes(app):
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        values = {}
        for name, converter in rule._converters.items():
            if isinstance(converter, IntegerConverter):
                values[name] = 1
            elif isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
            else:
                values[name] = "x"
        for method in sorted(rule.methods & STATE_CHANGING):
            found.append((rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)))
    # Logging out ends the session the other checks need: do it last.
    return sorted(found, key=lambda r: r[0] == "core.logout")


@pytest.fixture
def csrf_app(make_app):
    return make_app(WTF_CSRF_ENABLED=True)


def logged_in(app):
    name = create_test_user(app, ("admin",))
    client = app.test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": name, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return client, name


def test_login_itself_needs_the_token(csrf_app):
    name = create_test_user(csrf_app, ("admin",))
    client = csrf_app.test_client()
    refused = client.post("/login", data={"username": name, "password": TEST_PASSWORD})
    assert refused.status_code == 400 and CSRF_MESSAGE in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_every_state_changing_route_rejects_a_missing_or_wrong_token(csrf_app):
    client, _ = logged_in(csrf_app)
    routes = state_changing_routes(csrf_app)
    assert len(routes) > 20
    accepted = []
    for endpoint, method, url in routes:
        for headers in ({}, {"X-CSRFToken": "forged-token"}, {"HX-Request": "true"}):
            response = client.open(url, method=method, data={}, headers=headers)
            if response.status_code != 400 or CSRF_MESSAGE not in response.get_data(as_text=True):
                accepted.append(f"{method} {url} {headers} -> {response.status_code}")
    assert accepted == []


def test_every_state_changing_route_accepts_the_pages_hx_headers_token(csrf_app):
    client, name = logged_in(csrf_app)
    token = hx_token(client.get("/").get_data(as_text=True))
    refused = []
    for endpoint, method, url in state_changing_routes(csrf_app):
        response = client.open(url, method=method, data={}, headers={"X-CSRFToken": token, "HX-Request": "true"})
        if response.status_code == 400 or CSRF_MESSAGE in response.get_data(as_text=True):
            refused.append(f"{method} {url} -> {response.status_code}")
    assert refused == []


def test_plain_forms_carry_the_token_too(csrf_app):
    client, _ = logged_in(csrf_app)
    page = client.get("/admin/users/new").get_data(as_text=True)
    token = form_token(page)
    response = client.post("/admin/users/new", data={"csrf_token": token, "username": "x"})
    assert response.status_code == 422  # got past CSRF to validation


def test_the_top_bars_log_out_form_carries_this_sessions_token(csrf_app):
    """The top bar is built once per user and reused: only the token in its log-out form is the request's."""
    client, name = logged_in(csrf_app)
    page = client.get("/").get_data(as_text=True)
    logout_token = re.search(r'action="/logout" class="inline">\s*<input type="hidden" name="csrf_token" '
                             r'value="([^"]+)"', page).group(1)
    assert logout_token == hx_token(page) and "\x00" not in page
    other, _ = logged_in(csrf_app)
    assert hx_token(other.get("/").get_data(as_text=True)) != logout_token
    assert client.post("/logout", data={"csrf_token": logout_token}).status_code == 302
    assert client.get("/").status_code in (302, 401)


def test_a_sessions_token_is_signed_once_and_stays_valid(csrf_app):
    client, _ = logged_in(csrf_app)
    first = hx_token(client.get("/").get_data(as_text=True))
    assert hx_token(client.get("/patients").get_data(as_text=True)) == first
    response = client.post("/admin/users/new", data={"csrf_token": first, "username": "x"})
    assert response.status_code == 422  # past CSRF, to validation
    client.post("/logout", data={"csrf_token": first})
    again, _ = logged_in(csrf_app)
    assert hx_token(again.get("/").get_data(as_text=True)) != first
    assert again.post("/admin/users/new", data={"csrf_token": first, "username": "x"}).status_code == 400


def test_a_token_a_form_signed_first_is_kept_for_the_sessions_next_pages(csrf_app):
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from medoffice.web import shell

    with csrf_app.test_request_context("/"):
        token = generate_csrf()  # as a form's CSRF field does, before the layout asks
        assert shell.csrf_token() == token
        assert csrf_app.extensions["medoffice_signed_csrf"][session["csrf_token"]] == token

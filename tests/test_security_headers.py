"""Every kind of response carries the security headers; HSTS only when served over TLS."""
from __future__ import annotations

import re

import pytest

from medoffice.auth.access import public
from medoffice.testing import login


def _boom():
    raise RuntimeError("a bug in a view")


def _app(make_app, **config):
    app = make_app(**config)
    app.add_url_rule("/test-boom", "test_boom", public(_boom))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # let the 500 handler answer, as in production
    return app


def _responses(app):
    client = login(app.test_client())
    anonymous = app.test_client()
    return {
        "html page": client.get("/"),
        "htmx fragment": client.get("/", headers={"HX-Request": "true"}),
        "form page": client.get("/patients/new"),
        "validation failure": client.post("/patients/new", data={"first_name": ""}),
        "redirect": anonymous.get("/patients"),
        "login page": anonymous.get("/login"),
        "static file": client.get("/static/css/medoffice.css"),
        "not found": client.get("/no/such/page"),
        "method not allowed": client.get("/logout"),
        "server error": client.get("/test-boom"),
        "health check": anonymous.get("/healthz"),
    }


def _csp_directives(value: str) -> dict:
    return {part.split()[0]: part.split()[1:] for part in value.split(";") if part.strip()}


def test_every_response_kind_has_the_headers_and_no_hsts_without_tls(make_app):
    responses = _responses(_app(make_app))
    assert responses["server error"].status_code == 500
    assert responses["validation failure"].status_code == 422
    for kind, response in responses.items():
        headers = response.headers
        csp = _csp_directives(headers.get("Content-Security-Policy", ""))
        assert csp.get("frame-ancestors") == ["'none'"], kind
        assert csp.get("script-src") == ["'self'"], kind
        assert "'unsafe-inline'" not in headers["Content-Security-Policy"], kind
        assert csp.get("object-src") == ["'none'"], kind
        assert headers.get("X-Content-Type-Options") == "nosniff", kind
        assert headers.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin"), kind
        assert headers.get("X-Frame-Options") == "DENY", kind
        assert "Strict-Transport-Security" not in headers, kind


def test_a_header_the_view_set_is_kept_and_never_doubled(make_app):
    app = _app(make_app)
    app.add_url_rule("/test-own-headers", "test_own_headers", public(
        lambda: ("ok", 200, {"Cache-Control": "private, max-age=60", "x-frame-options": "SAMEORIGIN"})))
    headers = app.test_client().get("/test-own-headers").headers
    assert headers.getlist("Cache-Control") == ["private, max-age=60"]
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("X-Content-Type-Options") == ["nosniff"]
    assert app.test_client().get("/static/css/medoffice.css").headers.get("Cache-Control") != "no-store"


def test_hsts_and_secure_cookies_under_tls(make_app):
    app = _app(make_app, TLS=True, SESSION_COOKIE_SECURE=True)
    for kind, response in _responses(app).items():
        hsts = response.headers.get("Strict-Transport-Security", "")
        max_age = re.search(r"max-age=(\d+)", hsts)
        assert max_age and int(max_age.group(1)) >= 180 * 24 * 3600, kind
    cookie = app.test_client().get("/login").headers.get("Set-Cookie", "")
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("path", ["/", "/patients", "/patients/new", "/login"])
def test_pages_have_no_inline_script(make_app, path):
    app = make_app()
    client = login(app.test_client()) if path != "/login" else app.test_client()
    page = client.get(path).get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", page, flags=re.I)
    assert scripts, "the layout loads its scripts"
    assert all(re.search(r"\bsrc=", tag) for tag in scripts), scripts
    assert not re.search(r"\son[a-z]+\s*=", page, flags=re.I), "inline event handler attribute"

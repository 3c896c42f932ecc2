"""The markdown service: sanitizing, rendering, the template filter and the live preview."""
import re

import pytest
from flask import render_template_string

from medoffice.markdown_service import render
from medoffice.testing import TEST_PASSWORD, create_test_user

XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    "<img src=x onerror=alert(1)>",
    '<p onclick="alert(1)" onmouseover="alert(2)">hover</p>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<style>body { display: none }</style>",
    '<iframe src="https://evil.example"></iframe>',
    "<svg><g onload=alert(1)></g></svg>",
    '<form action="https://evil.example"><input name=x></form>',
    "![x](https://tracker.example/pixel.png)",
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    '<object data="x.swf"></object><embed src="x.swf">',
]


@pytest.mark.parametrize("source", XSS)
def test_xss_vectors_are_stripped(source):
    html = str(render(source)).lower()
    for bad in ("<script", "javascript:", "vbscript:", "data:", "onerror", "onclick", "onmouseover",
                "onload", "style=", "<style", "<iframe", "<svg", "<form", "<input", "<object", "<embed",
                "evil.example", "tracker.example", "alert(1)"):
        assert bad not in html, (source, html)


def test_links_get_rel_and_keep_safe_schemes():
    html = str(render("[site](https://example.org) [mail](mailto:office@example.org) [chart](/patients/3)"))
    assert html.count('rel="noopener noreferrer"') == 3
    assert 'href="https://example.org"' in html
    assert 'href="mailto:office@example.org"' in html
    assert 'href="/patients/3"' in html


def test_same_origin_images_are_kept():
    html = str(render("![Front desk map](/static/img/map.png)"))
    assert 'src="/static/img/map.png"' in html and 'alt="Front desk map"' in html
    assert "src=" not in str(render("![x](//evil.example/x.png)"))


ROUTE_IMAGES = [
    "![x](/patients/7)", "![x](/admin/settings)", '<img src="/patients/7">', "![x](patients/7)",
    "![x](/static/../patients/7)", "![x](/static/%2e%2e/patients/7)", "![x](/static/./../patients/7)",
    "![x](/static/x.png?/../../patients/7)", "![x](/static\\..\\patients\\7)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
]


@pytest.mark.parametrize("source", ROUTE_IMAGES)
def test_images_never_point_at_application_routes(source):
    """A browser loads an image with the reader's session: an image of /patients/7 in a setting
    would make every reader open patient 7 (issue 9, item 9)."""
    html = str(render(source))
    assert "<img" in html and "src=" not in html, (source, html)


def test_links_to_application_routes_stay_links_and_theme_images_stay():
    html = str(render("[chart](/patients/7) ![logo](/static/theme/logo.png) "
                      "![wave](/static/plugins/hello/wave.svg)"))
    assert 'href="/patients/7"' in html and 'src="/static/theme/logo.png"' in html
    assert 'src="/static/plugins/hello/wave.svg"' in html


URL_BYPASSES = [
    "[x](/&#9;/evil.example/phish)", "[x](/&#10;/evil.example/phish)", "[x](/&#13;/evil.example/phish)",
    '<a href="/&#9;/evil.example/phish">x</a>', '<a href="/&#x0A;/evil.example/phish">x</a>',
    "[x](/\\evil.example/phish)", '<a href=" //evil.example/phish">x</a>', "[x](//evil.example/phish)",
    "![x](/&#9;/evil.example/x.png)", "![x](/&#10;/evil.example/x.png)", '<img src="/&#9;/evil.example/x.png">',
    "[x](java&#10;script:alert(1))",
]


@pytest.mark.parametrize("source", URL_BYPASSES)
def test_urls_are_checked_as_the_browser_reads_them(source):
    """Tab, newline and carriage return vanish and backslashes become slashes in the browser's URL
    parser, so "/&#9;/evil.example" would be "//evil.example" there (issue 9, item 11)."""
    html = str(render(source))
    assert "evil.example" not in html and "href=" not in html and "src=" not in html, (source, html)


def test_the_page_gets_the_url_as_checked():
    assert 'src="/static/img/map.png"' in str(render("![map](/stat&#9;ic/img/map.png)"))
    assert 'href="https://example.org/a?x=1&amp;copy=2"' in str(render("[a](https://example.org/a?x=1&copy=2)"))


def test_tables_code_and_lists_render():
    html = str(render(
        "| Code | Fee |\n|:-----|----:|\n| 99213 | 95.00 |\n\n"
        "```python\nprint('hi')\n```\n\n1. one\n2. two\n\n* bullet\n"))
    assert re.search(r"<table>\s*<thead>\s*<tr>\s*<th[^>]*>Code</th>", html)
    assert '<td align="right">95.00</td>' in html
    assert '<code class="language-python">' in html
    assert "<ol>" in html and "<ul>" in html


def test_heading_ids_cannot_clobber_page_ids():
    html = str(render("# Main\n\n[TOC]\n\n<h2 id=\"main\">Raw</h2>"))
    assert 'id="md-main"' in html and 'href="#md-main"' in html
    assert 'id="main"' not in html


def test_empty_text_renders_nothing():
    assert str(render(None)) == "" and str(render("")) == ""


def test_markdown_filter_in_templates(app):
    with app.test_request_context():
        out = render_template_string("{{ text|markdown }}", text="**Bold** <script>x()</script>")
    assert "<strong>Bold</strong>" in out and "<script" not in out


def test_preview_requires_login(client):
    response = client.post("/markdown/preview", data={"text": "# Hi"}, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
    assert client.post("/markdown/preview", data={"text": "# Hi"}).status_code == 302


def test_preview_renders_sanitized_fragment_of_the_named_field(client_as):
    client = client_as("front_desk")
    response = client.post("/markdown/preview?field=policy_body",
                           data={"policy_body": "## Refunds\n\n<img src=x onerror=alert(1)>", "other": "# No"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert '<h2 id="md-refunds">Refunds</h2>' in body
    assert "onerror" not in body and "No" not in body and "<html" not in body


def test_preview_of_empty_text_says_so(admin_client):
    response = admin_client.post("/markdown/preview", data={"text": ""})
    assert response.status_code == 200 and "Nothing to preview yet" in response.get_data(as_text=True)


def test_preview_needs_the_csrf_token_sent_in_hx_headers(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    name = create_test_user(app)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"username": name, "password": TEST_PASSWORD,
                                       "csrf_token": token}).status_code == 302
    page = client.get("/").get_data(as_text=True)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    refused = client.post("/markdown/preview", data={"text": "*hi*"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400
    accepted = client.post("/markdown/preview", data={"text": "*hi*"},
                           headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert accepted.status_code == 200 and "<em>hi</em>" in accepted.get_data(as_text=True)


def test_a_setting_cannot_make_its_readers_open_a_patient(app, client_as):
    """The review's case: a manager put an image of /patients/7 in a statement message; the admin
    opening the settings page made an audited read of patient 7 (issue 9, item 9)."""
    from medoffice import settings
    from medoffice.db import db

    with app.app_context():
        db.connect(reuse_if_open=True)
        settings.set_many({"billing.statement_message_b0": "Thanks! ![x](/patients/7) [record](/patients/7)"})
        db.close()
    page = client_as("admin").get("/admin/settings").get_data(as_text=True)
    assert 'src="/patients/7"' not in page and 'href="/patients/7"' in page

"""The page a login returns to (``next``) is a path on this site as the browser will read it."""
from urllib.parse import quote

import pytest

from medoffice.auth.redirect_target import same_site_path
from medoffice.testing import TEST_PASSWORD, create_test_user

HOSTILE = [
    "/\t/evil.example/phish",          # the browser drops the tab: //evil.example/phish
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",                 # leading space is stripped by the browser
    "/ /evil.example",
    "//evil.example/x",
    "///evil.example",
    "/\\evil.example",                 # a backslash reads as a slash
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    "evil.example/x",                  # relative: resolves against the login page
    "/%2F/evil.example",               # an encoded slash some proxy may decode
    "/%2f%2fevil.example",
    "/%5C/evil.example",
    "/%5cevil.example",
    "/%252F/evil.example",             # double encoding
    "/%09/evil.example",
    "/%0d%0aSet-Cookie:x=1",
    "/../evil.example",
    "/a/./b",
    "/%2e%2e//evil.example",
    "/\x00/evil.example",
    "/\x7f",
    "/caf\u00e9",
    "/\u2215evil.example",             # division slash
    "",
    None,
    "/" + "a" * 2001,
]

ACCEPTED = [
    "/",
    "/patients",
    "/patients?q=a%2Fb",               # encoded characters in the query are fine
    "/patients?q=50%25&page=2",
    "/billing/claims/12?tab=history#notes",
    "/reports/patient_aging?as_of=2026-03-01",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert same_site_path(target) is None


@pytest.mark.parametrize("target", ACCEPTED)
def test_same_site_paths_are_kept(target):
    assert same_site_path(target) == target


def test_login_never_redirects_off_site(app):
    """Through the real login: each hostile ``next`` (as a browser would send it) lands on the dashboard."""
    name = create_test_user(app, ("front_desk",))
    for target in [t for t in HOSTILE if t] + ["/%09/evil.example/phish"]:
        response = app.test_client().post(f"/login?next={quote(target, safe='')}",
                                          data={"username": name, "password": TEST_PASSWORD})
        # NUL and other C0 characters are refused before any view (422); the rest log in.
        assert response.status_code in (302, 422), target
        assert response.headers.get("Location", "/") == "/", target
    # The exact request from the report: the query decodes to "/<TAB>/evil.example/phish".
    response = app.test_client().post("/login?next=/%09/evil.example/phish",
                                      data={"username": name, "password": TEST_PASSWORD})
    assert response.headers["Location"] == "/"
    kept = app.test_client().post(f"/login?next={quote('/patients?q=a%2Fb', safe='')}",
                                  data={"username": name, "password": TEST_PASSWORD})
    assert kept.headers["Location"] == "/patients?q=a%2Fb"


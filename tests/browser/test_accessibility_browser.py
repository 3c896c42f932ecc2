"""axe-core (from the npm lock file, never a CDN) finds no serious or critical violation on the
pages the office uses most: sign-in, Today, the patient list and a patient, claims, deadlines,
documents and the settings page."""
from __future__ import annotations

from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ["/", "/patients", "/billing/claims", "/deadlines", "/documents", "/admin/settings", "/admin/users"]


def serious_violations(page) -> list[str]:
    """axe's serious and critical findings on the page as shown (run through the DevTools protocol,
    so the page's Content-Security-Policy does not have to allow the script)."""
    page.evaluate(AXE.read_text() + "\n;0")
    found = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => v.id + ': ' + v.help + ' (' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ') + ')')""")
    return found


@pytest.fixture(scope="module")
def axe_available():
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make assets` installs axe-core from package-lock.json")


def test_sign_in_page_has_no_serious_violations(page, axe_available):
    page.goto("/login")
    assert serious_violations(page) == []
    # The check sees what it should: an image without a text alternative is critical.
    page.evaluate("document.body.appendChild(Object.assign(document.createElement('img'), {src: '/favicon.ico'}))")
    assert any(v.startswith("image-alt") for v in serious_violations(page))


def test_main_pages_have_no_serious_violations(admin_page, axe_available):
    problems = {}
    for url in [*PAGES, None]:
        if url is None:  # a patient's page, reached as staff reach it
            admin_page.goto("/patients")
            admin_page.locator("table a[href^='/patients/']").first.click()
            admin_page.wait_for_url("**/patients/*")
            url = admin_page.url
        else:
            admin_page.goto(url)
        admin_page.wait_for_load_state("networkidle")
        found = serious_violations(admin_page)
        if found:
            problems[url] = found
    assert problems == {}

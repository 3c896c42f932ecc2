"""Log in, move through plugin navigation, turn a module off and on without a restart."""
from __future__ import annotations

import re

from playwright.sync_api import expect


def _module_to_toggle(page) -> str:
    """The example plugin when installed, else the first non-core module on the page."""
    page.goto("/admin/plugins")
    rows = page.locator("tr[data-plugin]")
    names = [rows.nth(i).get_attribute("data-plugin") for i in range(rows.count())]
    candidates = [n for n in names if n != "core"]
    assert candidates, "no plugin installed besides core"
    return "hello" if "hello" in candidates else candidates[0]


def test_login_and_navigate(admin_page):
    page = admin_page
    expect(page.locator("main h1")).to_have_text("Today")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Patients").click()
    expect(page).to_have_url(re.compile(r"/patients"))
    expect(page.locator("main h1")).to_have_text("Patients")
    # Every navigation link of every enabled plugin opens a page without an error.
    links = nav.get_by_role("link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in hrefs:
        response = page.goto(href)
        assert response.status == 200, href


def test_wrong_password_is_refused(page):
    page.goto("/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")


def test_disable_and_enable_module_live(admin_page):
    page = admin_page
    name = _module_to_toggle(page)
    row = page.locator(f"tr[data-plugin='{name}']")
    nav = page.get_by_role("navigation", name="Main")
    nav_links_before = nav.get_by_role("link").count()
    module_links = [a.get_attribute("href") for a in nav.locator(f"a[href^='/{name}']").all()]

    row.get_by_role("button", name="Turn off").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".toast")).to_contain_text(f"Disabled {name}")
    expect(page.locator(f"tr[data-plugin='{name}']")).to_contain_text("Off")
    assert nav.get_by_role("link").count() < nav_links_before
    for href in module_links:
        assert page.goto(href).status == 404

    page.goto("/admin/plugins")
    page.locator(f"tr[data-plugin='{name}']").get_by_role("button", name="Turn on").click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".toast")).to_contain_text("Enabled")
    assert nav.get_by_role("link").count() == nav_links_before
    for href in module_links:
        assert page.goto(href).status == 200


def test_run_report_and_download_csv(admin_page):
    page = admin_page
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("link", name="Patients by location").click()
    page.get_by_role("button", name="Run report").click()
    table = page.locator("table.data").first
    expect(table).to_be_visible()
    assert table.locator("tbody tr").count() >= 1
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    lines = open(download.path(), encoding="utf-8").read().splitlines()
    assert len(lines) >= 2 and "," in lines[0]


def test_switch_theme_without_restart(admin_page):
    page = admin_page
    page.goto("/admin/settings")
    theme = page.get_by_label("Theme")
    theme.select_option("high-contrast")
    page.locator("#settings-time-dates-and-theme").get_by_role("button", name="Save").click()
    expect(page.locator(".toast").first).to_contain_text("Saved")
    css = page.request.get("/static/theme/theme.css").text()
    assert "--focus" in css or "--text" in css
    page.goto("/")
    assert page.locator("link[data-theme]").get_attribute("data-theme") == "high-contrast"
    # Back to the default theme, also live.
    page.goto("/admin/settings")
    page.get_by_label("Theme").select_option("default")
    page.locator("#settings-time-dates-and-theme").get_by_role("button", name="Save").click()
    expect(page.locator(".toast").first).to_contain_text("Saved")
    page.goto("/")
    assert page.locator("link[data-theme]").get_attribute("data-theme") == "default"


def test_pages_load_without_console_errors(admin_page):
    """No Content Security Policy violation, failed resource or script error on any menu page."""
    page = admin_page
    errors = []
    page.on("console", lambda message: errors.append(f"{page.url}: {message.text}") if message.type == "error" else None)
    nav = page.get_by_role("navigation", name="Main")
    links = nav.get_by_role("link")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    for href in ["/", *hrefs]:
        page.goto(href)
        page.wait_for_load_state("networkidle")
    assert errors == []

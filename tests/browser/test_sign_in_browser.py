"""Sign-in in a real browser: setting up two-factor sign-in from its QR page, the two-step login,
and the sessions page (a logout elsewhere is honoured at once)."""
from __future__ import annotations

import re
import time

import pyotp
from playwright.sync_api import expect

PASSWORD = "Copper kettle rain 58 qz"


def _create_user(admin_page, username: str) -> None:
    page = admin_page
    page.goto("/admin/users/new")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Full name").fill("Browser Signin")
    page.get_by_label("Front desk").check()
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_label("Ask for a new password at first login").uncheck()
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("main h1")).to_contain_text("Browser Signin")


def _password_step(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_two_factor_set_up_and_two_step_login(admin_page, browser, live_server):
    username = f"signin{int(time.time()) % 100000}"
    _create_user(admin_page, username)
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    _password_step(page, username)
    page.wait_for_url("**/")

    page.goto("/account/two-factor")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    expect(page.locator("figure.qr svg")).to_be_visible()  # the QR code, drawn on the server
    secret = page.locator("[data-secret]").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(totp.now())
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("main h1")).to_have_text("Your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10

    # A second browser: the password alone leads to the code step, a code from the app signs in.
    other = browser.new_context(base_url=live_server)
    second = other.new_page()
    _password_step(second, username)
    second.wait_for_url("**/login/code")
    second.get_by_label("Code").fill(totp.at(time.time() + 30))
    second.get_by_role("button", name="Sign in").click()
    second.wait_for_url("**/")
    expect(second.locator("main h1")).to_have_text("Today")

    # The first browser sees both sessions and ends the other one; its next click is refused.
    page.goto("/account/sessions")
    expect(page.locator("tr[data-session]")).to_have_count(2)
    page.get_by_role("button", name="End", exact=True).click()
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("tr[data-session]")).to_have_count(1)
    second.goto("/patients")
    second.wait_for_url(re.compile(r"/login"))
    expect(second.get_by_role("status")).to_contain_text("ended from another")
    assert errors == []
    other.close()
    context.close()

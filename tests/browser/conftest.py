"""Browser tests: a real `medoffice serve` process driven by Playwright through Debian's chromium.

Skipped, with the reason shown, when /usr/bin/chromium is missing (the README's test command
installs it when it can). Nothing is downloaded: Playwright only drives the system browser.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
ADMIN_PASSWORD = "Browser-test-passphrase-77"

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    if not os.path.exists(CHROMIUM):
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed (apt-get install chromium)")
        for item in items:
            if "browser" in str(item.fspath):
                item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _medoffice(instance: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "medoffice.cli", "--instance", str(instance), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=True)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """A served instance with demo data; yields its base URL."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {**os.environ, "MEDOFFICE_ADMIN_PASSWORD": ADMIN_PASSWORD}
    env.pop("MEDOFFICE_DATABASE_URL", None)
    _medoffice(instance, "init", "--admin-user", "admin", env=env)
    _medoffice(instance, "demo", "--size", "small", env=env)
    port = _free_port()
    log = open(instance / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "medoffice.cli", "--instance", str(instance), "serve",
         "--port", str(port), "--no-scheduler"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                log.close()
                raise RuntimeError("server did not start:\n" + (instance / "server.log").read_text())
            time.sleep(0.3)
    yield base
    server.terminate()
    server.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian chromium under Playwright."""
    from playwright.sync_api import expect, sync_playwright

    # Assertions wait as long as actions do: CI's two cores run the server and the browser together.
    expect.set_options(timeout=15000)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page (its own cookies), with downloads accepted."""
    context = browser.new_context(base_url=live_server, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def admin_page(page):
    """A page logged in as the instance's admin."""
    page.goto("/login")
    page.get_by_label("User name").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    return page

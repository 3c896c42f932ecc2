"""The office-box install, end to end: `make dist` builds the wheels, a fresh virtual environment
installs them as docs/deploy.md says with Node.js out of the PATH, and the served pages run htmx.

This is what `pip install` from the source tree got wrong before: every page answered 200 while
htmx.min.js (built by npm, not in git) was missing from the installation.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]  # the checkout this test belongs to
NODE_TOOLS = {"node", "nodejs", "npm", "npx", "corepack"}
ADMIN_PASSWORD = "Office-box-install-passphrase-19"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _path_without_node(shadow_root: Path) -> str:
    """PATH with every folder that holds node or npm replaced by a copy of its links without them."""
    folders = []
    for number, folder in enumerate(os.environ.get("PATH", "").split(os.pathsep)):
        if not folder or not any(os.path.exists(os.path.join(folder, tool)) for tool in NODE_TOOLS):
            folders.append(folder)
            continue
        shadow = shadow_root / f"path{number}"
        shadow.mkdir(parents=True)
        for entry in os.scandir(folder):
            if entry.name not in NODE_TOOLS:
                (shadow / entry.name).symlink_to(entry.path)
        folders.append(str(shadow))
    return os.pathsep.join(folders)


def _run(*cmd, **kwargs) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kwargs)
    shown = " ".join(Path(str(c)).name if os.sep in str(c) else str(c) for c in cmd[:4])
    print(f"{time.monotonic() - started:5.1f}s  {shown}")  # shown with the failure, or with -rP
    assert result.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed_server(tmp_path_factory):
    """Wheels from `make dist`, installed in a new venv without Node.js, initialized and served."""
    work = tmp_path_factory.mktemp("office-box")
    dist = work / "dist"
    # The venv running this test is the project's, already set up: -o keeps make from reinstalling it.
    venv_dir = Path(sys.prefix)
    _run("make", "-s", "-o", f"{venv_dir}/.installed", "dist", f"DIST={dist}", f"VENV={venv_dir}", cwd=ROOT)
    built = sorted(p.name for p in dist.iterdir())
    assert any(re.fullmatch(r"medoffice-[\d.]+-py3-none-any\.whl", n) for n in built), built
    assert any(re.fullmatch(r"medoffice_billing-[\d.]+-py3-none-any\.whl", n) for n in built), built
    assert any(n.endswith(".tar.gz") for n in built), built

    env = {k: v for k, v in os.environ.items() if not k.startswith(("MEDOFFICE_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = _path_without_node(work / "shadow")
    assert shutil.which("node", path=env["PATH"]) is None and shutil.which("npm", path=env["PATH"]) is None
    box = work / "box"
    box.mkdir()
    # docs/deploy.md's commands (Linux): a venv, then core with the billing plugin as an extra. To
    # save time the venv gets no pip of its own (this one's installs into it) and no .pyc files.
    _run(sys._base_executable, "-m", "venv", "--without-pip", box / "venv", env=env, cwd=box)
    bin_dir = box / "venv" / "bin"
    _run(sys.executable, "-m", "pip", "--python", bin_dir / "python", "install", "--no-compile",
         "--find-links", dist, "medoffice[billing]", env=env, cwd=box)
    where = _run(bin_dir / "python", "-c", "import medoffice, medoffice_billing; print(medoffice.__file__)",
                 env=env, cwd=box).stdout
    assert where.startswith(str(box / "venv")), where  # the installed copy, not this checkout
    themes = _run(bin_dir / "python", "-c", "from pathlib import Path; from medoffice import themes; "
                  "print(themes.available(Path('.')), themes.theme_path(Path('.'), 'default'))", env=env, cwd=box).stdout
    assert "'high-contrast'" in themes and str(box / "venv") in themes, themes  # the themes came with the wheel

    env.update(MEDOFFICE_INSTANCE=str(box / "instance"), MEDOFFICE_ADMIN_PASSWORD=ADMIN_PASSWORD)
    _run(bin_dir / "medoffice", "init", "--admin-user", "admin", env=env, cwd=box)
    _run(bin_dir / "medoffice", "demo", "--size", "small", env=env, cwd=box)
    doctor = subprocess.run([bin_dir / "medoffice", "doctor"], env=env, cwd=box, capture_output=True, text=True)
    assert re.search(r"OK +front-end files", doctor.stdout), doctor.stdout

    port = _free_port()
    log = open(box / "server.log", "w")
    server = subprocess.Popen([bin_dir / "medoffice", "serve", "--port", str(port), "--no-scheduler"],
                              env=env, cwd=box, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                assert response.status == 200
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log.close()
                raise RuntimeError("server did not start:\n" + (box / "server.log").read_text())
            time.sleep(0.3)
    yield base
    server.terminate()
    server.wait(timeout=20)
    log.close()


def test_installed_wheels_serve_a_working_htmx_front_end(browser, installed_server):
    context = browser.new_context(base_url=installed_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page.goto("/login")
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(installed_server + "/")
        page.wait_for_load_state("load")  # the URL changes at commit, before the deferred scripts have run
        assert page.evaluate("typeof window.htmx") == "object"
        stylesheet = context.request.get("/static/theme/theme.css")
        assert stylesheet.status == 200 and stylesheet.headers["content-type"].startswith("text/css")

        page.goto("/patients")
        table = page.locator(".table-block")
        rows = table.locator("tbody tr")
        expect(rows.first).to_be_visible()
        before = rows.count()
        names = [rows.nth(i).locator("td").first.inner_text() for i in range(before)]
        surname = next(n.split(",")[0] for n in names if n.split(",")[0].isalpha())
        page.evaluate("window.notReloaded = true")
        table.get_by_role("searchbox").fill(surname)
        # htmx alone runs this search (the box is in no form): the table is swapped in place.
        expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(surname)))
        expect(rows.first).to_contain_text(surname)
        assert 0 < rows.count() <= before
        for text in rows.all_inner_texts():
            assert surname.lower() in text.lower()
        assert page.evaluate("window.notReloaded") is True

        page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims", exact=True).click()
        expect(page.locator("main h1")).to_contain_text("Claims")
        assert failed == []
    finally:
        context.close()

"""Load test: concurrent logged-in clients browse the main pages of a served instance.

    python benchmarks/load.py [--clients 50] [--duration 60] [--instance PATH] [--threads 16]

Starts ``medoffice serve`` on a free loopback port (never another address) against the given
instance, or a fresh one filled with the small demo data. Each client logs in through the
real login form (CSRF included) as its own user, then loops over the pages a person uses all
day: the navigation of its role, the Today queue, a patient search and patient pages, with
keep-alive connections like a browser. Prints throughput, p50/p95/p99 latency and errors,
and exits 1 when any request failed (anything but 200, or a session lost to the login page).
"""
from __future__ import annotations

import argparse
import http.client
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROLE = "office_manager"
USER_AGENT = "medoffice-load"
COOKIE = "medoffice_session"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
NAV_LINKS = re.compile(r'<nav class="sidenav".*?</nav>', re.S)
HREF = re.compile(r'href="(/[^"#?]*)"')
PATIENT_LINK = re.compile(r'href="(/patients/\d+)"')


def cli(instance: Path, *args: str, **kwargs) -> subprocess.CompletedProcess:
    """Run a medoffice command for the instance with this interpreter."""
    return subprocess.run([sys.executable, "-m", "medoffice.cli", "--instance", str(instance), *args],
                          capture_output=True, text=True, **kwargs)


def prepare_instance(instance: Path) -> None:
    """Initialize the instance and load the small demo data (or a few patients without ``demo``)."""
    if not (instance / "medoffice.toml").exists():
        result = cli(instance, "init")
        if result.returncode != 0:
            raise SystemExit(f"medoffice init failed: {result.stderr}")
    if "demo" in cli(instance, "--help").stdout:
        result = cli(instance, "demo", "--size", "small")
        if result.returncode != 0:
            raise SystemExit(f"medoffice demo failed: {result.stderr}")
    else:
        _add_patients(instance, 25)


def _add_patients(instance: Path, count: int) -> None:
    import datetime as dt

    from medoffice import create_app
    from medoffice.db import db, transaction
    from medoffice.models import Patient
    from medoffice.web.patients import next_account_number

    app = create_app(instance)
    with app.app_context():
        db.connect(reuse_if_open=True)
        with transaction():
            for i in range(count):
                Patient.create(account_number=next_account_number(), first_name=f"Load{i}", last_name="Patient",
                               date_of_birth=dt.date(1950 + i, 1 + i % 12, 1 + i % 28))
        db.close()
    db.obj.close_all()


def create_users(instance: Path, count: int) -> tuple[list[str], str]:
    """``count`` users with the load role and one fresh password; returns (usernames, password)."""
    from medoffice import create_app
    from medoffice.auth import create_user
    from medoffice.db import db

    password = "Load-" + secrets.token_urlsafe(18)
    stamp = int(time.time())
    names = [f"load{stamp}_{i}" for i in range(count)]
    app = create_app(instance)
    with app.app_context():
        db.connect(reuse_if_open=True)
        for name in names:
            create_user(name, f"Load Client {name[-2:]}", password, [ROLE])
        db.close()
    db.obj.close_all()
    return names, password


def free_port() -> int:
    """An unused loopback TCP port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(instance: Path, port: int, threads: int) -> subprocess.Popen:
    """``medoffice serve`` on loopback (without the scheduler), once it accepts connections."""
    process = subprocess.Popen(
        [sys.executable, "-m", "medoffice.cli", "--instance", str(instance), "serve", "--host", "127.0.0.1",
         "--port", str(port), "--threads", str(threads), "--no-scheduler"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def stop_server(process: subprocess.Popen) -> None:
    """Stop the server the way systemd does (SIGTERM; Windows: TerminateProcess)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Client:
    """One browser: a keep-alive connection, its session cookie and what it measured."""

    port: int
    cookie: str = ""
    latencies: list[tuple[str, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str, str]:
        """(status, Location header, body text); keeps the session cookie up to date."""
        headers = {"User-Agent": USER_AGENT}
        if self.cookie:
            headers["Cookie"] = self.cookie
        payload = None
        if body is not None:
            payload = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=payload, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", errors="replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                # The server closed an idle keep-alive connection: like a browser, send a GET
                # again once on a fresh connection (RFC 9112, section 9.3.1).
                if method != "GET" or attempt == 2:
                    raise
            except (OSError, http.client.HTTPException):
                self.connection.close()
                raise
        for header in response.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie(header)
            if COOKIE in jar:
                self.cookie = f"{COOKIE}={jar[COOKIE].value}"
        return response.status, response.headers.get("Location", ""), text

    def login(self, username: str, password: str) -> str:
        """Log in through the form; returns the dashboard's HTML."""
        status, _location, page = self.request("GET", "/login")
        token = CSRF.search(page)
        if status != 200 or token is None:
            raise RuntimeError(f"login page answered {status}")
        status, location, _ = self.request("POST", "/login", {"username": username, "password": password,
                                                              "csrf_token": token.group(1)})
        if status != 302 or "/login" in location:
            raise RuntimeError(f"login of {username} failed ({status})")
        status, _location, page = self.request("GET", urlsplit(location).path or "/")
        if status != 200:
            raise RuntimeError(f"first page after login answered {status}")
        return page

    def timed_get(self, path: str) -> str:
        """GET ``path`` (following the app's own redirects, as a browser does), recording the
        latency, or an error unless it ends in a 200 page other than the login form.
        """
        start = time.perf_counter()
        target = path
        try:
            for _hop in range(4):
                status, location, text = self.request("GET", target)
                if status not in (301, 302, 303, 307, 308) or not location:
                    break
                target = urlsplit(location)._replace(scheme="", netloc="").geturl()
        except (OSError, http.client.HTTPException) as exc:
            self.errors.append(f"{path}: {type(exc).__name__}: {exc}")
            return ""
        self.latencies.append((re.sub(r"/\d+", "/<id>", urlsplit(path).path), time.perf_counter() - start))
        if status != 200 or urlsplit(target).path == "/login":
            self.errors.append(f"{path}: {status} at {target}")
            return ""
        return text


def browse(client: Client, dashboard: str, stop_at: float, seed: int) -> None:
    """Loop over the client's pages until ``stop_at``: navigation, Today, search, patients."""
    rng = random.Random(seed)
    nav = NAV_LINKS.search(dashboard)
    pages = sorted(set(HREF.findall(nav.group(0)))) if nav else ["/"]
    patients = PATIENT_LINK.findall(client.timed_get("/patients")) or []
    while time.monotonic() < stop_at:
        for path in [*pages, "/today", f"/patients?{urlencode({'q': rng.choice('abcdeghlmnrst')})}"]:
            text = client.timed_get(path)
            if path.startswith("/patients?"):
                patients = PATIENT_LINK.findall(text) or patients
            if time.monotonic() >= stop_at:
                return
        if patients:
            client.timed_get(rng.choice(patients))


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    """(p50, p95, p99) in seconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def run(instance: Path, clients: int, duration: float, threads: int) -> int:
    """Serve, log every client in, browse for ``duration`` seconds, print the report; the exit status."""
    usernames, password = create_users(instance, clients)
    port = free_port()
    server = start_server(instance, port, threads)
    try:
        pool = [Client(port) for _ in range(clients)]
        dashboards = [c.login(name, password) for c, name in zip(pool, usernames)]
        print(f"{clients} clients logged in; browsing for {duration:.0f} s against 127.0.0.1:{port} "
              f"({threads} server threads)")
        started = time.monotonic()
        stop_at = started + duration
        workers = [threading.Thread(target=browse, args=(c, page, stop_at, i), daemon=True)
                   for i, (c, page) in enumerate(zip(pool, dashboards))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=duration + 60)
        elapsed = time.monotonic() - started
    finally:
        stop_server(server)
    by_page: dict[str, list[float]] = {}
    for client in pool:
        for page, seconds in client.latencies:
            by_page.setdefault(page, []).append(seconds)
    latencies = [s for samples in by_page.values() for s in samples]
    errors = [e for c in pool for e in c.errors]
    if any(w.is_alive() for w in workers):
        errors.append("a client was still waiting for an answer 60 s after the end")
    if len(latencies) < 2:
        print("no requests completed")
        return 1
    print(f"{'page':<32} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for page, samples in sorted(by_page.items(), key=lambda kv: -statistics.median(kv[1])):
        cuts = percentiles(samples) if len(samples) > 1 else (samples[0],) * 3
        print(f"{page:<32} {len(samples):>8} {cuts[0] * 1000:>8.1f} {cuts[1] * 1000:>8.1f}")
    p50, p95, p99 = percentiles(latencies)
    print(f"\nrequests    {len(latencies)} in {elapsed:.1f} s")
    print(f"throughput  {len(latencies) / elapsed:.1f} requests/s")
    print(f"latency     p50 {p50 * 1000:.1f} ms   p95 {p95 * 1000:.1f} ms   p99 {p99 * 1000:.1f} ms   "
          f"max {max(latencies) * 1000:.1f} ms")
    print(f"errors      {len(errors)}")
    for error in errors[:10]:
        print(f"  {error}")
    return 1 if errors else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of browsing (default 60).")
    parser.add_argument("--threads", type=int, default=16, help="Server worker threads (serve's default: 16).")
    parser.add_argument("--instance", type=Path,
                        help="An initialized instance to use (default: a fresh one with the small demo data).")
    args = parser.parse_args()
    if args.instance:
        sys.exit(run(args.instance.resolve(), args.clients, args.duration, args.threads))
    with tempfile.TemporaryDirectory(prefix="medoffice-load-") as folder:
        instance = Path(folder) / "instance"
        print(f"preparing a fresh instance in {instance}")
        prepare_instance(instance)
        status = run(instance, args.clients, args.duration, args.threads)
    sys.exit(status)


if __name__ == "__main__":
    main()

"""Page latency and throughput against a bare Flask route, measured in the same run.

Every navigation page, widget and the Today queue of every enabled plugin is measured, so
pages added by later plugins are covered without editing this file.

    python benchmarks/pages.py [--instance PATH] [--requests 200] [--seconds 10] [--clients 8]

Without --instance it first builds one in a temporary folder with the large demo data
(`medoffice init` + `medoffice demo --size large`: a minute or two). Prints, per page,
in-process p50/p95 (Flask test client) and the ratio of its p95 to two floors measured in
the same run: a bare Flask route, and core's bare route (a route that returns "ok" behind
core's whole request cycle: session, login, idle and lifetime checks, permission check). A
list page is expected within 3x of core's bare route; pages over it are marked. Then served
throughput (cheroot on loopback, keep-alive clients) against the bare Flask route served the
same way.

The health check page (/admin/doctor) is left out: it runs SQLite's full integrity check and
reads the whole audit chain on purpose, once, when an administrator asks.
"""
from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from urllib.parse import urlsplit

from cheroot import wsgi
from flask import Flask
from medoffice import create_app
from medoffice.testing import TEST_PASSWORD, create_test_user

USER_AGENT = "medoffice-benchmark"


def build_large_instance() -> str:
    """A fresh instance in a temporary folder with the large demo data, built through the CLI."""
    instance = tempfile.mkdtemp(prefix="medoffice-bench-")
    env = {**os.environ, "MEDOFFICE_ADMIN_PASSWORD": "Large-demo-benchmark-passphrase-9"}
    for args in (["init", "--admin-user", "admin"], ["demo", "--size", "large"]):
        subprocess.run([sys.executable, "-m", "medoffice.cli", "--instance", instance, *args],
                       env=env, check=True)
    return instance


def bare_app() -> Flask:
    """The floor: a Flask app with one route that returns a short string."""
    app = Flask("floor")
    app.add_url_rule("/", "floor", lambda: "ok")
    return app


SKIPPED = {"/admin/doctor"}
CORE_FLOOR_URL = "/_benchmark/core-floor"
BENCHMARK_USER = "benchmark"
LIST_PAGE_LIMIT = 3.0


def add_core_floor_route(app) -> None:
    """Core's bare route: "ok" behind the whole request cycle (login, session checks, permission)."""
    from medoffice.access import requires

    @requires("core.dashboard.view")
    def core_floor():
        return "ok"

    app.add_url_rule(CORE_FLOOR_URL, "benchmark_core_floor", core_floor)


def serving_app(instance: str):
    """The app as `medoffice serve` runs it (startup objects frozen out of garbage collection), plus
    core's bare route. CSRF is off so the benchmark user can log in with a plain POST."""
    from medoffice.app import freeze_startup_objects

    app = create_app(instance, WTF_CSRF_ENABLED=False)
    add_core_floor_route(app)
    freeze_startup_objects()
    return app


def benchmark_user(app) -> str:
    """The admin the benchmarks log in as: created on the first run, reused after, so repeated runs
    do not fill the instance with users (every user is a row in user lists and pickers)."""
    from medoffice.db import db
    from medoffice.models import User

    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            exists = User.select().where(User.username == BENCHMARK_USER).exists()
        finally:
            db.close()
    return BENCHMARK_USER if exists else create_test_user(app, ("admin",), BENCHMARK_USER)


def page_urls(app) -> list[str]:
    """GET URLs of every nav item and widget of the enabled plugins, plus the Today queue."""
    host = app.extensions["medoffice"].host
    with app.test_request_context():
        from flask import url_for

        urls = {url_for(i.endpoint) for i in host.call("medoffice_nav_items")}
        urls |= {url_for(w.endpoint) for w in host.call("medoffice_widgets")}
        urls.add(url_for("core.today_queue"))
    return sorted(urls - SKIPPED)


def percentile(samples: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1)]


def resolve(client, url: str) -> str:
    """The URL a page settles on (list pages may redirect to their default sort)."""
    for _ in range(3):
        response = client.get(url)
        if response.status_code not in (301, 302, 303):
            return url
        url = response.headers["Location"]
    return url


def time_requests(client, url: str, n: int) -> list[float]:
    """Seconds per request for n GETs of url (after two warm-up requests)."""
    for _ in range(2):
        client.get(url)
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return samples


def serve(app, port: int) -> wsgi.Server:
    """Serve app with cheroot on loopback in a background thread."""
    server = wsgi.Server(("127.0.0.1", port), app, numthreads=16)
    server.prepare()
    threading.Thread(target=server.serve, daemon=True).start()
    return server


def throughput(port: int, path: str, cookie: str, seconds: float, clients: int) -> tuple[float, int]:
    """Requests per second and error count with keep-alive clients hammering path."""
    stop = time.monotonic() + seconds
    counts, errors = [0] * clients, [0] * clients

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            headers = {"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})}
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status == 200:
                counts[i] += 1
            else:
                errors[i] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds, sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", help="an instance with demo data (default: build one, large)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    app = serving_app(args.instance or build_large_instance())  # only GET pages are measured
    username = benchmark_user(app)
    client = app.test_client()
    client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    floor_client = bare_app().test_client()

    floor = time_requests(floor_client, "/", args.requests)
    floor_p95 = percentile(floor, 95)
    print(f"in-process floor (bare Flask route): p50 {statistics.median(floor)*1000:.2f} ms, "
          f"p95 {floor_p95*1000:.2f} ms")
    health = time_requests(client, "/healthz", args.requests)
    print(f"public health check (/healthz, no session): p50 {statistics.median(health)*1000:.2f} ms, "
          f"p95 {percentile(health, 95)*1000:.2f} ms")
    core_floor = time_requests(client, CORE_FLOOR_URL, args.requests)
    core_p95 = percentile(core_floor, 95)
    print(f"core's bare route (logged in, permission checked, returns ok): "
          f"p50 {statistics.median(core_floor)*1000:.2f} ms, p95 {core_p95*1000:.2f} ms")
    print(f"{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'p95/flask':>10} {'p95/core':>9}")
    urls = [resolve(client, url) for url in page_urls(app)]
    over = []
    for url in urls:
        samples = time_requests(client, url, args.requests)
        p95 = percentile(samples, 95)
        mark = "" if p95 / core_p95 <= LIST_PAGE_LIMIT else f"  over {LIST_PAGE_LIMIT:g}x"
        if mark:
            over.append(url)
        print(f"{url:<46} {statistics.median(samples)*1000:>8.2f} {p95*1000:>8.2f} "
              f"{p95/floor_p95:>10.1f} {p95/core_p95:>9.1f}{mark}")
    print(f"\n{len(urls) - len(over)} of {len(urls)} pages within {LIST_PAGE_LIMIT:g}x core's bare route"
          + (f"; over: {', '.join(over)}" if over else ""))

    floor_server = serve(bare_app(), 18431)
    app_server = serve(app, 18432)
    try:
        session_cookie = _login_cookie(app, username)
        floor_rps, _ = throughput(18431, "/", "", args.seconds, args.clients)
        print(f"\nserved floor: {floor_rps:.0f} req/s with {args.clients} clients")
        for url in urls:
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            rps, errors = throughput(18432, path, session_cookie, args.seconds, args.clients)
            print(f"{url:<40} {rps:>8.0f} req/s  ratio to floor {floor_rps / max(rps, 0.001):>6.1f}x"
                  f"  errors {errors}")
    finally:
        floor_server.stop()
        app_server.stop()


def _login_cookie(app, username: str) -> str:
    """A session cookie for username, obtained by logging in through the test client."""
    client = app.test_client()
    # Flask-Login's strong session protection ties the session to the client's user agent.
    client.post("/login", data={"username": username, "password": TEST_PASSWORD},
                headers={"User-Agent": USER_AGENT})
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}" if cookie else ""


if __name__ == "__main__":
    main()

"""Page latency and throughput against floors measured in the same run (issue 11, goals 1, 2, 3 and 6).

    python benchmarks/pages.py [--instance PATH] [--database-url URL] [--requests 200] [--rounds 10]
                               [--seconds 4] [--clients 16] [--workers N] [--figures FILE] [--skip-served]
                               [--pages PREFIX ...]

Every navigation page, widget and the Today queue of every enabled plugin is measured, so pages
added by later plugins are covered without editing this file. Three floors, measured in the same
run and interleaved with the pages (each round times every floor and every page a few times, so
the machine's drift falls on all of them alike):

- a bare Flask route returning "ok";
- core's bare route: "ok" behind core's whole request cycle (session, login, idle and lifetime
  checks, permission check). Goal 1: its p95 within 3x the bare Flask route's;
- the reference list page (``reference.py``): a bare Flask app reading 50 patients and their count
  with the database driver and rendering them in a simple layout. Goal 2: every page's p95 (its
  read audit included) within 3x the reference's.

In-process timings use the Flask test client, p50 and p95. Then, unless ``--skip-served``, every
page and the reference page are served as ``medoffice serve`` serves them (``--workers`` processes
sharing a socket, 16 threads each: ``served.py``) and loaded by ``--clients`` keep-alive clients in
turn: each page's ``--seconds`` in ``--slices`` short runs, a run of the reference after each (the
machine's speed drifts over seconds on a shared box; short turns put the same drift on both), each run
counted after a second of warm-up (``served.WARMUP_SECONDS``). Goal 3:
each page's throughput at least 40% of the reference's (each run against the mean of the reference runs
just before and after it), with no error.

With ``--database-url`` (or an instance configured for PostgreSQL) the same figures are goal 6.
Without ``--instance`` it first builds one with the large demo data (a minute or two); to reuse one:

    .venv/bin/medoffice --instance /tmp/bench init --admin-user admin
    .venv/bin/medoffice --instance /tmp/bench demo --size large
    .venv/bin/python benchmarks/pages.py --instance /tmp/bench

The health check page (/admin/doctor) is left out: it runs SQLite's full integrity check and
reads the whole audit chain on purpose, once, when an administrator asks.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import figures
from flask import Flask
from medoffice import create_app
from medoffice.testing import TEST_PASSWORD, create_test_user
from reference import reference_app

USER_AGENT = "medoffice-benchmark"
SKIPPED = {"/admin/doctor"}
CORE_FLOOR_URL = "/_benchmark/core-floor"
BENCHMARK_USER = "benchmark"
FLOOR_LIMIT = 3.0  # goal 1: core's bare route within 3x a bare Flask route
PAGE_LIMIT = 3.0  # goal 2: every page within 3x the reference list page
SERVED_SHARE = 0.40  # goal 3: every page served at 40% of the reference's throughput or more


def build_large_instance() -> str:
    """A fresh instance in a temporary folder with the large demo data, built through the CLI."""
    instance = tempfile.mkdtemp(prefix="medoffice-bench-")
    env = {**os.environ, "MEDOFFICE_ADMIN_PASSWORD": "Large-demo-benchmark-passphrase-9"}
    for args in (["init", "--admin-user", "admin"], ["demo", "--size", "large"]):
        subprocess.run([sys.executable, "-m", "medoffice.cli", "--instance", instance, *args],
                       env=env, check=True)
    return instance


def bare_app() -> Flask:
    """The first floor: a Flask app with one route that returns a short string."""
    app = Flask("floor")
    app.add_url_rule("/", "floor", lambda: "ok")
    return app


def add_core_floor_route(app) -> None:
    """Core's bare route: "ok" behind the whole request cycle (login, session checks, permission)."""
    from medoffice.auth import requires

    @requires("core.dashboard.view")
    def core_floor():
        return "ok"

    app.add_url_rule(CORE_FLOOR_URL, "benchmark_core_floor", core_floor)


def serving_app(instance: str, database_url: str | None = None):
    """The app as `medoffice serve` runs it (plugins preloaded, startup objects frozen out of garbage
    collection), plus core's bare route. CSRF is off so the benchmark user can log in with a plain POST."""
    from medoffice.app import freeze_startup_objects, preload_plugins

    extra = {"DATABASE_URL": database_url} if database_url else {}
    app = create_app(instance, WTF_CSRF_ENABLED=False, **extra)
    add_core_floor_route(app)
    preload_plugins(app)
    freeze_startup_objects()
    return app


def database_of(app) -> str:
    """The app's database as the reference page opens it: a PostgreSQL URL or the SQLite file."""
    return app.config.get("DATABASE_URL") or str(Path(app.instance_path) / "medoffice.sqlite3")


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
    """Seconds per request for n GETs of url."""
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return samples


def interleaved(targets: list[tuple[str, object, str]], requests: int, rounds: int) -> dict[str, list[float]]:
    """Samples per target label: ``requests`` each, taken in ``rounds`` rounds that visit every target in turn
    (after two warm-up requests each)."""
    samples: dict[str, list[float]] = {label: [] for label, _client, _url in targets}
    for _label, client, url in targets:
        time_requests(client, url, 2)
    per = max(1, requests // rounds)
    for _ in range(rounds):
        for label, client, url in targets:
            samples[label].extend(time_requests(client, url, per))
    return samples


def ms(samples: list[float]) -> str:
    """p50 and p95 in milliseconds."""
    return f"p50 {statistics.median(samples) * 1000:.2f} ms, p95 {percentile(samples, 95) * 1000:.2f} ms"


def login_cookie(app, username: str) -> str:
    """A session cookie for username, obtained by logging in through the test client."""
    client = app.test_client()
    client.post("/login", data={"username": username, "password": TEST_PASSWORD},
                headers={"User-Agent": USER_AGENT})
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return f"{cookie.key}={cookie.value}" if cookie else ""


def goal(number: str, postgres: bool) -> tuple[str, str]:
    """The goal a figure counts for, and the prefix of its name (PostgreSQL's figures are goal 6)."""
    return ("6", "PostgreSQL: ") if postgres else (number, "")


def in_process(app, ref, username: str, urls: list[str], args, postgres: bool) -> list[figures.Figure]:
    """Goals 1 and 2: the floors and every page, interleaved, in-process."""
    client = app.test_client()
    client.post("/login", data={"username": username, "password": TEST_PASSWORD})
    targets = [("bare Flask route", bare_app().test_client(), "/"), ("core's bare route", client, CORE_FLOOR_URL),
               ("reference list page", ref.test_client(), "/")] + [(url, client, url) for url in urls]
    samples = interleaved(targets, args.requests, args.rounds)
    flask_p95 = percentile(samples["bare Flask route"], 95)
    core_p95 = percentile(samples["core's bare route"], 95)
    ref_p95 = percentile(samples["reference list page"], 95)
    for label in ("bare Flask route", "core's bare route", "reference list page"):
        print(f"{label}: {ms(samples[label])}")
    number, prefix = goal("1", postgres)
    core_ms = ms(samples["core's bare route"])
    found = [figures.Figure(number, f"{prefix}core's bare route / bare Flask route (p95)", core_p95 / flask_p95,
                            FLOOR_LIMIT, f"core {core_ms}")]
    print(f"\n{'page':<46} {'p50 ms':>8} {'p95 ms':>8} {'p95/flask':>10} {'p95/core':>9} {'p95/ref':>8}")
    number, prefix = goal("2", postgres)
    for url in urls:
        p95 = percentile(samples[url], 95)
        found.append(figures.Figure(number, f"{prefix}{url} / reference page (p95)", p95 / ref_p95, PAGE_LIMIT,
                                    ms(samples[url])))
        mark = "  OVER" if p95 / ref_p95 > PAGE_LIMIT else ""
        print(f"{url:<46} {statistics.median(samples[url]) * 1000:>8.2f} {p95 * 1000:>8.2f} "
              f"{p95 / flask_p95:>10.1f} {p95 / core_p95:>9.1f} {p95 / ref_p95:>8.1f}{mark}")
    return found


def served_figures(app, ref, username: str, urls: list[str], args, postgres: bool) -> list[figures.Figure]:
    """Goal 3: each page served against the reference page served the same way, in turn."""
    from medoffice.db import db
    from served import serve, throughput

    cookie = login_cookie(app, username)
    connections = ref.extensions["reference_connections"]

    def before_fork() -> None:
        db.obj.close_all()
        connections.close_all()

    app_server = serve(app, args.workers, args.threads, before_fork)
    ref_server = serve(ref, args.workers, args.threads, before_fork)
    number, prefix = goal("3", postgres)
    found = []
    run = args.seconds / args.slices

    def reference_run() -> float:
        rps, errors = throughput(ref_server.port, "/", "", run, args.clients)
        if errors:
            raise SystemExit(f"the reference page answered {errors} errors")
        return rps

    try:
        print(f"\nserved: {args.workers} worker processes x {args.threads} threads, {args.clients} keep-alive clients, "
              f"{args.seconds:g} s per page in {args.slices} runs, each followed by one of the reference")
        print(f"{'page':<46} {'req/s':>8} {'reference':>10} {'share':>6} {'errors':>7}")
        before = reference_run()
        for url in urls:
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            pages, references, errors = [], [before], 0
            for _ in range(args.slices):  # short runs in turn with the reference: the machine's drift falls on both
                rps, failed = throughput(app_server.port, path, cookie, run, args.clients)
                pages.append(rps)
                errors += failed
                references.append(reference_run())
            rps = statistics.mean(pages)
            # each page run against the mean of the reference runs just before and after it
            reference = statistics.mean((a + b) / 2 for a, b in zip(references, references[1:]))
            share = 0.0 if errors else rps / reference
            found.append(figures.Figure(number, f"{prefix}{url} served / reference served", share, SERVED_SHARE,
                                        f"{rps:.0f} req/s vs {reference:.0f}, {errors} errors", at_least=True))
            print(f"{url:<46} {rps:>8.0f} {reference:>10.0f} {rps / reference:>6.0%} {errors:>7}"
                  + ("  UNDER" if share < SERVED_SHARE else ""))
            before = references[-1]
    finally:
        app_server.stop()
        ref_server.stop()
    return found


def main() -> None:
    from medoffice.serve_workers import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instance", help="an instance with demo data (default: build one, large)")
    parser.add_argument("--database-url", help="postgresql://... holding the instance's data (goal 6)")
    parser.add_argument("--requests", type=int, default=200, help="in-process requests per page and floor")
    parser.add_argument("--rounds", type=int, default=10, help="rounds the in-process requests are spread over")
    parser.add_argument("--seconds", type=float, default=4.0, help="seconds each page is served")
    parser.add_argument("--slices", type=int, default=2,
                        help="runs each page's seconds are split into, each followed by a run of the reference")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=16, help="threads per worker (as `medoffice serve`)")
    parser.add_argument("--skip-served", action="store_true", help="in-process timings only")
    parser.add_argument("--pages", nargs="+", metavar="PREFIX",
                        help="measure only the pages whose URL starts with one of these (e.g. /hr /marketing)")
    parser.add_argument("--figures", help="append the goals' figures to this JSON lines file (make bench)")
    args = parser.parse_args()

    app = serving_app(args.instance or build_large_instance(), args.database_url)  # only GET pages are measured
    database = database_of(app)
    postgres = not database.endswith(".sqlite3")
    ref = reference_app(database)
    username = benchmark_user(app)
    login = app.test_client()
    login.post("/login", data={"username": username, "password": TEST_PASSWORD})
    urls = [resolve(login, url) for url in page_urls(app) if not args.pages or url.startswith(tuple(args.pages))]
    print(f"{'PostgreSQL' if postgres else 'SQLite'}: {len(urls)} pages, {args.requests} requests each in "
          f"{args.rounds} rounds; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    found = in_process(app, ref, username, urls, args, postgres)
    if not args.skip_served:
        found += served_figures(app, ref, username, urls, args, postgres)
    over = [f for f in found if f.over]
    print(f"\n{len(found) - len(over)} of {len(found)} figures within their goal"
          + (": over: " + "; ".join(f.name for f in over) if over else ""))
    if args.figures:
        figures.append(args.figures, *found)
    if over:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

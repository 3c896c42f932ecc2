"""``medoffice serve``: the web server (cheroot, which terminates TLS itself), with the scheduler
unless told otherwise.

It listens on 127.0.0.1 unless told otherwise. Any other address carries patient data over the
network, so it needs ``--tls`` (the practice's certificate, or a self-signed one made on first
use) or, explicitly, ``--insecure-http`` (every page then shows a warning banner).
"""
from __future__ import annotations

import os
import signal
import ssl
import threading
from pathlib import Path

import click

from .. import config, tls
from ..app import freeze_startup_objects, preload_plugins
from .context import build_app


def _tls_files(instance: Path, host: str, cert: str | None, key: str | None) -> tuple[Path, Path]:
    """The certificate and key to serve with: given, configured, or self-signed (made if needed)."""
    if cert:
        chosen = Path(cert), Path(key)
    elif configured := tls.configured_certificate(instance):
        chosen = configured
    else:
        cert_path, key_path, made = tls.ensure_self_signed(instance, host)
        if made:
            click.secho(f"Made a self-signed certificate {cert_path} (valid {tls.VALID_DAYS} days). "
                        "Browsers will warn once: check that the fingerprint below matches.", fg="yellow")
        chosen = cert_path, key_path
    try:
        tls.check_pair(*chosen)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    return chosen


def _ssl_adapter(cert: Path, key: Path):
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    adapter = BuiltinSSLAdapter(str(cert), str(key))
    adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
    return adapter


def _stop_on_sigterm() -> threading.Event:
    """An event SIGTERM (systemd, ``kill``, the supervisor) sets."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    return stop


def _serve_until_stopped(server) -> None:
    """Serve in a thread until Ctrl+C or SIGTERM (systemd, ``kill``), then stop cleanly.

    The main thread only waits: a signal handler that raised inside cheroot's start-up could
    leave its worker threads running and the process hanging.
    """
    stop = _stop_on_sigterm()
    server.prepare()
    thread = threading.Thread(target=server.serve, name="medoffice-http", daemon=True)
    thread.start()
    try:
        while thread.is_alive() and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        thread.join(timeout=10)


def _anchor_at_shutdown(app) -> None:
    """Anchor the audit chain as the server stops, so its last entries are covered too."""
    from .. import audit_anchor
    from ..db import db

    with app.app_context():
        try:
            db.connect(reuse_if_open=True)
            audit_anchor.write_anchor(app.extensions["medoffice"].instance, "shutdown")
        except Exception as exc:  # stopping goes on; doctor and `audit verify` tell what is wrong
            click.secho(f"The audit trail was not anchored at shutdown: {exc}", fg="yellow", err=True)
        finally:
            if not db.is_closed():
                db.close()


def register(main: click.Group) -> None:
    """Add the serve command."""

    @main.command()
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to listen on; anything but loopback needs --tls or --insecure-http.")
    @click.option("--port", default=8400, show_default=True, type=int)
    @click.option("--threads", default=16, show_default=True, type=int, help="Request threads per worker process.")
    @click.option("--workers", type=click.IntRange(min=1), default=None,
                  help="Worker processes sharing the address [default: one per core; Windows: 1].")
    @click.option("--no-scheduler", is_flag=True, help="Do not run scheduled jobs in this process.")
    @click.option("--tls", "use_tls", is_flag=True,
                  help="Serve HTTPS: tls_cert/tls_key from medoffice.toml, else a self-signed certificate.")
    @click.option("--cert", type=click.Path(dir_okay=False), help="The practice's certificate (PEM; implies --tls).")
    @click.option("--key", type=click.Path(dir_okay=False), help="The private key of --cert (PEM).")
    @click.option("--insecure-http", is_flag=True,
                  help="Serve plain HTTP on a network address anyway (every page shows a warning).")
    @click.pass_context
    def serve(ctx, host, port, threads, workers, no_scheduler, use_tls, cert, key, insecure_http):
        """Serve medoffice to the office's browsers."""
        from cheroot import wsgi

        from ..backup import serving

        if bool(cert) != bool(key):
            raise click.UsageError("--cert and --key go together")
        use_tls = use_tls or bool(cert)
        if use_tls and insecure_http:
            raise click.UsageError("choose --tls or --insecure-http, not both")
        if not tls.is_loopback(host) and not use_tls and not insecure_http:
            raise click.ClickException(
                f"serving on {host} makes medoffice reachable from the network, so it needs encryption: "
                "add --tls (uses your certificate, or makes a self-signed one), or --insecure-http to "
                "send patient data unencrypted anyway")
        app = build_app(ctx, TLS=use_tls, SESSION_COOKIE_SECURE=use_tls, REMEMBER_COOKIE_SECURE=use_tls,
                        INSECURE_HTTP=insecure_http)
        preload_plugins(app)
        instance = config.instance_path(ctx.find_root().obj.get("instance"))
        workers = _worker_count(workers)
        scheme, adapter = "http", None
        if use_tls:
            cert_path, key_path = _tls_files(instance, host, cert, key)
            scheme = "https"
            click.echo(f"Certificate {cert_path}\n  SHA-256 fingerprint {tls.fingerprint(cert_path)}")
            adapter = lambda: _ssl_adapter(cert_path, key_path)  # noqa: E731  (made in each worker)
        elif insecure_http:
            click.secho("WARNING: serving without encryption (--insecure-http): patient data and passwords "
                        "cross the network in the clear.", fg="red", err=True)
        shown = f"[{host}]" if ":" in host else host
        if workers > 1:
            _serve_workers(app, instance, host, port, threads, workers, adapter, not no_scheduler,
                           f"{scheme}://{shown}:{port}/")
            return
        server = wsgi.Server((host, port), app, numthreads=threads, server_name="medoffice")
        if adapter is not None:
            server.ssl_adapter = adapter()
        scheduler = None
        if not no_scheduler:
            from ..scheduler import start_scheduler

            scheduler = start_scheduler(app)
        freeze_startup_objects()
        click.echo(f"medoffice is serving at {scheme}://{shown}:{port}/  (Ctrl+C to stop)", color=False)
        try:
            with serving(instance):
                _serve_until_stopped(server)
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            _anchor_at_shutdown(app)


def _worker_count(asked: int | None) -> int:
    """The worker processes to run: as asked, else one per core; one on Windows (no fork there)."""
    from ..serve_workers import default_workers

    if asked is not None and asked > 1 and os.name == "nt":
        click.secho("Windows serves from one process (threads only): --workers is ignored.", fg="yellow", err=True)
        return 1
    return asked or default_workers()


def _serve_workers(app, instance: Path, host: str, port: int, threads: int, workers: int, adapter, scheduler: bool,
                   url: str) -> None:
    """Serve from ``workers`` forked processes sharing one listening socket, with the scheduler in a child of
    its own (``medoffice.serve_workers``); return once all of them stopped."""
    from ..backup import serving
    from ..db import db
    from ..serve_workers import SharedSocketServer, Supervisor, listening_socket, run_standby_scheduler

    # No database connection may cross a fork: each child opens its own.
    db.obj.close_all()
    freeze_startup_objects()

    def serve_one() -> None:
        server = SharedSocketServer(sock, app, numthreads=threads, server_name="medoffice")
        if adapter is not None:
            server.ssl_adapter = adapter()
        _serve_until_stopped(server)

    def schedule() -> None:
        run_standby_scheduler(app, _stop_on_sigterm().wait)

    try:
        with serving(instance):  # marked before the address answers, as the single process does
            try:
                sock = listening_socket(host, port)
            except OSError as exc:
                raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
            click.echo(f"medoffice is serving at {url}  ({workers} worker processes; Ctrl+C to stop)", color=False)
            try:
                Supervisor(workers, serve_one, schedule if scheduler else None).run()
            finally:
                sock.close()
    finally:
        _anchor_at_shutdown(app)

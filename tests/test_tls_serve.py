"""``medoffice serve``: loopback by default, TLS for the network, explicit --insecure-http."""
from __future__ import annotations

import datetime as dt
import http.client
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from medoffice import config, tls
from medoffice.cli import main

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def instance(tmp_path):
    """A fresh SQLite instance (serving is the same on either engine)."""
    path = tmp_path / "instance"
    config.write_new(path)
    return path


class Server:
    """``medoffice serve`` in a subprocess, stopped (SIGTERM) when the test ends."""

    def __init__(self, instance: Path, *args: str):
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k != "MEDOFFICE_DATABASE_URL"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "medoffice.cli", "--instance", str(instance), "serve", "--port", str(self.port),
             "--no-scheduler", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def wait_until_listening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited: {self.process.communicate()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not start listening")

    def stop(self) -> tuple[str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.communicate(timeout=30)


@pytest.fixture
def serve(instance):
    started = []

    def start(*args: str, at: Path | None = None) -> Server:
        server = Server(at or instance, *args)
        started.append(server)
        server.wait_until_listening()
        return server

    yield start
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()


def _https_get(port: int, path: str, cafile: Path, host: str = "localhost"):
    context = ssl.create_default_context(cafile=str(cafile))
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_tls_with_a_generated_certificate(instance, serve):
    server = serve("--tls")
    cert, key = instance / "tls" / "cert.pem", instance / "tls" / "key.pem"
    response, body = _https_get(server.port, "/healthz", cert)
    assert response.status == 200 and b'"ok"' in body
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=")
    for address in ("localhost", "127.0.0.1"):  # the certificate names both; verification is strict
        assert _https_get(server.port, "/healthz", cert, host=address)[0].status == 200
    login, _ = _https_get(server.port, "/login", cert)
    cookie = login.getheader("Set-Cookie", "")
    assert "medoffice_session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    untrusting = http.client.HTTPSConnection("localhost", server.port, context=ssl.create_default_context(),
                                             timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):  # self-signed: only trusted once accepted
        untrusting.request("GET", "/healthz")
    if os.name == "posix":
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    certificate = tls.load_certificate(cert)
    days = (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days
    assert days == tls.VALID_DAYS
    out, _err = server.stop()
    assert server.process.returncode == 0
    assert tls.fingerprint(cert) in out and "Made a self-signed certificate" in out


def test_generated_certificate_is_reused_and_names_the_lan_address(instance, serve):
    first = serve("--tls")
    first.stop()
    fingerprint = tls.fingerprint(instance / "tls" / "cert.pem")
    second = serve("--tls")
    out, _ = second.stop()
    assert tls.fingerprint(instance / "tls" / "cert.pem") == fingerprint
    assert "Made a self-signed certificate" not in out and fingerprint in out
    dns, addresses = tls.subject_names("192.168.50.7")
    assert "192.168.50.7" in addresses and "127.0.0.1" in addresses and "localhost" in dns
    cert, _key, made = tls.ensure_self_signed(instance, "192.168.50.7")
    assert made and tls.fingerprint(cert) != fingerprint  # a new address needs a certificate naming it


def test_practice_certificate_and_mismatched_key(instance, serve, tmp_path):
    practice = tmp_path / "practice"
    tls.generate_self_signed(practice / "office.crt", practice / "office.key", "127.0.0.1")
    server = serve("--cert", str(practice / "office.crt"), "--key", str(practice / "office.key"))
    response, _ = _https_get(server.port, "/healthz", practice / "office.crt", host="127.0.0.1")
    assert response.status == 200 and response.getheader("Strict-Transport-Security")
    server.stop()
    assert not (instance / "tls").exists()  # nothing generated when the practice brings one

    other = tmp_path / "other"
    tls.generate_self_signed(other / "a.crt", other / "a.key", "127.0.0.1")
    result = CliRunner().invoke(main, ["--instance", str(instance), "serve", "--no-scheduler",
                                       "--cert", str(practice / "office.crt"), "--key", str(other / "a.key")])
    assert result.exit_code == 1 and "cannot be used together" in result.output
    half = CliRunner().invoke(main, ["--instance", str(instance), "serve", "--cert", str(practice / "office.crt")])
    assert half.exit_code == 2 and "--cert and --key go together" in half.output


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_network_address_without_tls_is_refused(instance, host):
    result = CliRunner().invoke(main, ["--instance", str(instance), "serve", "--host", host, "--no-scheduler"])
    assert result.exit_code == 1
    assert "--tls" in result.output and "--insecure-http" in result.output
    both = CliRunner().invoke(main, ["--instance", str(instance), "serve", "--host", host, "--tls", "--insecure-http"])
    assert both.exit_code == 2 and "not both" in both.output


def test_loopback_is_the_default_and_plain(instance, serve):
    server = serve()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/login")
    response = connection.getresponse()
    page = response.read().decode()
    assert response.status == 200
    assert response.getheader("Strict-Transport-Security") is None
    assert "without encryption" not in page
    out, _ = server.stop()
    assert f"http://127.0.0.1:{server.port}/" in out


def test_insecure_http_warns_on_every_page(instance, serve):
    server = serve("--insecure-http")
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/login")
    response = connection.getresponse()
    assert "running without encryption (--insecure-http)" in response.read().decode()
    _out, err = server.stop()
    assert "WARNING: serving without encryption" in err


def test_insecure_banner_on_pages_of_a_logged_in_user(make_app):
    from medoffice.testing import login

    app = make_app(INSECURE_HTTP=True)
    client = login(app.test_client())
    for path in ("/", "/patients", "/patients/new"):
        assert "running without encryption" in client.get(path).get_data(as_text=True), path


def test_stopped_server_releases_the_restore_lock(instance, serve):
    from medoffice.backup import running_servers

    server = serve()
    assert running_servers(instance) == 1
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 20
    assert running_servers(instance) == 0


def test_doctor_reports_certificate_expiry(instance):
    assert tls.certificate_check(instance).status == "ok"  # none in use yet
    cert, _key, _made = tls.ensure_self_signed(instance, "127.0.0.1")
    assert tls.certificate_check(instance).status == "ok"
    expires = tls.load_certificate(cert).not_valid_after_utc
    soon = tls.certificate_check(instance, now=expires - dt.timedelta(days=10))
    assert soon.status == "warn" and "expires in 10 days" in soon.message
    assert tls.certificate_check(instance, now=expires + dt.timedelta(days=2)).status == "fail"

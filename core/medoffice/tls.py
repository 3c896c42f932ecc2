"""TLS for ``medoffice serve``: the practice's certificate, or a self-signed one made on first use.

The self-signed certificate lives in ``<instance>/tls/`` (``cert.pem``; ``key.pem`` readable by
the owner only), names this computer, ``localhost`` and the address served on, and is valid for
825 days (the longest browsers accept). Browsers warn about it once; staff compare the
SHA-256 fingerprint printed at start-up with the one in the browser's certificate viewer.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from . import config
from .contributions import CheckResult
from .filemodes import create_private_file, private_dir

VALID_DAYS = 825
RENEW_BEFORE_DAYS = 30
WILDCARD_HOSTS = {"0.0.0.0", "::", ""}


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable from this computer only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _primary_address() -> str | None:
    """The LAN address other computers reach this one at (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only selects the outgoing interface
        return probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()


def subject_names(host: str) -> tuple[list[str], list[str]]:
    """(DNS names, IP addresses) the certificate must cover when serving on ``host``."""
    names = {"localhost", socket.gethostname()}
    fqdn = socket.getfqdn()
    if fqdn and "." in fqdn:
        names.add(fqdn)
    addresses = {"127.0.0.1", "::1"}
    if host in WILDCARD_HOSTS:
        lan = _primary_address()
        if lan:
            addresses.add(lan)
    else:
        try:
            addresses.add(str(ipaddress.ip_address(host)))
        except ValueError:
            names.add(host)
    return sorted(n for n in names if n), sorted(addresses)


def generate_self_signed(cert_path: Path, key_path: Path, host: str) -> None:
    """Write a new ECDSA P-256 key and a self-signed server certificate for ``host``."""
    dns_names, addresses = subject_names(host)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, dns_names[0] if host in WILDCARD_HOSTS else host),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "medoffice (self-signed)"),
    ])
    now = dt.datetime.now(dt.timezone.utc)
    san = [x509.DNSName(n) for n in dns_names] + [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(san), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    private_dir(cert_path.parent)
    key_bytes = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key_bytes)
    os.chmod(key_path, 0o600)  # also when the file existed with looser permissions
    create_private_file(cert_path)  # like every file in the instance; its owner copies it to the desks
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def load_certificate(cert_path: Path) -> x509.Certificate:
    """The first certificate in a PEM file."""
    return x509.load_pem_x509_certificate(Path(cert_path).read_bytes())


def fingerprint(cert_path: Path) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it (AA:BB:...)."""
    return load_certificate(cert_path).fingerprint(hashes.SHA256()).hex(":").upper()


def _covers(cert: x509.Certificate, host: str) -> bool:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    if host in WILDCARD_HOSTS:
        lan = _primary_address()
        return lan is None or ipaddress.ip_address(lan) in san.get_values_for_type(x509.IPAddress)
    try:
        return ipaddress.ip_address(host) in san.get_values_for_type(x509.IPAddress)
    except ValueError:
        return host in san.get_values_for_type(x509.DNSName)


def self_signed_paths(instance: Path) -> tuple[Path, Path]:
    """Where the generated certificate and key live in an instance."""
    return instance / "tls" / "cert.pem", instance / "tls" / "key.pem"


def ensure_self_signed(instance: Path, host: str) -> tuple[Path, Path, bool]:
    """The instance's self-signed certificate for ``host``, made (or remade) when missing,
    expiring within 30 days, or not naming ``host``. Returns (cert, key, newly made).
    """
    cert_path, key_path = self_signed_paths(instance)
    if cert_path.exists() and key_path.exists():
        cert = load_certificate(cert_path)
        remaining = cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc)
        if remaining > dt.timedelta(days=RENEW_BEFORE_DAYS) and _covers(cert, host):
            return cert_path, key_path, False
    generate_self_signed(cert_path, key_path, host)
    return cert_path, key_path, True


def configured_certificate(instance: Path) -> tuple[Path, Path] | None:
    """The practice's certificate named in medoffice.toml (``tls_cert``, ``tls_key``), if any."""
    cfg = config.load(instance)
    if cfg.get("tls_cert") and cfg.get("tls_key"):
        return Path(cfg["tls_cert"]).expanduser(), Path(cfg["tls_key"]).expanduser()
    return None


def check_pair(cert_path: Path, key_path: Path) -> None:
    """Raise ``ValueError`` with a clear message unless the files form a usable certificate and key."""
    for label, path in (("certificate", cert_path), ("key", key_path)):
        if not Path(path).is_file():
            raise ValueError(f"the TLS {label} file {path} does not exist")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(cert_path), str(key_path))
    except ssl.SSLError as exc:
        raise ValueError(f"the certificate {cert_path} and key {key_path} cannot be used together: "
                         f"{exc.reason or exc}") from None


def certificate_check(instance: Path, now: dt.datetime | None = None) -> CheckResult:
    """Doctor check: days until the serving certificate (configured or self-signed) expires."""
    name = "TLS certificate expiry"
    configured = configured_certificate(instance)
    cert_path = configured[0] if configured else self_signed_paths(instance)[0]
    if not cert_path.exists():
        if configured:
            return CheckResult(name, "fail", f"the configured certificate {cert_path} does not exist")
        return CheckResult(name, "ok", "no certificate in use (serving on this computer only, or "
                                       "`medoffice serve --tls` has not run yet)")
    days = (load_certificate(cert_path).not_valid_after_utc - (now or dt.datetime.now(dt.timezone.utc))).days
    if days < 0:
        return CheckResult(name, "fail", f"{cert_path} expired {-days} days ago")
    if days < RENEW_BEFORE_DAYS:
        hint = "" if configured else " (`medoffice serve --tls` makes a new one)"
        return CheckResult(name, "warn", f"{cert_path} expires in {days} days{hint}")
    return CheckResult(name, "ok", f"{cert_path.name} valid for {days} more days")

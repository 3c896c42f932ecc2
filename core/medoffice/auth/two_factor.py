"""Two-factor sign-in: a TOTP authenticator app (RFC 6238, ``pyotp``) per user, with ten single-use
recovery codes, required for administrators (setting ``core.two_factor_admins``) and for every
login from outside the office networks the practice declares (``core.office_networks``).

The TOTP secret is kept encrypted (AES-GCM, bound to the user's id) under a key derived from the
instance's ``backup_key``, like the backup archives and the audit chain's key, so the table alone
does not give the secrets away and a restore with the saved key keeps everyone's enrolment.
Recovery codes are kept as HMACs under another key derived the same way. A code is accepted
once: the time step of the last code used is stored and a code of that step or an earlier one
is refused, so a code seen over someone's shoulder cannot be replayed within its window.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import os
import re
import secrets

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app
from markupsafe import Markup

from .. import audit, settings
from ..db import transaction, utcnow
from ..models import RecoveryCode, User
from . import session_store
from .accounts import ADMIN

ADMINS_SETTING = "core.two_factor_admins"
NETWORKS_SETTING = "core.office_networks"
RECOVERY_CODES = 10
VALID_WINDOW = 1  # steps of 30 s accepted either side of now (clock drift of the phone)
TOTP = "totp"
RECOVERY = "recovery"
_RECOVERY_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l


class TwoFactorError(Exception):
    """A two-factor step was refused; the message says why, for the user."""


# --- keys ---------------------------------------------------------------------------------

def _derive(info: bytes) -> bytes:
    backup_key = current_app.config.get("BACKUP_KEY")
    if not backup_key:
        raise TwoFactorError("This instance has no backup_key in medoffice.toml; two-factor sign-in needs it.")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(backup_key.encode("utf-8"))


def _seal(user_id: int, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_derive(b"medoffice totp secret v1")).encrypt(nonce, secret.encode(), f"user:{user_id}".encode())
    return base64.b64encode(nonce + sealed).decode("ascii")


def _open(user_id: int, stored: str) -> str:
    raw = base64.b64decode(stored)
    try:
        return AESGCM(_derive(b"medoffice totp secret v1")).decrypt(raw[:12], raw[12:],
                                                                    f"user:{user_id}".encode()).decode()
    except InvalidTag:
        raise TwoFactorError("The stored two-factor secret cannot be read with this instance's key; "
                             "an administrator must reset this user's two-factor sign-in.") from None


def _code_hash(user_id: int, code: str) -> str:
    key = _derive(b"medoffice recovery codes v1")
    return hmac.new(key, f"{user_id}:{code}".encode(), hashlib.sha256).hexdigest()


# --- policy -------------------------------------------------------------------------------

def networks_problem(value) -> str | None:
    """Why ``value`` is not a list of networks (the setting's check), or None."""
    try:
        parse_networks(value)
    except ValueError as exc:
        return str(exc)
    return None


def parse_networks(text: str) -> list:
    """The networks in ``text`` (CIDR blocks or single addresses, separated by commas, spaces or lines).

    :raises ValueError: an entry that is not a network, naming it.
    """
    found = []
    for entry in re.split(r"[\s,;]+", text or ""):
        if not entry:
            continue
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not a network: write it as 192.168.1.0/24 or 10.0.0.5.") from None
    return found


def in_office(address: str) -> bool:
    """True when ``address`` is inside a declared office network, or when none is declared."""
    networks = parse_networks(settings.get(NETWORKS_SETTING, "") or "")
    if not networks:
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def enabled(user: User) -> bool:
    """True when the user signs in with a second factor."""
    return user.totp_confirmed_at is not None


def required_for_role(roles) -> bool:
    """True when the practice requires two-factor sign-in of someone holding ``roles``."""
    return ADMIN in roles and bool(settings.get(ADMINS_SETTING, False))


def login_step(user: User, address: str) -> str | None:
    """What the login needs after a right password: "code" (the user has two-factor sign-in),
    "refuse" (outside the office without it: it cannot be set up from there), or None."""
    if enabled(user):
        return "code"
    if not in_office(address):
        return "refuse"
    return None


def must_enrol(user, roles) -> bool:
    """True when a signed-in user has to set up two-factor sign-in before anything else."""
    return not enabled(user) and required_for_role(roles)


# --- enrolment ------------------------------------------------------------------------------

def begin(user: User) -> str:
    """A new secret for the user to scan (stored encrypted until a first code confirms it).

    :raises TwoFactorError: the user already has two-factor sign-in on.
    """
    if enabled(user):
        raise TwoFactorError("Two-factor sign-in is already on; turn it off first to set up another device.")
    secret = pyotp.random_base32()
    with transaction():
        User.update(totp_secret=_seal(user.id, secret), totp_last_step=0).where(User.id == user.id).execute()
    return secret


def pending_secret(user: User) -> str | None:
    """The secret being set up (not confirmed yet), or None."""
    if enabled(user) or not user.totp_secret:
        return None
    return _open(user.id, user.totp_secret)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    issuer = settings.get("core.practice_name", "medoffice") or "medoffice"
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=f"{issuer} (medoffice)")


def qr_svg(uri: str) -> Markup:
    """The URI as an inline SVG QR code, made on the server (no script, no style attribute)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def _matching_step(secret: str, code: str, after: int) -> int | None:
    """The time step within the window whose code is ``code``, later than ``after``; None if none."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user_id: int) -> list[str]:
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    RecoveryCode.delete().where(RecoveryCode.user == user_id).execute()
    now = utcnow()
    RecoveryCode.insert_many([{"user": user_id, "code_hash": _code_hash(user_id, c), "created_at": now}
                              for c in codes]).execute()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def confirm(user: User, code: str, keep_session: int | None = None) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; returns the recovery codes
    (shown once). The user's other sessions end: they were opened with the password alone.

    :raises TwoFactorError: nothing is being set up, or the code does not match.
    """
    secret = pending_secret(user)
    if secret is None:
        raise TwoFactorError("Start the set-up again: there is no new secret to confirm.")
    step = _matching_step(secret, _digits(code) or "", 0)
    if step is None:
        raise TwoFactorError("That code does not match. Check the phone's time and enter the code shown now.")
    with transaction():
        User.update(totp_confirmed_at=utcnow(), totp_last_step=step).where(User.id == user.id).execute()
        codes = _new_recovery_codes(user.id)
        audit.record("auth.2fa_enabled", "user", user.id)
        session_store.end_for_user(user.id, session_store.SECOND_FACTOR_CHANGE, keep=keep_session)
    return codes


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working); returns the new ones."""
    if not enabled(user):
        raise TwoFactorError("Two-factor sign-in is off.")
    with transaction():
        codes = _new_recovery_codes(user.id)
        audit.record("auth.2fa_recovery_codes", "user", user.id)
    return codes


def recovery_codes_left(user: User) -> int:
    """How many of the user's recovery codes are unused."""
    return RecoveryCode.select().where((RecoveryCode.user == user.id) & RecoveryCode.used_at.is_null()).count()


def turn_off(user: User, *, by_admin: bool = False, keep_session: int | None = None) -> None:
    """Remove the user's second factor (secret and recovery codes), audited. The user's sessions end
    (their other ones when they do it themselves, all of them when an administrator does)."""
    with transaction():
        User.update(totp_secret="", totp_confirmed_at=None, totp_last_step=0).where(User.id == user.id).execute()
        RecoveryCode.delete().where(RecoveryCode.user == user.id).execute()
        if by_admin:
            audit.record("user.2fa_reset", "user", user.id, detail={"username": user.username})
        else:
            audit.record("auth.2fa_disabled", "user", user.id)
        session_store.end_for_user(user.id, session_store.SECOND_FACTOR_CHANGE, keep=keep_session)


# --- sign-in --------------------------------------------------------------------------------

def _digits(code: str) -> str | None:
    cleaned = re.sub(r"\s", "", code or "")
    return cleaned if re.fullmatch(r"\d{6}", cleaned) else None


def verify(user: User, code: str) -> str | None:
    """Check a sign-in code: a current code of the user's app not used before ("totp"), or an
    unused recovery code ("recovery", used up now). None when it is neither."""
    if not enabled(user):
        return None
    digits = _digits(code)
    if digits is not None:
        step = _matching_step(_open(user.id, user.totp_secret), digits, user.totp_last_step)
        if step is None:
            return None
        # Taking the step is atomic: of two requests racing with one code, one wins.
        taken = User.update(totp_last_step=step).where((User.id == user.id) & (User.totp_last_step < step)).execute()
        return TOTP if taken else None
    cleaned = re.sub(r"[\s-]", "", code or "").lower()
    if len(cleaned) != 10:
        return None
    used = (RecoveryCode.update(used_at=utcnow())
            .where((RecoveryCode.user == user.id) & (RecoveryCode.code_hash == _code_hash(user.id, cleaned))
                   & RecoveryCode.used_at.is_null()).execute())
    return RECOVERY if used else None

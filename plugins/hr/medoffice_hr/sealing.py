"""Sealing HR's sensitive fields (SSN, date of birth, direct-deposit routing and account).

AES-256-GCM under a key derived with HKDF-SHA256 from the instance's ``backup_key`` (the
construction core uses for its own secrets, with HR's own label), so the key is never in the
database and a copy of the database gives nothing away. Each value's associated data binds it to
its row and field, so a sealed SSN copied into another row or field does not open.
"""
from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "hr1:"
NONCE_SIZE = 12
FIELDS = ("ssn", "date_of_birth", "bank_routing", "bank_account")


class SealError(Exception):
    """A sealed value cannot be opened (the instance key changed or the value was altered)."""


def _key() -> bytes:
    secret = current_app.config.get("BACKUP_KEY")
    if not secret:
        raise SealError("this instance has no backup_key in medoffice.toml to seal HR's sensitive fields with")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"medoffice hr sensitive fields v1").derive(secret.encode("utf-8"))


def _aad(employment_id: int, field: str) -> bytes:
    return f"hr_employment:{employment_id}:{field}".encode()


def seal(employment_id: int, field: str, plaintext: str) -> str:
    """``plaintext`` sealed for ``field`` of employment ``employment_id`` ("" stays "")."""
    if not plaintext:
        return ""
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(_key()).encrypt(nonce, plaintext.encode("utf-8"), _aad(employment_id, field))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(employment_id: int, field: str, stored: str) -> str:
    """The plaintext of a value sealed by :func:`seal` for the same row and field."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise SealError("the stored value is not sealed")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
        plain = AESGCM(_key()).decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], _aad(employment_id, field))
    except (InvalidTag, ValueError):
        raise SealError("the stored value cannot be opened with this instance's backup_key") from None
    return plain.decode("utf-8")

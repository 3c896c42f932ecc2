"""Sealing a secret kept in the database (the mail server's password) under the instance's key.

The construction core uses for its other secrets (backups, the audit chain's key, two-factor
secrets): AES-256-GCM under a key derived with HKDF-SHA256 from the instance's ``backup_key`` in
``medoffice.toml``, with a label per use. So a copy of the database (a stolen disk, a PostgreSQL
dump) does not give the password away without the instance's configuration; ``medoffice restore``
carries the backup key over, so a restored instance still opens it. Another key makes the sealed
value unreadable: the password has to be entered again.
"""
from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "v1:"
NONCE_SIZE = 12


class SecretUnreadable(Exception):
    """The sealed value cannot be opened with this instance's key (changed key or altered value)."""


def _key(label: str) -> bytes:
    secret = current_app.config.get("BACKUP_KEY")
    if not secret:
        raise SecretUnreadable("this instance has no backup_key in medoffice.toml to seal secrets with")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=f"medoffice sealed {label} v1".encode()).derive(secret.encode("utf-8"))


def seal(plaintext: str, label: str) -> str:
    """``plaintext`` encrypted for storage; ``label`` names the use (a different key per use)."""
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(_key(label)).encrypt(nonce, plaintext.encode("utf-8"), label.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(stored: str, label: str) -> str:
    """The plaintext of a value made by :func:`seal` with the same label.

    :raises SecretUnreadable: the instance key changed or the value was altered.
    """
    if not stored.startswith(PREFIX):
        raise SecretUnreadable("the stored value is not a sealed secret")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
        plain = AESGCM(_key(label)).decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], label.encode())
    except (InvalidTag, ValueError):
        raise SecretUnreadable("the stored secret cannot be opened with this instance's backup_key") from None
    return plain.decode("utf-8")

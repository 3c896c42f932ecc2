"""Sealing the clearinghouse password or private key at rest.

AES-256-GCM under a key derived with HKDF-SHA256 from the instance's ``backup_key`` (core's
construction for its own secrets, with billing's own label), so the database alone does not give the
credential away. The associated data binds the value to the clearinghouse row.
"""
from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

PREFIX = "ch1:"
NONCE_SIZE = 12


class SealError(Exception):
    """A sealed credential cannot be opened (the instance key changed, or the value was altered)."""


def _key() -> bytes:
    secret = current_app.config.get("BACKUP_KEY")
    if not secret:
        raise SealError("this instance has no backup_key in medoffice.toml to seal the clearinghouse credential with")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"medoffice billing clearinghouse credential v1").derive(secret.encode("utf-8"))


def _aad(row_id: int) -> bytes:
    return f"billing_clearinghouse:{row_id}:secret".encode()


def seal(row_id: int, plaintext: str) -> str:
    """``plaintext`` sealed for clearinghouse row ``row_id`` ("" stays "")."""
    if not plaintext:
        return ""
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(_key()).encrypt(nonce, plaintext.encode("utf-8"), _aad(row_id))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(row_id: int, stored: str) -> str:
    """The plaintext of a value :func:`seal` sealed for the same row."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        raise SealError("the stored credential is not sealed")
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX):].encode("ascii"))
        plain = AESGCM(_key()).decrypt(raw[:NONCE_SIZE], raw[NONCE_SIZE:], _aad(row_id))
    except (InvalidTag, ValueError):
        raise SealError("the stored clearinghouse credential cannot be opened with this instance's backup_key; "
                        "enter it again") from None
    return plain.decode("utf-8")

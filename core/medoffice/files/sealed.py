"""The sealed format stored files are kept in: AES-256-GCM in chunks, under keys derived from the
instance's ``backup_key`` (HKDF-SHA256 with labels of their own, as the backups, the audit chain's
key and the mail password are). Layout::

    header = MAGIC | version (1 byte) | salt (16)
    record = flags (1) | ciphertext length (4) | nonce (12) | ciphertext+tag   (at most 64 KiB plain)

Each file has its own key (HKDF with its random salt), and each record's associated data binds it
to the header, its position and its flags; the last record carries the FINAL flag. So an altered,
truncated, reordered or spliced file fails to open instead of handing out other bytes.

A file's name in the store is its *keyed* content digest (HMAC-SHA256 under another derived key):
the same content uploaded twice is stored once, and the names do not tell someone holding the disk
whether the office has a file they know (a plain SHA-256 would).
"""
from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"MOFILE"
VERSION = 1
SALT_SIZE = 16
NONCE_SIZE = 12
TAG_SIZE = 16
CHUNK_SIZE = 64 * 1024
HEADER_SIZE = len(MAGIC) + 1 + SALT_SIZE
RECORD_HEAD = struct.Struct(">BI")
FLAG_FINAL = 0x01
SNIFF_SIZE = 8192  # what the type sniffer reads (filetype looks at the first 8 KiB)


class FileDamaged(OSError):
    """A stored file does not open: altered, truncated, or sealed under another instance key."""


def _hkdf(backup_key: str, info: bytes, salt: bytes | None = None) -> bytes:
    if not backup_key:
        raise RuntimeError("this instance has no backup_key in medoffice.toml; stored files are encrypted with it")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(backup_key.encode("utf-8"))


def naming_key(backup_key: str) -> bytes:
    """The key of the content digest that names stored files."""
    return _hkdf(backup_key, b"medoffice files name v1")


def _file_key(backup_key: str, salt: bytes) -> bytes:
    return _hkdf(backup_key, b"medoffice files v1", salt)


def _aad(header: bytes, index: int, flags: int) -> bytes:
    return header + struct.pack(">QB", index, flags)


class SealingWriter:
    """Encrypts what is written into ``out`` (a binary file) as one sealed file.

    Keeps what the caller needs afterwards: the plaintext ``size``, its keyed ``digest`` (the store
    name), the SHA-256 of the bytes written (``stored_sha256``, what ``doctor`` checks), the
    ``salt`` and the first bytes (``head``, for the type sniffer). Call :meth:`finish` once at the end.
    """

    def __init__(self, out, backup_key: str):
        self.out = out
        self.salt = os.urandom(SALT_SIZE)
        self.header = MAGIC + bytes([VERSION]) + self.salt
        self._aead = AESGCM(_file_key(backup_key, self.salt))
        self._mac = hmac.new(naming_key(backup_key), digestmod=hashlib.sha256)
        self._stored = hashlib.sha256()
        self._pending = bytearray()
        self._index = 0
        self.size = 0
        self.stored_size = 0
        self.head = b""
        self.finished = False
        self._emit(self.header)

    def _emit(self, data: bytes) -> None:
        self.out.write(data)
        self._stored.update(data)
        self.stored_size += len(data)

    def _record(self, plaintext: bytes, flags: int) -> None:
        nonce = os.urandom(NONCE_SIZE)
        sealed = self._aead.encrypt(nonce, plaintext, _aad(self.header, self._index, flags))
        self._emit(RECORD_HEAD.pack(flags, len(sealed)) + nonce + sealed)
        self._index += 1

    def write(self, data: bytes) -> int:
        """Add plaintext; full chunks are encrypted and written at once."""
        if self.finished:
            raise ValueError("the sealed file is finished")
        if len(self.head) < SNIFF_SIZE:
            self.head += bytes(data[:SNIFF_SIZE - len(self.head)])
        self._mac.update(data)
        self.size += len(data)
        self._pending += data
        while len(self._pending) > CHUNK_SIZE:  # keep the last chunk back: it may be the final one
            self._record(bytes(self._pending[:CHUNK_SIZE]), 0)
            del self._pending[:CHUNK_SIZE]
        return len(data)

    def finish(self) -> None:
        """Write the final record (idempotent)."""
        if not self.finished:
            self._record(bytes(self._pending), FLAG_FINAL)
            self._pending.clear()
            self.finished = True

    @property
    def digest(self) -> str:
        """The keyed content digest (hex): the file's name in the store."""
        return self._mac.hexdigest()

    @property
    def stored_sha256(self) -> str:
        """SHA-256 (hex) of the sealed bytes as written."""
        return self._stored.hexdigest()


def read_salt(source) -> bytes:
    """The salt in a sealed file's header (``source`` positioned at its start)."""
    header = source.read(HEADER_SIZE)
    if len(header) != HEADER_SIZE or header[:len(MAGIC)] != MAGIC or header[len(MAGIC)] != VERSION:
        raise FileDamaged("not a sealed file")
    return header[len(MAGIC) + 1:]


def plaintext_chunks(source, backup_key: str, expected_salt: bytes | None = None):
    """Yield the plaintext of the sealed file ``source`` chunk by chunk, each checked before it is
    yielded; :class:`FileDamaged` as soon as anything does not authenticate.

    :param expected_salt: the salt recorded with the file's row: a file swapped on disk for another
        sealed file fails before any byte is yielded.
    """
    salt = read_salt(source)
    if expected_salt is not None and not hmac.compare_digest(salt, expected_salt):
        raise FileDamaged("the stored file is not the one recorded")
    header = MAGIC + bytes([VERSION]) + salt
    aead = AESGCM(_file_key(backup_key, salt))
    index = 0
    while True:
        head = source.read(RECORD_HEAD.size)
        if len(head) != RECORD_HEAD.size:
            raise FileDamaged("the stored file is cut short")
        flags, length = RECORD_HEAD.unpack(head)
        if not TAG_SIZE <= length <= CHUNK_SIZE + TAG_SIZE or flags & ~FLAG_FINAL:
            raise FileDamaged("the stored file is damaged")
        nonce = source.read(NONCE_SIZE)
        sealed = source.read(length)
        if len(nonce) != NONCE_SIZE or len(sealed) != length:
            raise FileDamaged("the stored file is cut short")
        try:
            plaintext = aead.decrypt(nonce, sealed, _aad(header, index, flags))
        except InvalidTag:
            raise FileDamaged("the stored file is damaged or sealed under another key") from None
        index += 1
        if plaintext:
            yield plaintext
        if flags & FLAG_FINAL:
            if source.read(1):
                raise FileDamaged("the stored file has bytes after its end")
            return


class OpenedFile(io.RawIOBase):
    """A read-only binary file over a sealed file's plaintext (what ``files.open`` hands out)."""

    def __init__(self, source, backup_key: str, expected_salt: bytes | None = None):
        super().__init__()
        self._source = source
        self._chunks = plaintext_chunks(source, backup_key, expected_salt)
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self._buffer:
            try:
                self._buffer = next(self._chunks)
            except StopIteration:
                return 0
        count = min(len(target), len(self._buffer))
        target[:count] = self._buffer[:count]
        self._buffer = self._buffer[count:]
        return count

    def close(self) -> None:
        if not self.closed:
            self._source.close()
        super().close()

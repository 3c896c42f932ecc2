"""The SFTP conversation with the clearinghouse, through asyncssh, with the server's host key pinned.

``SftpSession`` is a synchronous facade: it runs its own event loop and each call waits for the
server, so the database work between two calls needs no async code. Every failure becomes an
``SftpError`` carrying the server's (or the network's) own words.
"""
from __future__ import annotations

import asyncio
import fnmatch
import posixpath
from dataclasses import dataclass

import asyncssh

CONNECT_TIMEOUT = 20  # seconds


class SftpError(Exception):
    """The clearinghouse could not be reached, refused us, or refused a file operation.

    ``host_key_changed`` is True when the server offered a key other than the pinned one.
    """

    def __init__(self, message: str, host_key_changed: bool = False):
        super().__init__(message)
        self.host_key_changed = host_key_changed


@dataclass(frozen=True)
class Credentials:
    """Where and how to log in; ``host_key`` is the pinned key in OpenSSH form ("" to accept none)."""

    host: str
    port: int
    username: str
    auth_kind: str  # password or key
    secret: str
    host_key: str


@dataclass(frozen=True)
class RemoteFile:
    """A regular file in a remote folder."""

    name: str
    size: int


def fingerprint(public_key: str) -> str:
    """The SHA-256 fingerprint of an OpenSSH public key line, as ssh-keygen shows it."""
    return asyncssh.import_public_key(public_key).get_fingerprint("sha256")


def key_problem(private_key: str) -> str | None:
    """Why ``private_key`` cannot be used to log in (None when it can)."""
    try:
        asyncssh.import_private_key(private_key)
    except asyncssh.KeyImportError as exc:
        return f"The private key cannot be read ({exc}); paste an unencrypted OpenSSH or PEM private key."
    return None


def server_host_key(host: str, port: int) -> str:
    """The host key the server offers, in OpenSSH form (no login is attempted).

    :raises SftpError: the server cannot be reached.
    """
    async def ask():
        key = await asyncio.wait_for(asyncssh.get_server_host_key(host, port, config=None), CONNECT_TIMEOUT)
        if key is None:
            raise SftpError(f"{host}:{port} offered no host key.")
        return key.export_public_key("openssh").decode("ascii").strip()

    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(_guarded(ask(), f"{host}:{port}"))
    finally:
        loop.close()


async def _guarded(coroutine, where: str):
    """Await ``coroutine``, turning every network, SSH or SFTP failure into an ``SftpError``."""
    try:
        return await coroutine
    except asyncssh.HostKeyNotVerifiable as exc:
        raise SftpError(f"The server's host key is not the one confirmed for {where}: {exc.reason}. Someone may be "
                        "impersonating the clearinghouse, or it changed its key; ask the clearinghouse before "
                        "accepting the new key.", host_key_changed=True) from None
    except asyncssh.PermissionDenied as exc:
        raise SftpError(f"{where} refused the login: {exc.reason}.") from None
    except asyncssh.SFTPError as exc:
        raise SftpError(f"{where} refused a file operation: {exc.reason}.") from None
    except asyncssh.Error as exc:
        raise SftpError(f"{where} ended the connection: {exc.reason}.") from None
    except asyncssh.KeyImportError as exc:
        raise SftpError(f"The stored private key cannot be read: {exc}.") from None
    except (asyncio.TimeoutError, TimeoutError):
        raise SftpError(f"{where} did not answer within {CONNECT_TIMEOUT} seconds.") from None
    except OSError as exc:
        raise SftpError(f"{where} could not be reached: {exc.strerror or exc}.") from None


class SftpSession:
    """An open SFTP session (use as a context manager); each method waits for the server."""

    def __init__(self, credentials: Credentials):
        self.credentials = credentials
        self.where = f"{credentials.host}:{credentials.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection = None
        self._sftp = None

    def _run(self, coroutine):
        return self._loop.run_until_complete(_guarded(coroutine, self.where))

    def __enter__(self) -> SftpSession:
        if not self.credentials.host_key:
            raise SftpError("No host key is confirmed for the clearinghouse: confirm the server's key first.")
        self._loop = asyncio.new_event_loop()
        try:
            self._connection = self._run(self._connect())
            self._sftp = self._run(self._connection.start_sftp_client())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    async def _connect(self):
        c = self.credentials
        auth = ({"client_keys": [asyncssh.import_private_key(c.secret)], "password": None} if c.auth_kind == "key"
                else {"client_keys": None, "password": c.secret})
        return await asyncssh.connect(
            c.host, c.port, username=c.username, known_hosts=([asyncssh.import_public_key(c.host_key)], [], []),
            config=None, agent_path=None, connect_timeout=CONNECT_TIMEOUT, **auth)

    def __exit__(self, *exc_info) -> None:
        if self._loop is None:
            return
        try:
            if self._sftp is not None:
                self._sftp.exit()
            if self._connection is not None:
                self._connection.close()
                self._loop.run_until_complete(self._connection.wait_closed())
        finally:
            self._loop.close()
            self._loop = None

    def list(self, folder: str, pattern: str = "*") -> list[RemoteFile]:
        """The regular files in ``folder`` whose names match ``pattern``, by name."""
        async def read():
            entries = await self._sftp.readdir(folder)
            return sorted((RemoteFile(e.filename, e.attrs.size or 0) for e in entries
                           if e.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR
                           and fnmatch.fnmatchcase(e.filename, pattern)), key=lambda f: f.name)
        return self._run(read())

    def read(self, path: str) -> bytes:
        """A remote file's content."""
        async def read():
            async with self._sftp.open(path, "rb") as handle:
                return await handle.read()
        return self._run(read())

    def write(self, path: str, data: bytes) -> None:
        """Upload ``data`` to ``path`` under a temporary name first, so the server never picks up half a file."""
        folder, name = posixpath.split(path)
        partial = posixpath.join(folder, f".{name}.part")

        async def write():
            async with self._sftp.open(partial, "wb") as handle:
                await handle.write(data)
            await self._sftp.rename(partial, path)
        self._run(write())

    def move(self, path: str, folder: str) -> None:
        """Move a remote file into ``folder`` (created when missing)."""
        async def move():
            await self._sftp.makedirs(folder, exist_ok=True)
            await self._sftp.rename(path, posixpath.join(folder, posixpath.basename(path)))
        self._run(move())

    def remove(self, path: str) -> None:
        """Delete a remote file."""
        self._run(self._sftp.remove(path))

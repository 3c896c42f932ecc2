"""A real SFTP server on the loopback for the clearinghouse tests (asyncssh's server side, in a thread).

It serves one folder (chrooted) to one user, who logs in with a password or a private key, and presents
its own host key, as a clearinghouse's server does. Imported by the billing test modules.
"""
from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh


class _Auth(asyncssh.SSHServer):
    def __init__(self, server: SftpServer):
        self.server = server

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return (username, password) == (self.server.username, self.server.password)

    def public_key_auth_supported(self) -> bool:
        return self.server.client_key is not None

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return (username == self.server.username and self.server.client_key is not None
                and key.export_public_key() == self.server.client_key.export_public_key())


class SftpServer:
    """``with SftpServer(root) as server:`` serves ``root`` on 127.0.0.1:``server.port``."""

    def __init__(self, root: Path, username: str = "practice", password: str = "s3cret pass",
                 client_key: asyncssh.SSHKey | None = None, port: int = 0):
        self.root, self.username, self.password, self.client_key = root, username, password, client_key
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server = None

    @property
    def host_key_line(self) -> str:
        """The server's public host key in OpenSSH form, as the clearinghouse would publish it."""
        return self.host_key.export_public_key("openssh").decode("ascii").strip()

    def __enter__(self) -> SftpServer:
        self._thread.start()
        root = str(self.root)

        async def start():
            return await asyncssh.create_server(
                lambda: _Auth(self), "127.0.0.1", self.port, server_host_keys=[self.host_key],
                sftp_factory=lambda channel: asyncssh.SFTPServer(channel, chroot=root))
        self._server = asyncio.run_coroutine_threadsafe(start(), self._loop).result(10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info) -> None:
        async def stop():
            self._server.close()
            await self._server.wait_closed()
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

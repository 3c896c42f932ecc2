"""Several worker processes behind one listening socket, for ``medoffice serve --workers N`` (POSIX).

Python runs one thread at a time per process, so one process uses one core however many request
threads it has. The supervisor (the process ``serve`` starts in) builds the app, binds and listens
on the address, then forks the workers: each inherits the app, already built, and the listening
socket, and accepts connections on it with its own cheroot thread pool; the kernel hands each new
connection to one of them. One more child runs the scheduler (only one may run per instance: the
scheduler lock), so jobs never compete with pages for a worker's time.

The supervisor serves nothing itself. It starts a worker again when one dies, and on SIGTERM or
Ctrl+C asks every child to stop (each finishes the requests it is serving, as ``serve`` always did),
waits for them, and only then returns. Windows has no fork: ``serve`` runs one process there
(see docs/deploy.md).
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from typing import Callable

from cheroot import wsgi

log = logging.getLogger("medoffice.serve")
STOP_GRACE_SECONDS = 20  # after SIGTERM, how long a child may take to finish its requests
RESPAWN_DELAY_SECONDS = 1.0  # at least this long between two starts of the same slot
SCHEDULER_RETRY_SECONDS = 30  # a standby scheduler tries the lock again this often
BACKLOG = 128  # connections the kernel queues before a worker accepts them (cheroot's default is 5)


def default_workers() -> int:
    """Worker processes when ``--workers`` is not given: one per core (one process on Windows)."""
    return 1 if os.name == "nt" else max(1, os.cpu_count() or 1)


def listening_socket(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A TCP socket bound to (host, port) and listening, as cheroot would make it (address reuse,
    no Nagle delay); an address in use fails here, before any worker starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=backlog)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class SharedSocketServer(wsgi.Server):
    """cheroot's WSGI server accepting on a socket it is given (bound and listening in the supervisor)."""

    def __init__(self, sock: socket.socket, app, **kwargs):
        self._given = sock
        # cheroot listens again on the socket it prepares: keep the supervisor's backlog, not its own 5
        # (sixteen browsers connecting at once overflowed it).
        kwargs.setdefault("request_queue_size", BACKLOG)
        super().__init__(sock.getsockname()[:2], app, **kwargs)

    def bind(self, family, type, proto=0):  # noqa: A002  (cheroot's signature)
        """Use the inherited socket instead of binding a new one."""
        self.socket = self._given
        return self.socket


class Supervisor:
    """Forks and watches the children: ``workers`` serving slots and, optionally, one scheduler slot.

    ``serve_one()`` and ``schedule()`` run in a child and return when it should exit (after SIGTERM).
    """

    def __init__(self, workers: int, serve_one: Callable[[], None], schedule: Callable[[], None] | None):
        self.slots: dict[str, Callable[[], None]] = {f"worker {n}": serve_one for n in range(1, workers + 1)}
        if schedule is not None:
            self.slots["scheduler"] = schedule
        self.children: dict[int, str] = {}  # pid -> slot
        self.started: dict[str, float] = {}
        self.stopping = False

    def run(self) -> None:
        """Start every child and keep them running until SIGTERM or Ctrl+C; then stop them all."""
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for slot in self.slots:
                self._spawn(slot)
            while not self.stopping:
                self._reap(respawn=True)
                time.sleep(0.2)
        finally:
            self._stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _stop(self, signum, frame) -> None:
        self.stopping = True

    def _spawn(self, slot: str) -> None:
        wait = self.started.get(slot, 0) + RESPAWN_DELAY_SECONDS - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.started[slot] = time.monotonic()
        supervisor = os.getpid()
        # A stop signal that reached the new child before it set its own handlers would run the
        # supervisor's handler there and be lost: the child served on until killed. Held back across
        # the fork, it reaches the child only once the child's handlers are in place.
        stop_signals = {signal.SIGTERM, signal.SIGINT}
        signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
        pid = os.fork()
        if pid != 0:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
        if pid == 0:  # the child: run the slot's work, never return into the supervisor's code
            code = 1
            try:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)
                threading.Thread(target=_stop_with, args=(supervisor,), name="medoffice-orphan-watch",
                                 daemon=True).start()
                self.slots[slot]()
                code = 0
            except KeyboardInterrupt:
                code = 0
            except BaseException:
                log.exception("%s (pid %d) failed", slot, os.getpid())
            finally:
                logging.shutdown()
                os._exit(code)
        self.children[pid] = slot
        log.info("%s started (pid %d)", slot, pid)

    def _reap(self, respawn: bool) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            slot = self.children.pop(pid, None)
            if slot is None:
                continue
            if respawn and not self.stopping:
                log.warning("%s (pid %d) exited with status %d; starting it again", slot, pid,
                            os.waitstatus_to_exitcode(status))
                self._spawn(slot)

    def _stop_children(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self.children and time.monotonic() < deadline:
            self._reap(respawn=False)
            time.sleep(0.1)
        for pid, slot in list(self.children.items()):
            log.warning("%s (pid %d) did not stop in %d s; killing it", slot, pid, STOP_GRACE_SECONDS)
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        self.children.clear()


def _stop_with(supervisor: int) -> None:
    """Stop this child (as SIGTERM does) once its supervisor is gone, even killed outright: an orphaned
    worker would go on holding the address and serving from a stale process."""
    while os.getppid() == supervisor:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def run_standby_scheduler(app, stop_requested: Callable[[float], bool]) -> None:
    """Run the instance's scheduler in this process, or wait until it can (another holds the lock: a
    ``medoffice scheduler``, or this server's scheduler child before it was started again); returns
    once ``stop_requested(seconds)`` (which waits up to that long) says to stop."""
    from .scheduler import SchedulerBusy, start_scheduler

    told = False
    while True:
        try:
            service = start_scheduler(app, strict=True)
            break
        except SchedulerBusy as exc:
            if not told:
                log.warning("the scheduler waits: %s; trying again every %d s", exc, SCHEDULER_RETRY_SECONDS)
                told = True
            if stop_requested(SCHEDULER_RETRY_SECONDS):
                return
    if service is None:
        return
    try:
        while not stop_requested(1.0):
            pass
    finally:
        service.shutdown(wait=False)

"""Serving for the benchmarks: any WSGI app served as ``medoffice serve --workers N`` serves medoffice (the
same supervisor, the same shared listening socket, the same cheroot server), and a load client of
keep-alive connections spread over a few processes, so the client is not held to one core either. Each
connection keeps the cookies it is sent, as a browser does: a session's first page with a form adds its CSRF
token to the session cookie once, not on every request.
POSIX only (fork).
"""
from __future__ import annotations

import gc
import http.client
import multiprocessing
import os
import signal
import socket
import threading
import time
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Callable

from medoffice.serve_workers import SharedSocketServer, Supervisor, listening_socket

USER_AGENT = "medoffice-benchmark"
# Not counted at the start of each run: new connections and client processes settle in (in 2-second runs of
# the reference page, the first second ran at 40-100% of the rest, which moved its figure 900-2,000 req/s).
WARMUP_SECONDS = 1.0


@dataclass
class Served:
    """An app being served on a loopback port by a forked supervisor."""

    port: int
    pid: int

    def stop(self) -> None:
        """Stop the supervisor and its workers (SIGTERM, as systemd would)."""
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)


def _serve_socket(sock: socket.socket, app, threads: int) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    server = SharedSocketServer(sock, app, numthreads=threads, server_name="medoffice")
    server.prepare()
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        while thread.is_alive() and not stop.wait(0.5):
            pass
    finally:
        server.stop()


def serve(app, workers: int, threads: int, before_fork: Callable[[], None]) -> Served:
    """Serve ``app`` from ``workers`` processes on a free loopback port; ``before_fork`` closes what must
    not cross a fork (database connections)."""
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    before_fork()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            # What the workers inherit is exempt from collection, as `medoffice serve` freezes its startup objects
            # before it forks: here that is also whatever the benchmark built before serving.
            gc.freeze()
            Supervisor(workers, lambda: _serve_socket(sock, app, threads), None).run()
            code = 0
        finally:
            os._exit(code)
    sock.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return Served(port, pid)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the benchmark server did not start")


def _client_process(port: int, path: str, cookie: str, threads: int, start: float, counted: float, stop: float,
                    out) -> None:
    # Forked from the benchmark's process, which holds the whole app: the client's own full collections would
    # walk that inherited heap on the cores the servers are measured on (pauses of a second were seen).
    gc.freeze()
    counts, errors = [0] * threads, [0] * threads

    def run(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        jar = SimpleCookie(cookie)
        headers = {"User-Agent": USER_AGENT}
        while time.time() < start:
            time.sleep(0.001)
        while time.time() < stop:
            try:
                if jar:
                    headers["Cookie"] = "; ".join(f"{name}={morsel.value}" for name, morsel in jar.items())
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                for set_cookie in response.headers.get_all("Set-Cookie") or ():
                    jar.load(set_cookie)  # kept, as a browser keeps it (a page's first CSRF token, for one)
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            now = time.time()
            if now <= stop:  # an error counts in the warm-up too: goal 3 asks for none at all
                if not ok:
                    errors[i] += 1
                elif now >= counted:
                    counts[i] += 1
        conn.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.send((sum(counts), sum(errors)))
    out.close()


def throughput(port: int, path: str, cookie: str, seconds: float, clients: int = 16,
               processes: int = 4) -> tuple[float, int]:
    """Requests per second and errors (anything but 200) with ``clients`` keep-alive connections, spread
    over ``processes`` client processes, all starting together: requests are counted for ``seconds`` once
    the clients have run ``WARMUP_SECONDS``, errors from the start."""
    context = multiprocessing.get_context("fork")
    start = time.time() + 0.5
    counted = start + WARMUP_SECONDS
    stop = counted + seconds
    pipes, children = [], []
    per = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    for threads in (n for n in per if n):
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_client_process,
                                args=(port, path, cookie, threads, start, counted, stop, send))
        child.start()
        pipes.append(receive)
        children.append(child)
    done = [pipe.recv() for pipe in pipes]
    for child in children:
        child.join()
    return sum(n for n, _ in done) / seconds, sum(e for _, e in done)

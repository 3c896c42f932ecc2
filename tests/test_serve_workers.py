"""``medoffice serve --workers N``: several processes behind one listening socket, connections spread over
them, one scheduler for the instance, a worker that dies started again, and SIGTERM stopping them all."""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medoffice import config

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc; Windows serves one process")]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry.name))
    return sorted(found)


def three_children(pid: int, without: int | None = None) -> list[int]:
    """The children of ``pid`` when, in one look, there are three (two workers and the scheduler) and ``without``
    is not among them; else []. One look: a worker just killed can still be listed by one read of /proc and be
    gone by the next, before its replacement is started."""
    found = children(pid)
    return found if len(found) == 3 and without not in found else []


def connections_held(pid: int, port: int) -> int:
    """How many established connections to ``port`` the process ``pid`` has accepted (from /proc)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # local port, ESTABLISHED
            inodes.add(fields[9])
    held = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            held += 1
    return held


def wait_for(condition, timeout: float = 30, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path):
    """``medoffice serve --workers 2`` (with its scheduler) on a fresh SQLite instance."""
    instance = tmp_path / "instance"
    config.write_new(instance)
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if k != "MEDOFFICE_DATABASE_URL"}, "MEDOFFICE_VERBOSE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "medoffice.cli", "--instance", str(instance), "serve", "--port", str(port),
         "--workers", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            assert process.poll() is None, process.communicate()
            return False
    wait_for(listening, what="the server to listen")
    process.port = port
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def get(conn: http.client.HTTPConnection, path: str = "/healthz") -> int:
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.status


def test_two_workers_share_the_address_with_one_scheduler_and_stop_together(server):
    workers_and_scheduler = wait_for(lambda: three_children(server.pid), what="two workers and the scheduler")
    # Keep-alive connections, as browsers hold them, until both workers serve some.
    held, port = [], server.port
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        assert get(conn) == 200
        held.append(conn)
        serving = [pid for pid in workers_and_scheduler if connections_held(pid, port)]
        if len(serving) == 2:
            break
    assert len(serving) == 2, "every connection went to one process"

    # A worker that dies: the other serves on meanwhile, and a new one is started.
    os.kill(serving[0], signal.SIGKILL)
    for _ in range(3):
        assert get(http.client.HTTPConnection("127.0.0.1", port, timeout=10)) == 200
    replaced = wait_for(lambda: three_children(server.pid, without=serving[0]), what="a new worker")
    assert serving[1] in replaced
    assert len(set(replaced) - set(workers_and_scheduler)) == 1, "the dead worker was not replaced"

    server.send_signal(signal.SIGTERM)
    _out, err = server.communicate(timeout=60)
    assert server.returncode == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in replaced)
    # One scheduler for the whole instance: started once, in its own child, never in a worker.
    assert err.count("medoffice.scheduler: scheduler started") == 1, err
    assert "worker 1 started" in err and "worker 2 started" in err and "scheduler started (pid" in err
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_an_orphaned_worker_stops_with_its_supervisor(server):
    workers = wait_for(lambda: three_children(server.pid), what="the children")
    server.kill()  # SIGKILL: the supervisor gets no chance to stop anyone
    server.wait()
    wait_for(lambda: all(not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
                         for pid in workers), timeout=30, what="the orphaned workers to stop")


SIGNAL_IN_THE_FORK_WINDOW = """
import logging, os, signal, sys, time
from medoffice import serve_workers

logging.basicConfig(level=logging.INFO, stream=sys.stderr)
real_fork, forks = os.fork, []

def fork_then_stop_the_first_child():
    pid = real_fork()
    forks.append(pid)
    if pid == 0 and len(forks) == 1:
        os.kill(os.getpid(), signal.SIGTERM)  # arrives before the child set its own handlers
    return pid

os.fork = fork_then_stop_the_first_child
serve_workers.RESPAWN_DELAY_SECONDS = 0
print("ready", flush=True)
serve_workers.Supervisor(1, lambda: time.sleep(120), None).run()
"""


def test_a_stop_signal_that_reaches_a_child_as_it_is_forked_stops_that_child():
    process = subprocess.Popen([sys.executable, "-c", SIGNAL_IN_THE_FORK_WINDOW],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline() == "ready\n"
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    # The first child died of its signal (and was started again), rather than serving on until killed.
    assert "worker 1 (pid" in err and "exited with status -15" in err, err
    assert "did not stop" not in err, err

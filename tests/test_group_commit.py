"""Group commit (medoffice.group_commit): rows several threads hand in at the same moment are written in one call,
each thread gets its own row back, and a failure reaches every thread of the group; page views' audit entries
use it (medoffice.audit.record_read)."""
from __future__ import annotations

import threading
import time

import pytest

from medoffice import audit
from medoffice.db import db
from medoffice.group_commit import GroupCommit, GroupWriteError
from medoffice.models import AuditEvent


def _until(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"waited 10 s for {what}"
        time.sleep(0.001)


def _hand_in(group: GroupCommit, rows, results: dict) -> list[threading.Thread]:
    def one(row):
        try:
            results[row] = group.write(row)
        except Exception as exc:
            results[row] = exc
    threads = [threading.Thread(target=one, args=(row,)) for row in rows]
    for thread in threads:
        thread.start()
    return threads


def test_rows_waiting_while_a_group_is_written_go_together_and_each_thread_gets_its_own():
    calls, release = [], threading.Event()

    def write(rows):
        calls.append(list(rows))
        if len(calls) == 1:
            assert release.wait(10)  # a slow commit: the others queue behind it meanwhile
        return [row * 10 for row in rows]

    group, results = GroupCommit(write), {}
    first = _hand_in(group, [0], results)
    _until(lambda: len(calls) == 1, "the first group")
    others = _hand_in(group, range(1, 8), results)
    _until(lambda: len(group._pending) == 7, "the others to queue")  # noqa: SLF001 (the queue is the point)
    release.set()
    for thread in first + others:
        thread.join(10)
    assert results == {n: n * 10 for n in range(8)}
    assert len(calls) == 2 and sorted(calls[1]) == list(range(1, 8))
    assert group.write(9) == 90 and calls[-1] == [9]  # alone: written at once


def test_a_failed_group_reaches_every_thread_in_it():
    calls, release = [], threading.Event()

    def write(rows):
        calls.append(list(rows))
        if len(calls) == 1:
            assert release.wait(10)
            return [row for row in rows]
        raise ValueError("disk full")

    group, results = GroupCommit(write), {}
    first = _hand_in(group, ["a"], results)
    _until(lambda: len(calls) == 1, "the first group")
    others = _hand_in(group, ["b", "c", "d"], results)
    _until(lambda: len(group._pending) == 3, "the others to queue")  # noqa: SLF001
    release.set()
    for thread in first + others:
        thread.join(10)
    assert results["a"] == "a"
    failed = [results[row] for row in "bcd"]
    assert sum(isinstance(error, ValueError) for error in failed) == 1  # the leader's own
    assert all(isinstance(error, ValueError) or (isinstance(error, GroupWriteError)
                                                 and isinstance(error.__cause__, ValueError)) for error in failed)
    with pytest.raises(ValueError):  # a later row is tried again by itself, not failed with the group before
        group.write("e")
    assert calls[-1] == ["e"]


def test_page_views_of_many_threads_each_get_an_entry_and_the_chain_holds(app):
    def view(n: int, seqs: list):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                seqs.append(audit.record_read("test.view", "patient", n, patient_id=n).seq)
            finally:
                db.close()

    seqs: list[int] = []
    threads = [threading.Thread(target=view, args=(n, seqs)) for n in range(1, 13)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            written = {(e.seq, e.object_id) for e in AuditEvent.select().where(AuditEvent.action == "test.view")}
            assert audit.verify().ok
        finally:
            db.close()
    assert sorted(seqs) == sorted(seq for seq, _object in written) and len(written) == 12
    assert {int(object_id) for _seq, object_id in written} == set(range(1, 13))

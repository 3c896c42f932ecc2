"""Writers of several processes append to one audit chain: every entry lands once, in one unbroken chain.

Each worker process of ``medoffice serve`` has its own connection and its own group of read entries, so their
entries race for the head. Threads with connections of their own, each calling the read group's writer directly,
race the same way. On SQLite a read's entry is first tried as one statement that checks the head it was chained
to (the head trigger moves it); these tests also make another writer move the head in between.
"""
import threading

import pytest

from medoffice import audit
from medoffice.db import db, is_sqlite
from medoffice.models import AuditEvent, AuditHead


def _connected(app, work):
    with app.app_context():
        db.connect(reuse_if_open=True)
        try:
            return work()
        finally:
            db.close()


def _read_row(n: int) -> dict:
    return audit._prepare((None, "system", ""), "test.view", "patient", n, n, None, None, None, None)


def _chain_state(app):
    def read():
        entries = list(AuditEvent.select(AuditEvent.seq, AuditEvent.hash, AuditEvent.object_id)
                       .order_by(AuditEvent.seq).tuples())
        head = AuditHead.get_by_id(1)
        return entries, (head.seq, head.last_hash), audit.verify(anchors=[])
    return _connected(app, read)


def test_writers_racing_as_separate_processes_each_land_once_in_one_chain(app):
    before, _head, _ok = _chain_state(app)
    failures: list[BaseException] = []

    def writer(first: int):
        def work():
            for n in range(first, first + 25):
                rows = [_read_row(n)] if n % 5 else [_read_row(n), _read_row(n + 1000)]  # groups of one and two
                audit._append_reads(rows)
        try:
            _connected(app, work)
        except BaseException as exc:  # noqa: BLE001 - reported below, with the chain's state
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(first,)) for first in (100, 200, 300, 400)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    entries, head, result = _chain_state(app)
    assert not failures
    new = entries[len(before):]
    assert len(new) == 4 * (25 + 5)
    assert sorted(int(object_id) for _seq, _hash, object_id in new) == sorted(
        [n for first in (100, 200, 300, 400) for n in range(first, first + 25)]
        + [n + 1000 for first in (100, 200, 300, 400) for n in range(first, first + 25) if n % 5 == 0])
    assert [seq for seq, _hash, _object in entries] == list(range(1, len(entries) + 1))
    assert head == (entries[-1][0], entries[-1][1])
    assert result.ok, result.problem


def _another_writer_moves_the_head(app, times: int):
    """While the next read entry is being chained, another connection appends an entry, ``times`` times."""
    real_chain = audit._chain
    moved = []

    def chain_then_race(rows, head_seq, prev_hash):
        digest = real_chain(rows, head_seq, prev_hash)
        if rows[0]["action"] == "test.view" and len(moved) < times:
            moved.append(len(moved))
            intruder = threading.Thread(target=_connected, args=(app, lambda: audit.record("test.change")))
            intruder.start()
            intruder.join(30)
        return digest
    return chain_then_race, moved


@pytest.mark.parametrize("races", [1, audit._CHAIN_TRIES])
def test_a_read_entry_chained_to_a_head_that_moved_is_chained_again(app, monkeypatch, races):
    """Once: the entry is chained to the new head and written by the one statement. On every try: it is written the
    locked way, after the other writer's entries. Either way it comes last, and the chain holds."""
    if not is_sqlite():
        pytest.skip("PostgreSQL appends under the head's row lock only")
    assert _connected(app, audit.head_follows_inserts)
    chain_then_race, moved = _another_writer_moves_the_head(app, races)
    monkeypatch.setattr(audit, "_chain", chain_then_race)
    locked = []
    real_append = audit._append
    def append(rows, *args):
        if rows[0]["action"] == "test.view":
            locked.append(rows)
        return real_append(rows, *args)
    monkeypatch.setattr(audit, "_append", append)

    written = _connected(app, lambda: audit._append_reads([_read_row(7)]))
    monkeypatch.undo()

    entries, head, result = _chain_state(app)
    assert len(moved) == races
    assert bool(locked) == (races == audit._CHAIN_TRIES)
    assert entries[-1][2] == "7" and written[0]["seq"] == entries[-1][0]
    assert head == (entries[-1][0], entries[-1][1])
    assert result.ok, result.problem


def test_the_head_follows_each_read_entry_and_a_locked_append_after_it(db_session):
    audit.record_read("test.view", "patient", 1, patient_id=1)
    audit.record_many([{"action": "test.change", "object_id": n} for n in range(3)])
    audit.record_read("test.view", "patient", 2, patient_id=2)
    last = AuditEvent.select().order_by(AuditEvent.seq.desc()).get()
    head = AuditHead.get_by_id(1)
    assert (head.seq, head.last_hash) == (last.seq, last.hash) and last.object_id == "2"
    assert audit.verify(anchors=[]).ok

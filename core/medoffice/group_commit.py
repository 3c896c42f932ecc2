"""Group commit: rows that several threads of a process want written at the same moment go in one transaction.

A served process answers pages from sixteen threads, and every page that shows patient data commits an audit entry
before it answers. One at a time, each entry takes the database's write lock for its few statements, and between
them its thread must get Python's interpreter lock back from the fifteen others: the write lock is held many times
longer than the statements take, and it, not the processor, sets how many such pages a process serves.

Instead the first thread with a row to write leads: it takes every row waiting at that moment, its own among them,
writes them together through ``write`` and hands each thread its own row back. Threads arriving meanwhile wait
(without holding the interpreter lock) and are written together by the next leader, one of them. A thread alone,
as in a command or a test, writes its row at once, as before. Each caller still returns only once its row is
committed, or raises what writing the group raised.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class _Waiting:
    __slots__ = ("row", "written", "error", "done")

    def __init__(self, row):
        self.row, self.written, self.error, self.done = row, None, None, False


class GroupCommit:
    """Writes rows handed in by any thread of the process, those that wait at the same moment in one call."""

    def __init__(self, write: Callable[[list], list]):
        """:param write: writes a list of rows in one transaction and returns them as written, in order."""
        self._write = write
        self._changed = threading.Condition()
        self._pending: list[_Waiting] = []
        self._leading = False

    def write(self, row) -> Any:
        """Write ``row`` (with any rows other threads are handing in now); returns it as written."""
        me = _Waiting(row)
        with self._changed:
            self._pending.append(me)
            while self._leading and not me.done:
                self._changed.wait()
            if me.done:
                return self._outcome(me)
            self._leading = True
            group, self._pending = self._pending, []
        written, error = None, None
        try:
            written = self._write([waiting.row for waiting in group])
        except BaseException as exc:  # every thread of the group learns it; the leader raises it below
            error = exc
        with self._changed:
            for index, waiting in enumerate(group):
                waiting.written, waiting.error = (None, error) if error else (written[index], None)
                waiting.done = True
            self._leading = False
            self._changed.notify_all()
        if error is not None:
            raise error
        return me.written

    @staticmethod
    def _outcome(waiting: _Waiting):
        if waiting.error is not None:  # written by another thread, whose traceback is its own
            raise GroupWriteError("the group this row was written with failed") from waiting.error
        return waiting.written


class GroupWriteError(RuntimeError):
    """Writing the group a row went with failed (the cause is the leader's error)."""

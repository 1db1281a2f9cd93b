"""The async module's own timer thread: starts resumes at their due time.

When: used by :class:`~.engine.AsyncEngine` for ``async_route``/``async_sleep``
and the ms variants while the server runs on a real event loop (a fake clock
in tests keeps using ``env.call_later``).  The thread starts with the first
resume scheduled and stops in the module's ``destroy``.

Why a thread and not the event loop's timers: the loop is also the SIP
receiver.  At 300 calls/s it is busy ~45 % of the time, and a timer callback
waits for whatever the loop is doing (a burst of datagrams, a GC pass).  In
bench/async this "loop is late" part was nearly all of the resume error (p99
5-20 ms of the 6-23 ms measured).  A thread that only sleeps until the next due
time needs the CPU for microseconds, and with the core's short GIL switch
interval (``siprouter.core.async_workers.GIL_SWITCH_INTERVAL``) it gets it
within a fraction of a millisecond.  Kamailio does the same with separate
processes: its async timer processes (seconds) and the ms timer process.

What: one heap ``(due, seq, entry)`` behind a condition variable; the thread
sleeps until the earliest due time (never wakes early: it re-checks the clock),
pops every due entry and calls ``fire(entry)`` for each on its own thread.
Entries are never removed: a resume that shutdown or a CANCEL took first is
skipped by ``fire`` (the pending table decides), so no cancel is needed.
Per waiting resume this holds one tuple, instead of the loop-timer handle
objects of ``env.call_later``.
"""
from __future__ import annotations

import heapq
import itertools
import threading
from typing import Any, Callable

import structlog

log = structlog.get_logger("siprouter.modules.async.timer")


class ResumeTimer:
    """A heap of due times served by one daemon thread."""

    def __init__(self, now: Callable[[], float], fire: Callable[[Any], None],
                 name: str = "async-timer") -> None:
        self._now = now
        self._fire = fire
        self._name = name
        self._heap: list[tuple[float, int, Any]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._stopping = False

    def schedule(self, due: float, entry: Any) -> None:
        """Any thread: call ``fire(entry)`` at ``due`` (``now()`` seconds); starts the thread once."""
        with self._cond:
            if self._stopping:
                raise RuntimeError("async resume timer stopped")
            if self._thread is None:
                self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (due, next(self._seq), entry))
            if self._heap[0][2] is entry:       # new earliest: the thread sleeps too long
                self._cond.notify()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop the thread (entries not yet due are dropped); idempotent."""
        with self._cond:
            self._stopping = True
            self._heap.clear()
            self._cond.notify()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def __len__(self) -> int:
        with self._cond:
            return len(self._heap)

    def _main(self) -> None:
        heap, cond, now = self._heap, self._cond, self._now
        while True:
            with cond:
                while True:
                    if self._stopping:
                        return
                    if heap:
                        wait = heap[0][0] - now()
                        if wait <= 0:
                            break
                        cond.wait(wait)
                    else:
                        cond.wait()
                t = now()
                due = []
                while heap and heap[0][0] <= t:
                    due.append(heapq.heappop(heap)[2])
            for entry in due:              # outside the lock: schedule() never waits on fire()
                try:
                    self._fire(entry)
                except Exception:  # noqa: BLE001 — one bad resume must not stop the others
                    log.exception("async resume timer callback raised")

"""Timer values of tm and the glue that arms them on the server's clock.

All tm modparams are in milliseconds (as in Kamailio); the state machines
work in seconds.  :class:`TimerValues` is built once from the modparams (and
per transaction when the script calls ``t_set_fr``).

:class:`TimerSet` turns the machines' ``SetTimer``/``ClearTimer`` actions into
deadlines served by at most one ``env.call_later`` handle per set (armed for
the earliest deadline, replaced only when an earlier one is set).  Each handle
carries a token so a callback that was already queued when the handle was
replaced is ignored — ``handle.cancel()`` cannot stop a callback another
thread already took off the loop's queue.
"""
from __future__ import annotations

import heapq
import itertools
import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

#: RFC 3261 T4 (maximum time a message stays in the network), seconds.
T4 = 5.0


@dataclass(frozen=True, slots=True)
class TimerValues:
    """Timer settings in seconds.

    ``fr`` is Kamailio's fr_timer: how long a branch waits for *any* reply
    (it replaces Timer B/F).  ``fr_inv`` is fr_inv_timer: how long an INVITE
    branch waits for a final reply once a provisional came (the RFC's Timer C).
    ``wt`` is the wait timer: how long a completed transaction lingers to
    absorb retransmissions (used for Timers D, I, J, K, L, M on unreliable
    transports; RFC 3261 uses 0 on reliable ones for D, I, J, K).
    """

    t1: float = 0.5
    t2: float = 4.0
    fr: float = 30.0
    fr_inv: float = 120.0
    wt: float = 5.0
    max_inv_lifetime: float = 180.0
    max_noninv_lifetime: float = 32.0
    restart_fr_on_each_reply: bool = True

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> "TimerValues":
        """Build from tm's modparams (milliseconds)."""
        ms = lambda name, default: float(params.get(name, default)) / 1000.0  # noqa: E731
        return cls(
            t1=ms("retr_timer1", 500), t2=ms("retr_timer2", 4000),
            fr=ms("fr_timer", 30000), fr_inv=ms("fr_inv_timer", 120000),
            wt=ms("wt_timer", 5000),
            max_inv_lifetime=ms("max_inv_lifetime", 180000),
            max_noninv_lifetime=ms("max_noninv_lifetime", 32000),
            restart_fr_on_each_reply=bool(params.get("restart_fr_on_each_reply", 1)),
        )

    def with_fr(self, fr: float | None = None, fr_inv: float | None = None) -> "TimerValues":
        """Copy with other fr/fr_inv values (``t_set_fr``); None keeps the value."""
        return replace(self, fr=self.fr if fr is None else fr,
                       fr_inv=self.fr_inv if fr_inv is None else fr_inv)

    def with_retr(self, t1: float | None = None, t2: float | None = None) -> "TimerValues":
        """Copy with other retransmission intervals (``t_set_retr``)."""
        return replace(self, t1=self.t1 if t1 is None else t1, t2=self.t2 if t2 is None else t2)


class TimerSet:
    """The armed timers of one state machine, behind at most one clock handle.

    ``fire(*args, name)`` is called on the loop thread, under ``lock``, when a timer
    expires and is still current.  Thread-safe as long as callers hold the same
    lock (the owning transaction's) while calling ``set``/``clear``/``clear_all``.

    Timers are deadlines in a dict; one ``call_later`` handle is armed for the
    earliest of them (lazily: ``clear`` and a later ``set`` touch only the
    dict; a handle that fires with nothing due re-arms for the next deadline).
    A transaction's typical life (retransmission + fr timers armed, both
    cleared by a reply, a wait timer armed) so costs one or two clock handles
    instead of one per timer plus their cancellations.  Each handle carries a
    token: a callback that another thread already took off the loop's queue
    when its handle was replaced is ignored (``handle.cancel()`` cannot stop it).
    """

    __slots__ = ("_call_later", "_now", "_fire", "_args", "_due", "_handle", "_when", "_token",
                 "_lock", "_queue")

    #: a handle firing this early (loop clock granularity) still counts as due
    SLACK = 0.001

    def __init__(self, call_later: Callable[..., Any], fire: Callable[[str], None],
                 lock: Any = None, now: Callable[[], float] | None = None,
                 args: tuple = (), queue: "TimerQueue | None" = None) -> None:
        self._call_later = call_later
        if now is None:
            owner = getattr(call_later, "__self__", None)
            now = getattr(owner, "now", None) or time.monotonic
        self._now = now
        self._fire = fire     # fire(*args, name): no closure (and no cell) per set
        self._args = args
        self._lock = lock  # the transaction's lock, held while checking and firing
        self._due: dict[str, float] = {}
        self._handle: Any = None
        self._when = _INF
        self._token = 0
        self._queue = queue    # shared deadline heap (tm's); None: one clock handle per set

    def set(self, name: str, delay: float) -> None:
        """Arm ``name`` after ``delay`` seconds, replacing an armed one."""
        if delay < 0.0:
            delay = 0.0
        when = self._now() + delay
        self._due[name] = when
        if when < self._when:
            self._arm(when, delay)

    def _arm(self, when: float, delay: float) -> None:
        if self._queue is not None:
            self._token += 1
            self._when = when
            self._queue.push(when, self, self._token)
            return
        old = self._handle
        if old is not None:
            old.cancel()
        self._token += 1
        self._when = when
        self._handle = self._call_later(delay, self._expired, self._token)

    def clear(self, name: str) -> None:
        """Disarm ``name`` if armed (its handle, if any, fires and finds nothing due)."""
        self._due.pop(name, None)

    def clear_all(self) -> None:
        """Disarm everything (the machine terminated)."""
        self._due.clear()
        self._when = _INF
        self._token += 1       # a queued entry / queued callback is now stale
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def dispose(self) -> None:
        """Disarm everything and drop the callback (the transaction is freed).

        The callback closes over the transaction that owns this set, a
        reference cycle; dropping it lets reference counting free the whole
        transaction at once instead of leaving it to the cyclic GC, whose
        full collections stall the loop for hundreds of ms under load.
        """
        self.clear_all()
        self._fire = _ignore
        self._args = ()
        self._lock = None

    def armed(self) -> list[str]:
        """Names of the armed timers (for tests and leak checks)."""
        return sorted(self._due)

    def _expired(self, token: int) -> None:
        if self._lock is None:
            self._expired_locked(token)
            return
        with self._lock:
            self._expired_locked(token)

    def _expired_locked(self, token: int) -> None:
        if token != self._token:
            return  # replaced or cleared after this callback was queued
        self._handle = None
        self._when = _INF
        due = self._due
        if due:
            now = self._now() + self.SLACK
            ready = [(w, n) for n, w in due.items() if w <= now]
            if ready:
                if len(ready) > 1:
                    ready.sort()
                for w, name in ready:
                    # an earlier callback of this batch may have cleared or re-armed it
                    if due.get(name) == w:
                        del due[name]
                        self._fire(*self._args, name)
        if due:
            when = min(due.values())
            if when < self._when:
                self._arm(when, max(0.0, when - self._now()))


_INF = float("inf")


class TimerQueue:
    """One deadline heap for all of tm's TimerSets, behind one clock handle.

    ``push(when, timerset, token)`` adds an entry; the clock handle is armed
    for the earliest entry and replaced only when an earlier one comes.  On
    expiry every due entry is popped (under the queue lock) and then handed
    to its set's ``_expired(token)`` (outside the queue lock: the set takes its
    transaction's lock, so the order is never "txn lock, then queue lock"
    *while* firing).  A stale entry (its set re-armed or cleared since) is
    ignored by the set's token check.  Compared with a ``call_later`` per
    timer this allocates one tuple per arm instead of a clock handle (and, on
    the event loop, an asyncio handle) and never cancels anything.
    """

    __slots__ = ("_call_later", "_now", "_heap", "_lock", "_handle", "_when", "_token", "_seq")

    def __init__(self, call_later: Callable[..., Any], now: Callable[[], float]) -> None:
        self._call_later = call_later
        self._now = now
        self._heap: list[tuple[float, int, Any, int]] = []
        self._lock = threading.Lock()
        self._handle: Any = None
        self._when = _INF
        self._token = 0
        self._seq = itertools.count()

    def push(self, when: float, ts: Any, token: int) -> None:
        with self._lock:
            heapq.heappush(self._heap, (when, next(self._seq), ts, token))
            if when < self._when:
                self._arm_locked(when)

    def _arm_locked(self, when: float) -> None:
        old = self._handle
        if old is not None:
            old.cancel()
        self._token += 1
        self._when = when
        self._handle = self._call_later(max(0.0, when - self._now()), self._run, self._token)

    def _run(self, token: int) -> None:
        heap = self._heap
        with self._lock:
            if token != self._token:
                return          # replaced by an earlier handle after it was queued
            self._handle = None
            self._when = _INF
            limit = self._now() + TimerSet.SLACK
            due = []
            while heap and heap[0][0] <= limit:
                entry = heapq.heappop(heap)
                due.append((entry[2], entry[3]))
            if heap:
                self._arm_locked(heap[0][0])
        for ts, tok in due:
            if ts._token == tok:
                ts._expired(tok)

    def __len__(self) -> int:
        return len(self._heap)

    def clear(self) -> None:
        """Drop every entry and the clock handle (shutdown)."""
        with self._lock:
            self._heap.clear()
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            self._when = _INF
            self._token += 1


def _ignore(name: str) -> None:
    """Callback of a disposed TimerSet: a late expiry does nothing."""

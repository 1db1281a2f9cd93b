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
                 "_lock", "_queue", "_slot", "_stale")

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
        self._queue = queue    # shared timer wheel (tm's); None: one clock handle per set
        self._slot: int | None = None   # the queue's slot this set waits in (queue lock)
        self._stale = False   # discard() took the timer the set waits for; settle() moves it

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
            self._when = when
            self._queue.push(when, self)
            return
        old = self._handle
        if old is not None:
            old.cancel()
        self._token += 1
        self._when = when
        self._handle = self._call_later(delay, self._expired, self._token)

    def clear(self, name: str) -> None:
        """Disarm ``name`` if armed.

        Behind the shared queue, clearing the timer the set waits for moves
        the set to its next deadline (or out of the queue) at once: a wake-up
        that would find nothing due costs more than the move.  With a clock
        handle per set the handle just fires and finds nothing due.
        """
        self.discard(name)
        self.settle()

    def discard(self, name: str) -> None:
        """Disarm ``name`` without moving the set in the queue yet (see ``settle``).

        When: the glue performs a machine's action list, which usually clears
        two or three timers and arms one (a provisional: A, B off, C on; a
        final reply: A/B/C or E/F off, a wait timer on).  Moving the set to its
        next deadline after each clear costs a queue operation (lock, dicts,
        heap) per clear; ``settle()`` after the list makes one move at most.
        Until then the set may wait in a slot earlier than its next deadline,
        which is harmless: a wake-up that finds nothing due re-arms.
        """
        when = self._due.pop(name, None)
        if when is not None and when == self._when and self._queue is not None:
            self._stale = True

    def discard_each(self, names: str) -> None:
        """``discard`` every one-letter timer name in ``names``, then ``settle``.

        When: a machine sharing the set terminated (the others' timers stay).
        Usually its timers are gone already, so this only tests membership.
        """
        due = self._due
        if not due:
            return
        for name in names:
            if name in due:
                self.discard(name)
        self.settle()

    def settle(self) -> None:
        """Move the set to its next deadline after ``discard`` calls (one queue op)."""
        if not self._stale:
            return
        self._stale = False
        due = self._due
        if due:
            when = min(due.values())
            if when != self._when:
                self._when = when
                self._queue.push(when, self)
        elif self._when != _INF or self._slot is not None:
            self._when = _INF
            self._queue.remove(self)

    def clear_all(self) -> None:
        """Disarm everything (the machine terminated)."""
        self._due.clear()
        self._when = _INF
        self._stale = False
        self._token += 1       # a queued callback is now stale
        if self._slot is not None:
            self._queue.remove(self)
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
        if len(due) == 1:
            # the usual case (a wait timer, the only one left): no batch to sort
            for name, w in due.items():
                break
            if w <= self._now() + self.SLACK:
                del due[name]
                self._fire(*self._args, name)
        elif due:
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
    """One timer queue for all of tm's TimerSets, behind one clock handle.

    Each TimerSet waits in at most one *slot* (its earliest deadline rounded
    up to ``RESOLUTION``, 1/128 s); ``push`` moves it there, ``remove`` takes
    it out.  So a transaction that ends leaves nothing behind: a heap with
    lazy deletion kept every cleared 30-120 s fr timer, and its TimerSet,
    in memory until that time.  A heap of slot numbers (ints, few) finds
    the earliest busy slot; the one clock handle is armed for the earliest
    exact deadline in it, and replaced only when an earlier one comes, so
    timers fire on time, not on slot edges.  On expiry every due set is
    handed to its ``_expired`` outside the queue lock (the set takes its
    transaction's lock, so the order is never "txn lock, then queue lock"
    while firing).
    """

    __slots__ = ("_call_later", "_now", "_slots", "_heap", "_lock", "_handle", "_armed",
                 "_token")

    #: slot length in seconds (a power of two: exact in binary floating point)
    RESOLUTION = 1.0 / 128
    _PER_SECOND = 128

    def __init__(self, call_later: Callable[..., Any], now: Callable[[], float]) -> None:
        self._call_later = call_later
        self._now = now
        self._slots: dict[int, dict[Any, None]] = {}   # slot -> the sets waiting in it
        self._heap: list[int] = []                     # busy slots (a slot may be gone)
        self._lock = threading.Lock()
        self._handle: Any = None
        self._armed = _INF          # the deadline the clock handle is armed for
        self._token = 0

    def push(self, when: float, ts: Any) -> None:
        """Make ``ts`` wait for ``when`` (its ``_when``), moving it if it waits elsewhere."""
        slot = -int(-when * self._PER_SECOND // 1)      # ceil without a math call
        with self._lock:
            old = ts._slot
            slots = self._slots
            if old != slot:
                if old is not None:
                    bucket = slots.get(old)
                    if bucket is not None:
                        bucket.pop(ts, None)
                        if not bucket:
                            del slots[old]
                bucket = slots.get(slot)
                if bucket is None:
                    slots[slot] = {ts: None}
                    heapq.heappush(self._heap, slot)
                else:
                    bucket[ts] = None
                ts._slot = slot
            if when < self._armed:
                self._arm_locked(when)

    def remove(self, ts: Any) -> None:
        """Take ``ts`` out of its slot (its timers were cleared)."""
        with self._lock:
            old = ts._slot
            if old is None:
                return
            ts._slot = None
            bucket = self._slots.get(old)
            if bucket is not None:
                bucket.pop(ts, None)
                if not bucket:
                    del self._slots[old]

    def _arm_locked(self, when: float) -> None:
        old = self._handle
        if old is not None:
            old.cancel()
        self._token += 1
        self._armed = when
        delay = when - self._now()
        self._handle = self._call_later(delay if delay > 0.0 else 0.0, self._run, self._token)

    def _run(self, token: int) -> None:
        heap = self._heap
        slots = self._slots
        due: list[Any] = []
        with self._lock:
            if token != self._token:
                return          # replaced by an earlier handle after it was queued
            self._handle = None
            self._armed = _INF
            # a handle may fire a hair early (loop clock granularity): SLACK
            limit = self._now() + TimerSet.SLACK
            whole = limit * self._PER_SECOND
            while heap:
                slot = heap[0]
                bucket = slots.get(slot)
                if bucket is None:
                    heapq.heappop(heap)          # emptied by remove()
                    continue
                if slot <= whole:                # every set in it is due
                    heapq.heappop(heap)
                    del slots[slot]
                    for ts in bucket:
                        ts._slot = None
                    due.extend(bucket)
                    continue
                for ts in [ts for ts in bucket if ts._when <= limit]:
                    del bucket[ts]
                    ts._slot = None
                    due.append(ts)
                if not bucket:
                    heapq.heappop(heap)
                    del slots[slot]
                    continue
                break
            while heap and heap[0] not in slots:
                heapq.heappop(heap)
            if heap:
                self._arm_locked(min(ts._when for ts in slots[heap[0]]))
        for ts in due:
            ts._expired(ts._token)

    def __len__(self) -> int:
        """Number of sets waiting (tests, leak checks)."""
        with self._lock:
            return sum(len(b) for b in self._slots.values())

    def clear(self) -> None:
        """Drop every entry and the clock handle (shutdown)."""
        with self._lock:
            for bucket in self._slots.values():
                for ts in bucket:
                    ts._slot = None
            self._slots.clear()
            self._heap.clear()
            if self._handle is not None:
                self._handle.cancel()
                self._handle = None
            self._armed = _INF
            self._token += 1


def _ignore(name: str) -> None:
    """Callback of a disposed TimerSet: a late expiry does nothing."""

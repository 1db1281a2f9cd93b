"""TimerSet behind tm's shared TimerQueue: lazy arming, stale entries, order."""
from __future__ import annotations

import threading

from siprouter.core.env import ManualClock
from siprouter.modules.tm.timers import TimerQueue, TimerSet


def _set(clock: ManualClock, queue: TimerQueue, fired: list, tag: str = "") -> TimerSet:
    return TimerSet(clock.call_later, lambda *a: fired.append((tag, a[-1], clock.now())),
                    threading.RLock(), clock.now, (), queue=queue)


def test_one_clock_handle_for_many_sets_and_lazy_clear():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    sets = [_set(clock, q, fired, str(i)) for i in range(50)]
    for ts in sets:
        ts.set("A", 0.5)
        ts.set("B", 30.0)        # later than A: no new queue entry
    assert clock.pending() == 1 and len(q) == 50
    for ts in sets[1:]:
        ts.clear("A")            # lazy: nothing cancelled
        ts.clear("B")
        ts.set("M", 5.0)         # later than the armed A entry: nothing pushed
    assert len(q) == 50
    clock.advance(0.5)
    assert fired == [("0", "A", 0.5)]
    clock.advance(4.5)            # the early entries re-armed for M
    assert sorted(t for t, n, w in fired if n == "M") == sorted(str(i) for i in range(1, 50))
    assert all(w == 5.0 for t, n, w in fired if n == "M")
    assert [ts.armed() for ts in sets[1:]] == [[]] * 49 and sets[0].armed() == ["B"]
    clock.advance(25.0)
    assert fired[-1] == ("0", "B", 30.0)
    assert clock.pending() == 0 and len(q) == 0


def test_earlier_set_rearms_and_stale_entries_are_ignored():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    ts = _set(clock, q, fired)
    ts.set("F", 30.0)
    ts.set("A", 0.5)             # earlier: a new entry, the 30 s one goes stale
    ts.set("A", 1.0)             # re-armed later: the 0.5 entry fires and finds nothing due
    clock.advance(0.6)
    assert fired == []
    clock.advance(0.5)
    assert [n for _, n, _ in fired] == ["A"]
    ts.clear_all()
    clock.advance(60)
    assert [n for _, n, _ in fired] == ["A"]


def test_callback_rearming_keeps_the_earliest_deadline():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    ts: TimerSet

    def fire(name: str) -> None:
        fired.append((name, clock.now()))
        if name == "A":
            ts.set("X", 10.0)    # later than the pending M: M must still fire at 5

    ts = TimerSet(clock.call_later, fire, threading.RLock(), clock.now, queue=q)
    ts.set("M", 5.0)
    ts.set("A", 0.5)
    clock.advance(20)
    assert fired == [("A", 0.5), ("M", 5.0), ("X", 10.5)]


def test_disposed_set_never_fires_and_same_instant_order():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    a, b = _set(clock, q, fired, "a"), _set(clock, q, fired, "b")
    a.set("G", 1.0)
    a.set("H", 1.0)
    b.set("L", 1.0)
    b.dispose()
    clock.advance(2)
    assert [(t, n) for t, n, _ in fired] == [("a", "G"), ("a", "H")]


class _CountingSet(TimerSet):
    """A TimerSet that records every wake-up the queue gives it."""

    __slots__ = ("wakeups",)

    def _expired(self, token: int) -> None:
        self.wakeups += 1
        super()._expired(token)


def test_clearing_the_awaited_timer_moves_the_set_without_a_wakeup():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    ts = _CountingSet(clock.call_later, lambda *a: fired.append((a[-1], clock.now())),
                      threading.RLock(), clock.now, (), queue=q)
    ts.wakeups = 0
    ts.set("A", 0.5)
    ts.set("F", 30.0)
    ts.clear("A")                  # the set now waits for F, not for A
    assert ts._when == 30.0 and len(q) == 1
    clock.advance(1.0)
    assert fired == [] and ts.wakeups == 0      # no wake-up at 0.5 s finding nothing due
    ts.clear("F")                  # nothing left: the set leaves the queue
    assert len(q) == 0 and ts._slot is None
    clock.advance(60.0)
    assert fired == [] and ts.wakeups == 0
    ts.set("K", 5.0)
    clock.advance(5.0)
    assert fired == [("K", 66.0)] and ts.wakeups == 1


def test_a_finished_transaction_leaves_nothing_in_the_queue():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    sets = [_set(clock, q, fired, str(i)) for i in range(100)]
    for ts in sets:
        ts.set("A", 0.5)
        ts.set("B", 120.0)
    for ts in sets:
        ts.clear_all()             # e.g. the 200 OK terminated the client transaction
    assert len(q) == 0 and q._slots == {}
    clock.advance(200.0)
    assert fired == []


def test_discard_then_settle_moves_the_set_once():
    pushes: list = []

    class CountingQueue(TimerQueue):
        def push(self, when: float, ts: object) -> None:
            pushes.append(when)
            super().push(when, ts)

    clock = ManualClock(0.0)
    q = CountingQueue(clock.call_later, clock.now)
    fired: list = []
    ts = _set(clock, q, fired)
    ts.set("A", 0.5)
    ts.set("B", 30.0)
    del pushes[:]
    # a provisional reply: A and B off, C on -- one queue move, for C
    ts.discard("A")
    ts.discard("B")
    ts.set("C", 120.0)
    ts.settle()
    assert pushes == [120.0] and ts.armed() == ["C"] and len(q) == 1
    # a final reply: C off, M on (earlier: pushed by set, settle has nothing to do)
    ts.discard("C")
    ts.set("M", 5.0)
    ts.settle()
    assert pushes == [120.0, 5.0] and ts.armed() == ["M"]
    clock.advance(5.0)
    assert [(n, w) for _, n, w in fired] == [("M", 5.0)]
    assert len(q) == 0 and clock.pending() == 0


def test_discard_of_every_timer_takes_the_set_out_and_no_settle_is_harmless():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    ts = _set(clock, q, fired)
    ts.set("E", 0.5)
    ts.set("F", 32.0)
    ts.discard("E")
    ts.discard("F")
    assert len(q) == 1           # not moved yet
    ts.settle()
    assert len(q) == 0 and ts.armed() == []
    # without settle the set waits in an early slot: the wake-up finds nothing due
    # and re-arms for the real deadline
    ts.set("E", 0.5)
    ts.set("F", 32.0)
    ts.discard("E")
    clock.advance(1.0)
    assert fired == [] and ts.armed() == ["F"] and len(q) == 1
    clock.advance(31.0)
    assert [(n, w) for _, n, w in fired] == [("F", 32.0)]


def test_discard_each_keeps_the_other_machines_timers():
    clock = ManualClock(0.0)
    q = TimerQueue(clock.call_later, clock.now)
    fired: list = []
    ts = _set(clock, q, fired)
    ts.set("G", 0.5)             # the server machine's
    ts.set("M0", 5.0)            # a branch's wait timer in the same set
    ts.discard_each("GHIJL")
    assert ts.armed() == ["M0"] and len(q) == 1
    clock.advance(1.0)
    assert fired == []
    clock.advance(4.0)
    assert [(n, w) for _, n, w in fired] == [("M0", 5.0)]
    ts.discard_each("GHIJL")     # nothing armed: nothing to do
    assert len(q) == 0

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

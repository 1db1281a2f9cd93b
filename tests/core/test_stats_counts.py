"""Stats values stay exact under mixed inc/dec/set/reset and concurrent increments (core/stats.py)."""
from __future__ import annotations

import threading

import pytest

from siprouter.core.stats import Stats, UnknownStatError


def test_mixed_updates_add_up():
    stats = Stats()
    stats.declare("m", "a")
    assert [stats.inc("m", "a") for _ in range(3)] == [1, 2, 3]
    assert stats.inc("m", "a", 10) == 13
    assert stats.dec("m", "a", 4) == 9
    assert stats.inc("m", "a", 0) == 9
    assert stats.get("m", "a") == 9
    stats.set("m", "a", 100)
    assert stats.get("m", "a") == 100 and stats.inc("m", "a") == 101
    stats.reset("m")
    assert stats.get("m", "a") == 0 and stats.inc("m", "a") == 1
    assert stats.snapshot() == {"m": {"a": 1}}


def test_declare_twice_keeps_value_and_unknown_raises():
    stats = Stats()
    stats.declare("m", "a")
    stats.inc("m", "a")
    stats.declare("m", "a", "doc")
    assert stats.get("m", "a") == 1
    with pytest.raises(UnknownStatError):
        stats.inc("m", "b")
    with pytest.raises(UnknownStatError):
        stats.inc("m", "b", 2)
    assert not stats._lock.locked()


def test_reset_one_module_only():
    stats = Stats()
    stats.declare("m", "a")
    stats.declare("n", "a")
    stats.inc("m", "a")
    stats.inc("n", "a")
    stats.reset("m")
    assert stats.snapshot() == {"m": {"a": 0}, "n": {"a": 1}}


def test_concurrent_increments_are_not_lost():
    """+1 from several threads (tm counts from async workers too) stays exact."""
    stats = Stats()
    stats.declare("m", "a")
    per_thread, threads = 20_000, 4

    def work() -> None:
        inc = stats.inc
        for i in range(per_thread):
            inc("m", "a")
            if i % 1000 == 0:
                inc("m", "a", 2)
                inc("m", "a", -2)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert stats.get("m", "a") == per_thread * threads

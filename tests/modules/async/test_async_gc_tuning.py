"""The server's GC schedule (core/server.py ``_tune_gc``), as the async bench needs it.

Regression for the cause found with bench/async: with only ``gc_threshold =
50000`` each young collection met seconds' worth of calls at once and paused
the loop 20-250 ms, and middle passes over the live calls 1-76 ms; ``_tune_gc``
now runs young passes from a loop timer every ``gc_interval_ms``, freezes the
survivors every ``freeze_every`` ticks so no pass walks them again, and
reclaims the cycles that outlived their young pass with a full pass every
``full_every`` ticks (no garbage stranded for good).
"""
from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from siprouter.core import server as srv
from siprouter.core.config import CORE_PARAM_INDEX


class Node:
    def __init__(self) -> None:
        self.other: "Node | None" = None


def _cycle() -> weakref.ref:
    """A two-object reference cycle nobody references; its weakref dies when collected."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def gc_state():
    """Put Python's GC back as it was (thresholds, frozen objects, enabled)."""
    old = gc.get_threshold()
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*old)
    (gc.enable if enabled else gc.disable)()


async def _wait_dead(ref: weakref.ref, seconds: float) -> bool:
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        if ref() is None:
            return True
        await asyncio.sleep(0.005)
    return ref() is None


def test_ticks_collect_young_cycles_long_before_the_threshold(gc_state):
    async def main() -> tuple[bool, tuple]:
        srv._tune_gc(10**7, 10)                 # threshold never reached in this test
        refs = [_cycle() for _ in range(300)]   # > the 200 new objects a tick waits for
        dead = all([await _wait_dead(r, 1.0) for r in refs])
        return dead, gc.get_threshold()
    dead, threshold = asyncio.run(main())
    assert dead
    assert threshold == (10**7, 1 << 30, 1 << 30)   # Python's middle/full passes off


def test_without_ticks_only_the_threshold_collects(gc_state):
    async def main() -> bool:
        srv._tune_gc(10**7, 0)
        refs = [_cycle() for _ in range(300)]
        await asyncio.sleep(0.2)
        return any(r() is not None for r in refs)
    assert asyncio.run(main())                  # still there: nothing collected them
    assert gc.get_threshold() == (10**7, 50, 100)


def test_cycles_that_outlived_their_young_pass_are_collected_by_the_full_pass(gc_state):
    async def main() -> tuple[bool, bool]:
        srv._tune_gc(10**7, 5, freeze_every=2, full_every=40)   # full pass after 0.2 s
        a, b = Node(), Node()
        a.other, b.other = b, a
        ref = weakref.ref(a)
        gc.collect(0)                           # survives a young pass: the next freeze keeps it
        del a, b
        await asyncio.sleep(0.05)
        frozen_meanwhile = ref() is not None and gc.get_freeze_count() > 0
        return frozen_meanwhile, await _wait_dead(ref, 2.0)
    frozen_meanwhile, dead = asyncio.run(main())
    assert frozen_meanwhile and dead


def test_survivors_are_frozen_so_young_passes_stay_small(gc_state):
    async def main() -> int:
        srv._tune_gc(10**7, 5, freeze_every=2, full_every=10**6)
        live = [[Node() for _ in range(50)] for _ in range(100)]   # like calls in progress
        before = gc.get_freeze_count()
        await asyncio.sleep(0.1)                # a few ticks: young pass, then freeze
        grown = gc.get_freeze_count() - before
        del live
        return grown
    assert asyncio.run(main()) >= 100 * 50     # the live objects left the generations


def test_threshold_zero_keeps_pythons_settings(gc_state):
    gc.set_threshold(700, 10, 10)
    srv._tune_gc(0, 20)
    assert gc.get_threshold() == (700, 10, 10)


def test_gc_interval_ms_is_a_core_parameter_with_bounds():
    p = CORE_PARAM_INDEX["gc_interval_ms"]
    assert p.type is int and p.default == 20 and p.min == 0 and p.max == 1000

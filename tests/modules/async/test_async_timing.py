"""Resume precision on a real event loop: N s within 20 ms, ms variants within 5 ms, under load.

The bounds are on the 99th percentile; the maximum gets a wider bound because
the test machine is shared (other test runs) and a thread may wait one GIL
switch interval (5 ms) for the CPU.
"""
from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest

from async_fakes import FakeCtx, FakeEnv, FakeMsg, async_module, function
from siprouter.core.async_workers import WorkerGroups

async_route = function("async_route")
async_ms_route = function("async_ms_route")


class LoopEnv(FakeEnv):
    """FakeEnv whose timers run on a real asyncio loop in a background thread."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call_later(self, delay, fn, *args):
        if threading.current_thread() is self.thread:
            return self.loop.call_later(delay, fn, *args)
        box = {}
        ready = threading.Event()

        def arm():
            box["h"] = self.loop.call_later(delay, fn, *args)
            ready.set()
        self.loop.call_soon_threadsafe(arm)
        ready.wait(1)
        return box["h"]

    def now(self):
        return time.monotonic()

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(2)
        self.loop.close()


def _traffic(env, stop):
    """Load the loop like ~1000 messages/s of ~100 µs routing each (≈10-20 % CPU)."""
    def tick():
        if stop.is_set():
            return
        sum(range(3000))                      # ~100 µs of "routing"
        env.loop.call_later(0.001, tick)
    env.loop.call_soon_threadsafe(tick)


@pytest.fixture
def loop_env():
    envs = []

    def make(**kw):
        core = {"async_workers": 2}
        env = LoopEnv(core=core, workers=WorkerGroups.from_core(core), **kw)
        env.workers.start()
        async_module().mod_init(env)
        envs.append(env)
        return env
    yield make
    for env in envs:
        async_module().destroy(env)
        env.workers.stop(2)
        env.close()


def _run(env, fn, name, value, n, expected, spacing=0.002):
    """n suspensions, one every ``spacing`` s (500/s) while the loop is kept busy."""
    done = threading.Semaphore(0)
    errors = []
    start = {}

    def route(c):
        errors.append(time.monotonic() - start[c.msg.call_id] - expected)
        env.tm.t_reply(c, 404, "x")
        done.release()
        return 1

    env.script.routes[name] = route
    stop = threading.Event()
    _traffic(env, stop)
    rcs = []

    def receive(i):              # like a request routed on the loop thread
        ctx = FakeCtx(FakeMsg("INVITE", f"c{i}"), env)
        start[f"c{i}"] = time.monotonic()
        rcs.append(fn(ctx, name, value))

    for i in range(n):
        env.loop.call_soon_threadsafe(receive, i)
        time.sleep(spacing)
    for _ in range(n):
        assert done.acquire(timeout=expected + 2)
    stop.set()
    assert rcs == [0] * n
    return sorted(errors)


def _within(env, fn, value, expected, p99_bound, max_bound, attempts=2):
    """Measure; on a shared, overloaded machine one noisy run may be retried once."""
    msg = ""
    for _ in range(attempts):
        errs = _run(env, fn, "R", value, 300, expected)
        assert errs[0] >= -0.001, "resumed early"
        p99 = errs[int(len(errs) * 0.99)]
        msg = f"p50={errs[len(errs)//2]*1000:.2f}ms p99={p99*1000:.2f}ms max={errs[-1]*1000:.2f}ms"
        if p99 < p99_bound and errs[-1] < max_bound:
            return msg
    load = os.getloadavg()[0]
    if load > (os.cpu_count() or 1):
        pytest.skip(f"machine overloaded (load average {load:.1f}): timing not measurable ({msg})")
    raise AssertionError(msg)


@pytest.mark.slow
def test_seconds_resume_within_20ms_under_load(loop_env):
    env = loop_env(params={"workers": 2})
    _within(env, async_route, 1, 1.0, 0.020, 0.050)


@pytest.mark.slow
def test_ms_resume_within_5ms_under_load(loop_env):
    env = loop_env(params={"workers": 2, "ms_timer": 10})
    _within(env, async_ms_route, 250, 0.25, 0.005, 0.020)

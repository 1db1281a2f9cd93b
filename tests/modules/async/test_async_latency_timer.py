"""Resume lateness statistics, the module's own timer thread, and the hand-off tuning.

Regression tests for the causes found with bench/async at 300 calls/s:
* resumes waited for the busy event loop to run their timer (now a timer thread);
* a full core queue could make a timer callback wait (now ``submit(wait=False)``);
* the lateness was only visible through SIPp (now measured in the server).
"""
from __future__ import annotations

import asyncio
import sys
import threading
import time

import pytest

from async_fakes import FakeCtx, FakeEnv, FakeMsg, async_module, function, wait_for
from siprouter.core.async_workers import (GIL_SWITCH_INTERVAL, GroupConfig, WorkerGroup,
                                          WorkerGroups, shorten_switch_interval)

async_route = function("async_route")
async_ms_route = function("async_ms_route")
async_task_route = function("async_task_route")
latency = __import__("importlib").import_module("siprouter.modules.async.latency")
timer = __import__("importlib").import_module("siprouter.modules.async.timer")


# -- LatencyHistogram ----------------------------------------------------------------
def test_histogram_percentiles_min_max_and_reset():
    h = latency.LatencyHistogram()
    assert h.summary()["n"] == 0 and h.percentile(0.5) is None
    for ms in range(100):                      # 0.0, 1.0, ... 99.0 ms
        h.add(ms / 1000.0 + 0.00001)
    s = h.summary()
    assert s["n"] == 100
    # the 50th / 99th smallest samples are 49.01 and 98.01 ms: upper edges of their 0.1 ms buckets
    assert s["p50_ms"] == pytest.approx(49.1)
    assert s["p99_ms"] == pytest.approx(98.1)
    assert s["max_ms"] == pytest.approx(99.0, abs=0.02)
    h.add(-0.0008)                             # a timer that fired 0.8 ms early
    h.add(5.0)                                 # beyond the last bucket: kept as max
    s = h.summary()
    assert s["min_ms"] == pytest.approx(-0.8) and s["max_ms"] == pytest.approx(5000.0)
    assert h.percentile(1.0) == pytest.approx(5000.0)
    h.reset()
    assert h.summary()["n"] == 0


def test_histogram_is_thread_safe():
    h = latency.LatencyHistogram()

    def add():
        for _ in range(2000):
            h.add(0.001)
    threads = [threading.Thread(target=add) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert h.summary()["n"] == 8000 and h.summary()["p99_ms"] == pytest.approx(1.1)


# -- the engine records lateness (fake clock: exact) --------------------------------------
def _engine():
    return async_module().runtime.engine


def test_timer_resume_lateness_is_measured_against_suspend_plus_delay(make_env):
    env = make_env()
    env.script.routes["R"] = lambda c: env.tm.t_reply(c, 404, "x")
    ctx = FakeCtx(FakeMsg("INVITE", "c1"), env)
    assert async_route(ctx, "R", 2) == 0
    env.clock.advance(2.0)                  # fires at its due time; the route starts on a worker
    assert wait_for(lambda: ctx.txn.final_code == 404)
    s = _engine().stats()["latency"]
    assert s["timer"]["n"] == 1 and s["fire"]["n"] == 1
    assert 0 <= s["timer"]["max_ms"] < 1 and s["task"]["n"] == 0


def test_task_dispatch_latency_is_measured(make_env):
    env = make_env()
    started = threading.Event()
    env.script.routes["T"] = lambda c: (started.set(), env.tm.t_reply(c, 404, "x"))[1]
    ctx = FakeCtx(FakeMsg("INVITE", "c2"), env)
    assert async_task_route(ctx, "T") == 0
    assert started.wait(2)
    assert wait_for(lambda: _engine().stats()["latency"]["task"]["n"] == 1)
    assert _engine().latency_fields()["late_task_n"] == 1


def test_rpc_latency_returns_and_resets(make_env):
    env = make_env()
    env.script.routes["T"] = lambda c: env.tm.t_reply(c, 404, "x")
    assert async_task_route(FakeCtx(FakeMsg("INVITE", "c3"), env), "T") == 0
    assert wait_for(lambda: _engine().latency["task"].count == 1)
    mod = async_module()
    assert mod.rpc_latency()["task"]["n"] == 1              # read only
    assert mod.rpc_latency("reset")["task"]["n"] == 1       # read, then start over
    assert mod.rpc_latency()["task"]["n"] == 0


# -- ResumeTimer ------------------------------------------------------------------------
def _collect_timer():
    fired: list[tuple[str, float]] = []
    done = threading.Semaphore(0)

    def fire(entry):
        fired.append((entry, time.monotonic()))
        done.release()
    return timer.ResumeTimer(time.monotonic, fire), fired, done


def test_timer_fires_in_due_order_and_never_early():
    t, fired, done = _collect_timer()
    try:
        now = time.monotonic()
        dues = {"c": now + 0.06, "a": now + 0.02, "b": now + 0.04}
        for name, due in dues.items():
            t.schedule(due, name)
        for _ in dues:
            assert done.acquire(timeout=2)
        assert [n for n, _ in fired] == ["a", "b", "c"]
        for name, at in fired:
            assert at >= dues[name]                          # never before its time
            assert at - dues[name] < 0.05                    # and not long after (shared CI box)
    finally:
        t.stop()


def test_an_earlier_entry_wakes_the_sleeping_timer():
    t, fired, done = _collect_timer()
    try:
        t.schedule(time.monotonic() + 5.0, "late")           # the thread now sleeps ~5 s
        due = time.monotonic() + 0.02
        t.schedule(due, "soon")
        assert done.acquire(timeout=1)                       # not after 5 s
        assert fired[0][0] == "soon" and len(t) == 1
    finally:
        t.stop()


def test_a_raising_callback_does_not_stop_the_timer():
    seen = []

    def fire(entry):
        seen.append(entry)
        if entry == "bad":
            raise RuntimeError("boom")
    t = timer.ResumeTimer(time.monotonic, fire)
    try:
        t.schedule(time.monotonic(), "bad")
        t.schedule(time.monotonic() + 0.01, "good")
        assert wait_for(lambda: seen == ["bad", "good"])
    finally:
        t.stop()


def test_stop_drops_pending_entries_and_refuses_new_ones():
    t, fired, _ = _collect_timer()
    t.schedule(time.monotonic() + 0.05, "x")
    t.stop()
    time.sleep(0.1)
    assert fired == [] and len(t) == 0
    with pytest.raises(RuntimeError):
        t.schedule(time.monotonic(), "y")


# -- with a real event loop the resume does not wait for the loop -------------------------
class BusyLoopEnv(FakeEnv):
    """FakeEnv on a real asyncio loop (``env.loop`` set, as on the server)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call_later(self, delay, fn, *args):
        """The loop's own timers (what resumes used before the timer thread)."""
        done = threading.Event()
        box = {}

        def arm():
            box["h"] = self.loop.call_later(delay, fn, *args)
            done.set()
        self.loop.call_soon_threadsafe(arm)
        done.wait(1)
        return box["h"]

    def now(self):
        return time.monotonic()

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(2)
        self.loop.close()


@pytest.mark.parametrize("ms", [False, True])
def test_resume_starts_on_time_while_the_event_loop_is_blocked(ms):
    """Regression: timers on the event loop started resumes only when the loop got
    round to them (bench: most of a 5-20 ms p99 resume error).  The timer thread
    does not wait for the loop: here the loop is blocked for 0.4 s around the
    due time and the resume still starts within a few ms of it."""
    core = {"async_workers": 2}
    env = BusyLoopEnv(params={"workers": 1, "ms_timer": 10 if ms else 0}, core=core,
                      workers=WorkerGroups.from_core(core))
    env.workers.start()
    mod = async_module()
    mod.mod_init(env)
    try:
        started: list[float] = []
        env.script.routes["R"] = lambda c: (started.append(time.monotonic()),
                                            env.tm.t_reply(c, 404, "x"))[1]
        ctx = FakeCtx(FakeMsg("INVITE", "busy"), env)
        t0 = time.monotonic()
        if ms:
            assert async_ms_route(ctx, "R", 100) == 0
        else:
            assert async_route(ctx, "R", 1) == 0
        delay = 0.1 if ms else 1.0
        # block the loop from before the due time until well after it
        time.sleep(max(0.0, delay - 0.2 - (time.monotonic() - t0)))
        env.loop.call_soon_threadsafe(time.sleep, 0.4)
        assert wait_for(lambda: started, timeout=3)
        late = started[0] - (t0 + delay)
        assert -0.001 <= late < 0.1, f"resume started {late * 1000:.1f} ms after its due time"
    finally:
        mod.destroy(env)
        env.workers.stop(2)
        env.close()


def test_a_stopped_timer_revokes_the_suspension_instead_of_leaving_it_hanging():
    core = {"async_workers": 1}
    env = BusyLoopEnv(params={"workers": 1}, core=core, workers=WorkerGroups.from_core(core))
    env.workers.start()
    mod = async_module()
    mod.mod_init(env)
    try:
        env.script.routes["R"] = lambda c: 1
        mod.runtime.engine._timer.stop()
        ctx = FakeCtx(FakeMsg("INVITE", "late-shutdown"), env)
        assert async_route(ctx, "R", 1) == -1
        assert ctx.txn.state != "suspended"             # t_cancel_suspend ran
        assert len(mod.runtime.engine.table) == 0
    finally:
        mod.destroy(env)
        env.workers.stop(2)
        env.close()


# -- core worker groups: no waiting from a timer thread, GIL switch interval ------------------
def test_submit_without_wait_fails_at_once_on_a_full_blocking_queue():
    g = WorkerGroup(GroupConfig("g", 1, nonblock=False, queue_size=1), block_timeout=5.0)
    g.start()
    gate = threading.Event()
    try:
        assert g.submit(gate.wait)                     # the worker blocks on it
        assert wait_for(lambda: g.stats()["queue_depth"] == 0)
        assert g.submit(lambda: None)                  # fills the queue (size 1)
        t = time.monotonic()
        assert g.submit(lambda: None, wait=False) is False
        assert time.monotonic() - t < 0.5              # did not wait block_timeout (5 s)
        assert g.stats()["rejected"] == 1
    finally:
        gate.set()
        g.stop(2)


def test_starting_worker_threads_shortens_the_gil_switch_interval():
    old = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)                   # Python's default
        g = WorkerGroup(GroupConfig("g", 1))
        g.start()
        g.stop(2)
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL)
        sys.setswitchinterval(0.0001)                  # a smaller value set on purpose is kept
        assert shorten_switch_interval() == pytest.approx(0.0001)
    finally:
        sys.setswitchinterval(old)

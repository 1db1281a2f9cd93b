"""Core async worker groups: FIFO per group, bounded queues, errors not hangs, clean stop."""
from __future__ import annotations

import threading
import time

import pytest

from siprouter.core.async_workers import GroupConfig, WorkerGroups, current_group
from siprouter.core.config import worker_groups


def _groups(*cfgs: GroupConfig, **kw) -> WorkerGroups:
    wg = WorkerGroups(cfgs, **kw)
    wg.start()
    return wg


def test_tasks_of_one_group_start_in_submission_order():
    wg = _groups(GroupConfig("default", 1))
    seen: list[int] = []
    done = threading.Event()
    for i in range(200):
        assert wg.submit("default", lambda i=i: seen.append(i))
    assert wg.submit("default", done.set)
    assert done.wait(2)
    assert seen == list(range(200))
    assert wg.stop(2)


def test_each_group_has_its_own_queue_and_threads():
    wg = _groups(GroupConfig("default", 1), GroupConfig("db", 2))
    names: dict[str, set] = {"default": set(), "db": set()}
    got = threading.Barrier(3, timeout=2)

    def who(g):
        names[g].add(current_group())
        if g == "db":
            got.wait()      # both db workers busy at once: proof of 2 threads

    wg.submit("default", lambda: who("default"))
    wg.submit("db", lambda: who("db"))
    wg.submit("db", lambda: who("db"))
    got.wait()
    assert wg.stop(2)
    assert names == {"default": {"default"}, "db": {"db"}}
    assert current_group() is None        # this (test) thread is no async worker


def test_full_nonblocking_queue_refuses_at_once():
    wg = _groups(GroupConfig("nb", 1, nonblock=True, queue_size=2))
    gate = threading.Event()
    assert wg.submit("nb", gate.wait)        # occupies the worker
    time.sleep(0.05)
    assert wg.submit("nb", lambda: None)
    assert wg.submit("nb", lambda: None)
    t0 = time.monotonic()
    assert wg.submit("nb", lambda: None) is False
    assert time.monotonic() - t0 < 0.01
    assert wg.stats()["nb"]["rejected"] == 1
    gate.set()
    assert wg.stop(2)


def test_blocking_queue_never_blocks_the_loop_thread():
    on_loop = threading.local()
    wg = _groups(GroupConfig("b", 1, nonblock=False, queue_size=1), block_timeout=0.3,
                 is_loop_thread=lambda: getattr(on_loop, "yes", False))
    gate = threading.Event()
    wg.submit("b", gate.wait)
    time.sleep(0.05)
    assert wg.submit("b", lambda: None)      # fills the queue
    on_loop.yes = True
    t0 = time.monotonic()
    assert wg.submit("b", lambda: None) is False     # loop thread: fail, never wait
    assert time.monotonic() - t0 < 0.01
    on_loop.yes = False
    t0 = time.monotonic()
    assert wg.submit("b", lambda: None) is False     # other thread: bounded wait
    assert 0.25 < time.monotonic() - t0 < 1.0
    gate.set()
    assert wg.stop(2)


def test_blocking_queue_off_loop_waits_for_room():
    wg = _groups(GroupConfig("b", 1, queue_size=1), block_timeout=2)
    gate = threading.Event()
    wg.submit("b", gate.wait)
    time.sleep(0.05)
    wg.submit("b", lambda: None)
    threading.Timer(0.1, gate.set).start()
    assert wg.submit("b", lambda: None)      # room appears within the wait
    assert wg.stop(2)


def test_unknown_group_and_stopped_groups_refuse():
    wg = WorkerGroups([GroupConfig("default", 1)])
    assert wg.submit("default", lambda: None) is False   # not started yet
    wg.start()
    assert wg.submit("nope", lambda: None) is False
    assert wg.has_group("DEFAULT") and not wg.has_group("nope")
    assert wg.stop(1)
    assert wg.submit("default", lambda: None) is False


def test_a_raising_task_does_not_kill_its_worker():
    wg = _groups(GroupConfig("default", 1))
    done = threading.Event()
    wg.submit("default", lambda: 1 / 0)
    wg.submit("default", done.set)
    assert done.wait(2)
    st = wg.stats()["default"]
    assert st["tasks_failed"] == 1 and st["tasks_run"] >= 1
    assert wg.stop(2)


def test_stop_runs_queued_tasks_then_joins():
    wg = _groups(GroupConfig("default", 2))
    ran = []
    for i in range(20):
        wg.submit("default", lambda i=i: (time.sleep(0.005), ran.append(i)))
    assert wg.stop(5)
    assert sorted(ran) == list(range(20))


def test_stop_gives_up_after_timeout_on_a_stuck_task():
    wg = _groups(GroupConfig("default", 1))
    gate = threading.Event()
    wg.submit("default", gate.wait)
    t0 = time.monotonic()
    assert wg.stop(0.2) is False
    assert time.monotonic() - t0 < 1
    gate.set()


def test_var_dict_is_per_thread():
    """A task sees its worker thread's private state, not the submitter's."""
    local = threading.local()
    local.vars = {"x": "submitter"}
    wg = _groups(GroupConfig("default", 1))
    out = []
    wg.submit("default", lambda: out.append(getattr(local, "vars", {}).get("x")))
    assert wg.stop(2)
    assert out == [None]


def test_usleep_delays_each_task():
    wg = _groups(GroupConfig("slow", 1, usleep=50_000))
    done = threading.Event()
    t0 = time.monotonic()
    wg.submit("slow", done.set)
    assert done.wait(2)
    assert time.monotonic() - t0 >= 0.04
    assert wg.stop(2)


@pytest.mark.parametrize("core,expected", [
    ({"async_workers": 4, "async_workers_group": [{"name": "abc", "workers": 2, "nonblock": False,
                                                   "usleep": 0}]}, {"default": 4, "abc": 2}),
    ({"async_workers_group": [{"name": "abc", "workers": 2, "nonblock": False, "usleep": 0}]},
     {"default": 1, "abc": 2}),
    ({"async_workers": 4, "async_workers_group": [{"name": "default", "workers": 3, "nonblock": True,
                                                   "usleep": 0}]}, {"default": 3}),
    ({}, {}),
])
def test_from_core_uses_the_config_resolution(core, expected):
    wg = WorkerGroups.from_core(core)
    assert {n: s["workers"] for n, s in wg.stats().items()} == expected
    assert set(worker_groups(core)) == set(expected)

"""Hazard regressions: CANCEL / fr_timer / exceptions / chains / shutdown while suspended."""
from __future__ import annotations

import threading
import time

from async_fakes import FakeCtx, FakeMsg, async_module, function, thread_vars, wait_for
from siprouter.core.async_workers import GroupConfig, WorkerGroups
from siprouter.core.modsys import RouteType

async_route = function("async_route")
async_sleep = function("async_sleep")
async_ms_sleep = function("async_ms_sleep")
task_route = function("async_task_route")


def engine():
    return async_module().runtime.engine


def ctx_for(env, call_id="c1", cont=None, method="INVITE"):
    return FakeCtx(FakeMsg(method, call_id), env, cont=cont)


def test_cancel_while_suspended_gives_487_and_skips_the_route(make_env):
    env = make_env()
    ran = []
    env.script.routes["R"] = lambda c: ran.append(1) or env.tm.t_reply(c, 404, "x")
    ctx = ctx_for(env)
    async_route(ctx, "R", 2)
    env.tm.cancel(ctx.txn)
    env.clock.advance(2)
    assert wait_for(lambda: engine().stats()["canceled"] == 1)
    assert ran == [] and ctx.txn.replies[-1][0] == 487
    assert env.log.has("canceled while suspended")


def test_fr_timer_expiry_while_suspended_then_resume_is_a_logged_noop(make_env):
    env = make_env()
    ran = []
    env.script.routes["R"] = lambda c: ran.append(1) or 1
    ctx = ctx_for(env, call_id="fr-call")
    async_route(ctx, "R", 10)
    env.tm.fr_expire(ctx.txn)                   # tm: failure_route sees 408 / 408 sent
    env.clock.advance(10)
    assert wait_for(lambda: engine().stats()["expired"] == 1)
    assert ran == []
    assert env.log.find("active transaction not found")[0]["call_id"] == "fr-call"


def test_chained_suspends(make_env):
    env = make_env()
    steps = []

    def second(c):
        steps.append(("second", c.route_type))
        return env.tm.t_reply(c, 404, "Not found")

    def first(c):
        steps.append(("first", c.route_type))
        c._cont = second
        return async_sleep(c, 1)                # the resumed part suspends again

    ctx = ctx_for(env, cont=first)
    assert async_sleep(ctx, 1) == 0
    env.clock.advance(1)
    assert wait_for(lambda: len(steps) == 1)
    assert wait_for(lambda: ctx.txn.state == "suspended")
    env.clock.advance(1)
    assert wait_for(lambda: ctx.txn.final_code == 404)
    assert steps == [("first", RouteType.FAILURE), ("second", RouteType.FAILURE)]
    assert ctx.txn.suspends == 2 and engine().stats()["resumed"] == 2


def test_resumed_route_that_raises_gets_500_and_worker_survives(make_env):
    env = make_env()
    env.script.routes["BOOM"] = lambda c: 1 / 0
    env.script.routes["OK"] = lambda c: env.tm.t_reply(c, 404, "x")
    bad = ctx_for(env, call_id="boom-call")
    async_route(bad, "BOOM", 1)
    env.clock.advance(1)
    assert wait_for(lambda: bad.txn.final_code == 500)
    lines = env.log.find("resumed route raised")
    assert lines and lines[0]["call_id"] == "boom-call"
    good = ctx_for(env, call_id="ok-call")
    async_route(good, "OK", 1)                  # the single timer worker still works
    env.clock.advance(1)
    assert wait_for(lambda: good.txn.final_code == 404)
    assert engine().stats()["failed"] == 1


def test_resuspend_from_failure_route(make_env):
    env = make_env()
    env.script.routes["R"] = lambda c: env.tm.t_reply(c, 404, "x")
    ctx = ctx_for(env)
    env.tm.t_newtran(ctx)
    ctx.route_type = RouteType.FAILURE          # e.g. after a 408 from the first branch
    assert async_route(ctx, "R", 1) == 0
    env.clock.advance(1)
    assert wait_for(lambda: ctx.txn.final_code == 404)


def test_what_survives_a_resume(make_env):
    env = make_env()
    shv = {"n": 0}
    got = {}

    def rest(c):
        got["var"] = c.vars.get("x")
        got["avp"] = c.msg.attrs.get("avps")
        got["xavp"] = c.msg.attrs.get("xavps")
        got["shv"] = shv["n"]
        got["mf"] = c.msg.flags
        got["sflags"] = c.sflags
        return env.tm.t_reply(c, 200, "OK")

    ctx = ctx_for(env, cont=rest)
    ctx.vars["x"] = "from-the-suspending-run"
    ctx.msg.attrs["avps"] = {"a": [1, 2]}
    ctx.msg.attrs["xavps"] = {"r": {"k": "v"}}
    ctx.msg.flags = 4
    ctx.sflags = 8
    shv["n"] = 7
    async_sleep(ctx, 1)
    env.clock.advance(1)
    assert wait_for(lambda: "shv" in got)
    assert got == {"var": None, "avp": {"a": [1, 2]}, "xavp": {"r": {"k": "v"}}, "shv": 7,
                   "mf": 4, "sflags": 0}
    assert thread_vars()["x"] == "from-the-suspending-run"


def test_retransmission_is_absorbed_and_never_suspends_twice(make_env):
    env = make_env()
    env.script.routes["R"] = lambda c: env.tm.t_reply(c, 404, "x")
    first = ctx_for(env)
    assert async_route(first, "R", 4) == 0
    txn = first.txn
    retrans = FakeCtx(FakeMsg("INVITE", "c1", retransmission_of=txn), env)
    assert async_route(retrans, "R", 4) == 0     # t_newtran said 0: absorbed, exit
    same_t = ctx_for(env)
    same_t.txn = txn                             # tm matched it to the suspended T
    assert async_route(same_t, "R", 4) == 0
    assert txn.suspends == 1 and len(env.clock.delays) == 1
    env.clock.advance(4)
    assert wait_for(lambda: txn.final_code == 404)


def test_blocking_task_does_not_delay_other_calls(make_env):
    env = make_env(core={"async_workers": 1})
    gate = threading.Event()
    env.script.routes["SLOW"] = lambda c: (gate.wait(1), env.tm.t_relay(c))[1]
    env.script.routes["FAST"] = lambda c: env.tm.t_reply(c, 404, "x")
    slow = [ctx_for(env, f"slow{i}") for i in range(4)]
    t0 = time.monotonic()
    for c in slow:
        assert task_route(c, "SLOW") == 0        # the only worker is busy: queued, no wait
    assert time.monotonic() - t0 < 0.05
    fast = ctx_for(env, "fast")
    async_route(fast, "FAST", 1)
    env.clock.advance(1)
    assert wait_for(lambda: fast.txn.final_code == 404, timeout=0.5)   # timer pool unaffected
    gate.set()
    assert wait_for(lambda: all(c.txn.relayed for c in slow), timeout=3)


def test_shutdown_answers_every_suspended_transaction_with_503(make_env):
    env = make_env(params={"ms_timer": 10}, core={})
    env.workers = WorkerGroups([GroupConfig("default", 1)])
    env.workers.start()
    gate = threading.Event()
    env.script.routes["R"] = lambda c: env.tm.t_reply(c, 404, "x")
    env.script.routes["BLOCK"] = lambda c: (gate.wait(2), env.tm.t_reply(c, 200, "OK"))[1]
    busy = ctx_for(env, "busy")
    task_route(busy, "BLOCK")                    # occupies the worker
    time.sleep(0.05)
    waiting = [ctx_for(env, "timer"), ctx_for(env, "ms", cont=lambda c: 1), ctx_for(env, "task")]
    async_route(waiting[0], "R", 30)
    async_ms_sleep(waiting[1], 5000)
    task_route(waiting[2], "R")                  # queued behind BLOCK
    mod = async_module()
    mod.destroy(env)
    assert [c.txn.final_code for c in waiting] == [503, 503, 503]
    assert env.clock.pending() == 0              # timers cancelled
    gate.set()
    env.workers.stop(2)
    assert busy.txn.final_code == 200            # the running task finished normally
    assert waiting[2].txn.replies.count((503, "Service Unavailable")) == 1
    mod.mod_init(env)                            # let the fixture's destroy find an engine


def test_timer_and_shutdown_race_resume_runs_once(make_env):
    env = make_env()
    count = []
    env.script.routes["R"] = lambda c: count.append(1) or env.tm.t_reply(c, 404, "x")
    ctxs = [ctx_for(env, f"c{i}") for i in range(50)]
    for c in ctxs:
        async_route(c, "R", 1)
    t = threading.Thread(target=env.clock.advance, args=(1,))
    t.start()
    engine().shutdown()
    t.join()
    time.sleep(0.1)
    for c in ctxs:
        assert len([r for r in c.txn.replies if r[0] >= 200]) == 1
    async_module().mod_init(env)

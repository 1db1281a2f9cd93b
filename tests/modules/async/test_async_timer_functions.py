"""async_route / async_sleep / ms variants: argument checks, suspend, resume (fake clock)."""
from __future__ import annotations

import threading
import time

import pytest

from async_fakes import FakeCtx, FakeMsg, async_module, function, wait_for
from siprouter.core.modsys import RouteType

async_route = function("async_route")
async_sleep = function("async_sleep")
async_ms_route = function("async_ms_route")
async_ms_sleep = function("async_ms_sleep")


def ctx_for(env, method="INVITE", call_id="c1", cont=None):
    return FakeCtx(FakeMsg(method, call_id), env, cont=cont)


def test_module_declaration_defaults():
    mod = async_module().module
    assert mod.depends == ["tm", "tmx"]
    assert {n: p.default for n, p in mod.params.items()} == {"workers": 1, "ms_timer": 0, "return": 0}
    assert {f.name for f in mod.functions} == {
        "async_route", "async_ms_route", "async_sleep", "async_ms_sleep", "async_task_route",
        "async_task_group_route", "async_task_data", "async_task_group_data"}
    for f in mod.functions:
        if f.name.endswith("_data"):
            assert f.routes == RouteType.ANY
        else:
            assert f.routes == RouteType.REQUEST | RouteType.FAILURE


def test_async_route_suspends_and_resumes_route_after_exact_delay(make_env):
    env = make_env()
    seen = []
    env.script.routes["RESUME"] = lambda c: (seen.append((c.route_type, threading.current_thread().name)),
                                             env.tm.t_reply(c, 404, "Not found"))[1]
    ctx = ctx_for(env)
    assert async_route(ctx, "RESUME", 4) == 0               # modparam return=0: script ends
    txn = ctx.txn
    assert txn.state == "suspended" and txn.replies == [(100, "trying -- your call is important to us")]
    assert env.clock.delays == [4.0]                        # precise timer, not a slot ring
    env.clock.advance(3.99)
    assert not seen
    env.clock.advance(0.01)
    assert wait_for(lambda: txn.final_code == 404)
    assert seen[0][0] == RouteType.FAILURE                  # tm resumes as failure_route
    assert seen[0][1].startswith("async-mod")               # on the module's timer threads
    st = async_module().runtime.engine.stats()
    assert st["resumed"] == 1 and st["suspended_now"] == 0


@pytest.mark.parametrize("secs", [0, -5, 100, 1000])
def test_out_of_range_seconds_fail_without_a_transaction(make_env, secs):
    env = make_env()
    env.script.routes["R"] = lambda c: 1
    ctx = ctx_for(env)
    assert async_route(ctx, "R", secs) == -1
    assert ctx.txn is None and not env.tm.txns
    ctx2 = ctx_for(env, cont=lambda c: 1)
    assert async_sleep(ctx2, secs) == -1
    assert ctx2.txn is None


@pytest.mark.parametrize("secs", [1, 99])
def test_boundary_seconds_accepted(make_env, secs):
    env = make_env()
    env.script.routes["R"] = lambda c: 1
    assert async_route(ctx_for(env), "R", secs) == 0
    assert env.clock.delays == [float(secs)]


def test_async_sleep_as_last_action_is_refused_before_range(make_env):
    env = make_env()
    ctx = ctx_for(env, cont=None)          # last action of its block / inside an expression
    assert async_sleep(ctx, 0) == -1
    assert env.log.has("last action")
    assert not env.log.has("negative or zero")
    assert ctx.txn is None


def test_async_sleep_resumes_the_continuation(make_env):
    env = make_env()
    ran = []

    def rest(c):
        ran.append(c.route_type)
        return env.tm.t_reply(c, 404, "Not found")

    ctx = ctx_for(env, cont=rest)
    assert async_sleep(ctx, 4) == 0
    env.clock.advance(4)
    assert wait_for(lambda: ran == [RouteType.FAILURE])
    assert ctx.txn.final_code == 404


def test_return_modparam_value_is_returned(make_env):
    env = make_env(params={"return": 1})
    assert async_sleep(ctx_for(env, cont=lambda c: 1), 1) == 1


def test_unknown_dynamic_route_and_long_name_fail_at_call(make_env):
    env = make_env()
    assert async_route(ctx_for(env), "NOPE", 1) == -1
    assert env.log.has("route block not found")
    assert async_route(ctx_for(env), "X" * 63, 1) == -1
    assert not env.tm.txns


def test_workers_zero_refuses(make_env):
    env = make_env(params={"workers": 0})
    env.script.routes["R"] = lambda c: 1
    assert async_route(ctx_for(env), "R", 1) == -1
    assert async_sleep(ctx_for(env, cont=lambda c: 1), 1) == -1
    assert env.log.has("no async mod timer workers")


def test_faked_message_refused(make_env):
    env = make_env()
    env.script.routes["R"] = lambda c: 1
    ctx = FakeCtx(FakeMsg("OPTIONS", core_faked=True), env, cont=lambda c: 1)
    assert async_route(ctx, "R", 1) == -1
    assert async_sleep(ctx, 1) == -1
    assert env.log.has("faked message")


def test_ms_functions_need_ms_timer(make_env):
    env = make_env()                                  # ms_timer = 0
    env.script.routes["R"] = lambda c: 1
    assert async_ms_route(ctx_for(env), "R", 100) == -1
    assert async_ms_sleep(ctx_for(env, cont=lambda c: 1), 100) == -1
    assert env.log.has("ms_timer")
    assert not env.tm.txns


@pytest.mark.parametrize("ms,ok", [(0, False), (1, True), (29999, True), (30000, False), (-1, False)])
def test_ms_range(make_env, ms, ok):
    env = make_env(params={"ms_timer": 10})
    env.script.routes["R"] = lambda c: 1
    assert async_ms_route(ctx_for(env), "R", ms) == (0 if ok else -1)


def test_ms_resume_runs_on_core_default_group(make_env):
    env = make_env(params={"ms_timer": 10})
    where = []
    gname = async_module().pvs._get
    env.script.routes["R"] = lambda c: (where.append(gname(c, "gname")), env.tm.t_reply(c, 404, "x"))[1]
    ctx = ctx_for(env)
    assert async_ms_route(ctx, "R", 250) == 0
    assert env.clock.delays == [0.25]
    env.clock.advance(0.25)
    assert wait_for(lambda: where == ["default"])


def test_ms_queue_limit(make_env, monkeypatch):
    env = make_env(params={"ms_timer": 10})
    monkeypatch.setattr(async_module().functions, "MS_QUEUE_LIMIT", 3)
    for i in range(3):
        assert async_ms_sleep(ctx_for(env, call_id=f"c{i}", cont=lambda c: 1), 100) == 0
    assert async_ms_sleep(ctx_for(env, call_id="c9", cont=lambda c: 1), 100) == -1
    assert env.log.has("queue length exceeded")


def test_ms_without_core_workers_is_refused_at_call(make_env):
    env = make_env(params={"ms_timer": 10}, core={})
    assert async_ms_sleep(ctx_for(env, cont=lambda c: 1), 100) == -1
    assert not env.tm.txns


def test_existing_transaction_is_reused(make_env):
    env = make_env()
    env.script.routes["R"] = lambda c: 1
    ctx = ctx_for(env)
    env.tm.t_newtran(ctx)
    assert async_route(ctx, "R", 1) == 0
    assert len(env.tm.txns) == 1


def test_after_final_reply_suspend_fails_and_script_goes_on(make_env):
    env = make_env()
    env.script.routes["R"] = lambda c: 1
    ctx = ctx_for(env)
    env.tm.t_newtran(ctx)
    ctx.txn.replies.append((404, "Not Found"))
    assert async_route(ctx, "R", 1) == -1
    assert env.log.has("failed to suspend")


def test_ms_resume_falls_back_to_timer_pool_when_core_queue_is_full(make_env):
    from siprouter.core.async_workers import GroupConfig, WorkerGroups
    env = make_env(params={"ms_timer": 10}, core={})
    env.workers = WorkerGroups([GroupConfig("default", 1, nonblock=True, queue_size=1)])
    env.workers.start()
    gate = threading.Event()
    assert env.workers.submit("default", gate.wait)   # busy worker
    time.sleep(0.05)
    assert env.workers.submit("default", lambda: None)   # full queue
    where = []
    env.script.routes["R"] = lambda c: (where.append(threading.current_thread().name),
                                        env.tm.t_reply(c, 404, "x"))[1]
    ctx = ctx_for(env)
    assert async_ms_route(ctx, "R", 100) == 0
    env.clock.advance(0.1)
    assert wait_for(lambda: ctx.txn.final_code == 404)
    assert where[0].startswith("async-mod")
    gate.set()
    env.workers.stop(2)

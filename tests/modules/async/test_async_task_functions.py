"""async_task_* and *_data: dispatch to core worker groups, load-time checks, $async PV."""
from __future__ import annotations

import threading
import time

import pytest

from async_fakes import FakeCtx, FakeMsg, async_module, function, spec, wait_for
from siprouter.core.async_workers import GroupConfig, WorkerGroups
from siprouter.core.modsys import Arg, FixedArg, FixupError

task_route = function("async_task_route")
task_group_route = function("async_task_group_route")
task_data = function("async_task_data")
task_group_data = function("async_task_group_data")

CORE_DB = {"async_workers": 1, "async_workers_group": [
    {"name": "db", "workers": 2, "nonblock": True, "usleep": 0}]}


def ctx_for(env, call_id="c1"):
    return FakeCtx(FakeMsg("INVITE", call_id), env)


def lit(kind, value):
    return FixedArg(kind, str(value), value)


def dyn(kind, text="$var(x)"):
    return FixedArg(kind, text, None)


class CfgEnv:
    """What a fixup sees at compile time: only the configuration."""

    def __init__(self, core=None, params=None):
        self.core = core or {}
        self.params = {"workers": 1, "ms_timer": 0, "return": 0, **(params or {})}


def test_task_route_runs_route_at_once_on_default_group(make_env):
    env = make_env()
    gname = async_module().pvs._get
    seen = []
    env.script.routes["RELAY"] = lambda c: (seen.append(gname(c, "gname")), env.tm.t_relay(c))[1]
    ctx = ctx_for(env)
    assert task_route(ctx, "RELAY") == 0
    assert wait_for(lambda: seen == ["default"])
    assert ctx.txn.relayed == 1 and not env.clock.delays


def test_task_group_route_uses_named_group(make_env):
    env = make_env(core=CORE_DB)
    gname = async_module().pvs._get
    seen = []
    env.script.routes["R"] = lambda c: (seen.append(gname(c, "gname")), env.tm.t_reply(c, 200, "OK"))[1]
    assert task_group_route(ctx_for(env), "R", "DB") == 0
    assert wait_for(lambda: seen == ["db"])


def test_unknown_dynamic_group_fails_without_suspending(make_env):
    env = make_env(core=CORE_DB)
    env.script.routes["R"] = lambda c: 1
    ctx = ctx_for(env)
    assert task_group_route(ctx, "R", "nope") == -1
    assert ctx.txn is None
    assert env.log.has("no async worker group")


def test_full_nonblocking_queue_revokes_the_suspension(make_env):
    env = make_env(core={})
    env.workers = WorkerGroups([GroupConfig("default", 1, nonblock=True, queue_size=1)])
    env.workers.start()
    gate = threading.Event()
    env.script.routes["BLOCK"] = lambda c: (gate.wait(2), env.tm.t_reply(c, 200, "OK"))[1]
    c1, c2, c3 = ctx_for(env, "a"), ctx_for(env, "b"), ctx_for(env, "c")
    assert task_route(c1, "BLOCK") == 0
    time.sleep(0.05)                           # worker busy with c1
    assert task_route(c2, "BLOCK") == 0        # queued
    assert task_route(c3, "BLOCK") == -1       # refused at once ...
    assert c3.txn.state == "active"            # ... and not left suspended until fr_timer
    gate.set()
    assert wait_for(lambda: c1.txn.final_code == 200 and c2.txn.final_code == 200)
    env.workers.stop(2)


def test_task_data_returns_1_and_runs_with_data(make_env):
    env = make_env(core=CORE_DB)
    get = async_module().pvs._get
    seen = []
    env.script.routes["D"] = lambda c: seen.append((get(c, "data"), get(c, "gname"),
                                                   c.msg.attrs.get("core_faked"))) or 1
    ctx = ctx_for(env)
    assert task_data(ctx, "D", "hello") == 1
    assert task_group_data(ctx, "D", "db", "world") == 1
    assert wait_for(lambda: len(seen) == 2)
    assert sorted(seen) == [("hello", "default", True), ("world", "db", True)]
    assert ctx.txn is None                     # no transaction, no suspend
    assert get(ctx, "data") is None and get(ctx, "gname") is None


def test_task_data_unknown_group_and_route(make_env):
    env = make_env(core=CORE_DB)
    env.script.routes["D"] = lambda c: 1
    assert task_group_data(ctx_for(env), "D", "zzz", "x") == -1
    assert task_data(ctx_for(env), "NOPE", "x") == -1


def test_pv_name_parse():
    parse = async_module().pvs._parse_name
    assert parse("data") == "data" and parse("gname") == "gname"
    with pytest.raises(ValueError):
        parse("other")


# -- load-time checks (fixups) --------------------------------------------------------
def test_task_functions_without_core_workers_are_load_errors():
    env = CfgEnv(core={})
    for name, args in (("async_task_route", [lit(Arg.ROUTE, "R")]),
                       ("async_task_group_route", [lit(Arg.ROUTE, "R"), dyn(Arg.SPVE)]),
                       ("async_task_data", [lit(Arg.ROUTE, "R"), lit(Arg.SPVE, "d")]),
                       ("async_task_group_data", [lit(Arg.ROUTE, "R"), lit(Arg.SPVE, "db"),
                                                  lit(Arg.SPVE, "d")])):
        with pytest.raises(FixupError, match="async_workers"):
            spec(name).fixup(args, env)


def test_unknown_literal_group_is_a_load_error_known_is_fine():
    env = CfgEnv(core=CORE_DB)
    with pytest.raises(FixupError, match="unknown async worker group 'nope'"):
        spec("async_task_group_route").fixup([lit(Arg.ROUTE, "R"), lit(Arg.SPVE, "nope")], env)
    spec("async_task_group_route").fixup([lit(Arg.ROUTE, "R"), lit(Arg.SPVE, "DB")], env)
    spec("async_task_group_route").fixup([lit(Arg.ROUTE, "R"), dyn(Arg.SPVE)], env)
    with pytest.raises(FixupError):
        spec("async_task_group_data").fixup([lit(Arg.ROUTE, "R"), lit(Arg.SPVE, "nope"),
                                             lit(Arg.SPVE, "x")], env)


def test_ms_functions_with_ms_timer_zero_are_load_errors_for_literals():
    env = CfgEnv(core={"async_workers": 1})
    with pytest.raises(FixupError, match="ms_timer"):
        spec("async_ms_sleep").fixup([lit(Arg.IGP, 100)], env)
    with pytest.raises(FixupError, match="ms_timer"):
        spec("async_ms_route").fixup([lit(Arg.ROUTE, "R"), lit(Arg.IGP, 100)], env)
    spec("async_ms_sleep").fixup([dyn(Arg.IGP)], env)          # dynamic: -1 + log at run time
    spec("async_ms_sleep").fixup([lit(Arg.IGP, 100)], CfgEnv(core={"async_workers": 1},
                                                              params={"ms_timer": 10}))
    with pytest.raises(FixupError, match="async_workers"):
        spec("async_ms_sleep").fixup([lit(Arg.IGP, 100)], CfgEnv(params={"ms_timer": 10}))


def test_long_literal_route_name_is_a_load_error():
    with pytest.raises(FixupError, match="longer than 62"):
        spec("async_route").fixup([lit(Arg.ROUTE, "R" * 63), lit(Arg.IGP, 1)], CfgEnv())
    spec("async_route").fixup([lit(Arg.ROUTE, "R" * 62), lit(Arg.IGP, 1)], CfgEnv())

"""htable: definitions, $sht read/write/expiry, sht_* functions, thread safety."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

import siprouter.modules.htable as htable
from siprouter.core.modsys import Arg, FixedArg, FixupError, ModuleInitError
from siprouter.modules.htable import access
from siprouter.modules.htable.registry import STATIC_REFS, TABLES, parse_ht_name
from siprouter.modules.htable.table import parse_table_spec


def init(env, defs, **params):
    env.params = {"htable": defs, "timer_interval": 20} | params
    htable.mod_init(env)


@pytest.fixture(autouse=True)
def clean_refs():
    STATIC_REFS.clear()
    yield
    STATIC_REFS.clear()


def N(text):
    return parse_ht_name(text)


def test_parse_table_spec():
    s = parse_table_spec("ipban=>size=8;autoexpire=300;initval=0;updateexpire=0;dbtable=x;")
    assert (s.name, s.size, s.autoexpire, s.initval, s.updateexpire) == ("ipban", 8, 300, 0, 0)
    assert s.extra["dbtable"] == "x"
    assert parse_table_spec("a=>").size == 4
    assert parse_table_spec("a=>size=40").size == 14
    for bad in ("noarrow", "=>size=1", "a=>size=x", "a=>foo=1", "a=>autoexpire=-1"):
        with pytest.raises(ValueError):
            parse_table_spec(bad)


def test_mod_init_accepts_string_or_list(env):
    init(env, "a=>size=4;")
    assert TABLES.names() == ["a"]
    init(env, ["a=>size=4;", "b=>autoexpire=10;"])
    assert sorted(TABLES.names()) == ["a", "b"]
    with pytest.raises(ModuleInitError):
        init(env, ["a=>", "a=>"])
    with pytest.raises(ModuleInitError):
        init(env, ["a=>bogus=1"])


def test_unknown_static_table_is_a_start_up_error(env):
    N("nosuch=>key")
    with pytest.raises(ModuleInitError, match="nosuch"):
        init(env, ["a=>"])


def test_sht_read_write_delete(make_ctx, env):
    init(env, ["a=>"])
    ctx = make_ctx()
    assert access.sht_get(ctx, N("a=>k")) is None
    access.sht_set(ctx, N("a=>k"), "v")
    access.sht_set(ctx, N("a=>n"), 5)
    assert access.sht_get(ctx, N("a=>k")) == "v"
    assert access.sht_get(ctx, N("a=>n")) == 5
    access.sht_set(ctx, N("a=>k"), None)  # $null deletes
    assert access.sht_get(ctx, N("a=>k")) is None


def test_initval(make_ctx, env):
    init(env, ["c=>initval=0;"])
    assert access.sht_get(make_ctx(), N("c=>missing")) == 0


def test_autoexpire_and_shtex(make_ctx, env):
    init(env, ["t=>autoexpire=10;"])
    ctx = make_ctx()
    access.sht_set(ctx, N("t=>k"), "v")
    assert access.shtex_get(ctx, N("t=>k")) == 10
    env.advance(9)
    assert access.sht_get(ctx, N("t=>k")) == "v"
    access.sht_set(ctx, N("t=>k"), "v2")  # updateexpire=1: restarts the timer
    env.advance(9)
    assert access.sht_get(ctx, N("t=>k")) == "v2"
    env.advance(1)
    assert access.sht_get(ctx, N("t=>k")) is None
    access.sht_set(ctx, N("t=>k"), "v")
    access.shtex_set(ctx, N("t=>k"), 100)
    env.advance(50)
    assert access.sht_get(ctx, N("t=>k")) == "v"
    access.shtex_set(ctx, N("t=>k"), "junk")  # logged, ignored
    assert access.shtex_get(ctx, N("t=>missing")) == 0


def test_updateexpire_0_keeps_first_expiry(make_ctx, env):
    init(env, ["t=>autoexpire=10;updateexpire=0;"])
    ctx = make_ctx()
    access.sht_set(ctx, N("t=>k"), 1)
    env.advance(8)
    access.sht_set(ctx, N("t=>k"), 2)
    env.advance(3)
    assert access.sht_get(ctx, N("t=>k")) is None


def test_sweep_timer(make_ctx, env):
    env.loop = object()
    init(env, ["t=>autoexpire=5;"])
    access.sht_set(make_ctx(), N("t=>k"), 1)
    delay, fn, args = env.timers[0]
    assert delay == 20
    env.advance(6)
    fn(*args)
    assert len(TABLES.get("t")) == 0
    assert len(env.timers) == 2  # re-armed


def test_unknown_table_at_run_time(make_ctx, env):
    init(env, ["a=>"])
    ctx = make_ctx()
    assert access.sht_get(ctx, N("zz=>k")) is None
    access.sht_set(ctx, N("zz=>k"), 1)  # logged, no effect
    assert access.sht_rm(ctx, "zz", "k") == -1
    assert access.sht_reset(ctx, "zz") == -1
    assert access.sht_rm_name_re(ctx, "zz=>.*") == -1
    assert access.sht_lock(ctx, "zz=>k") == -1
    assert access.sht_unlock(ctx, "zz=>k") == -1
    assert access.sht_is_null(ctx, "zz", "k") == 2
    assert access.sht_inc(ctx, "zz", "k") == access.NO_INT_VALUE


def test_inc_dec(make_ctx, env):
    init(env, ["a=>"])
    ctx = make_ctx()
    assert access.shtinc_get(ctx, N("a=>n")) == 1
    assert access.shtinc_get(ctx, N("a=>n")) == 2
    assert access.shtdec_get(ctx, N("a=>n")) == 1
    assert access.sht_inc(ctx, "a", "n") == 2
    assert access.sht_dec(ctx, "a", "n") == 1
    access.sht_set(ctx, N("a=>s"), "text")
    assert access.shtinc_get(ctx, N("a=>s")) is None
    assert access.sht_inc(ctx, "a", "s") == access.NO_INT_VALUE
    assert access.sht_dec(ctx, "a", "s") == access.NO_INT_VALUE


def test_rm_functions(make_ctx, env):
    init(env, ["a=>"])
    ctx = make_ctx()
    for k, v in (("ab1", "x1"), ("ab2", "y"), ("cd", "x2")):
        access.sht_set(ctx, N(f"a=>{k}"), v)
    assert access.sht_rm(ctx, "a", "cd") == 1
    assert access.sht_rm(ctx, "a", "cd") == 1  # missing item: still 1
    assert access.sht_rm_name_re(ctx, "a=>^ab1$") == 1
    assert sorted(k for k, _ in TABLES.get("a").items()) == ["ab2"]
    access.sht_set(ctx, N("a=>z"), "x9")
    assert access.sht_rm_value_re(ctx, "a=>^x") == 1
    assert sorted(k for k, _ in TABLES.get("a").items()) == ["ab2"]
    assert access.sht_rm_name_re(ctx, "a=>(") == -1
    assert access.sht_rm_name_re(ctx, "no-arrow") == -1
    assert access.sht_reset(ctx, "a") == 1
    assert len(TABLES.get("a")) == 0


def test_is_null(make_ctx, env):
    init(env, ["a=>", "b=>initval=1;"])
    ctx = make_ctx()
    assert access.sht_is_null(ctx, "a", "k") == 1
    access.sht_set(ctx, N("a=>k"), 1)
    assert access.sht_is_null(ctx, "a", "k") == -1
    assert access.sht_is_null(ctx, "b", "k") == -2


def test_lock_unlock(make_ctx, env):
    init(env, ["a=>size=2;"])
    ctx = make_ctx()
    assert access.sht_lock(ctx, "a=>k") == 1
    assert access.sht_lock(ctx, "a=>k") == 1  # re-entrant for the same worker
    assert access.sht_unlock(ctx, "a=>k") == 1
    assert access.sht_unlock(ctx, "a=>k") == 1
    assert access.sht_unlock(ctx, "a=>k") == -1  # not held


def test_lock_excludes_other_threads(make_ctx, env):
    init(env, ["a=>"])
    ctx = make_ctx()
    access.sht_lock(ctx, "a=>k")
    got = []
    t = threading.Thread(target=lambda: got.append(TABLES.get("a").slot_lock("k").acquire(timeout=0.05)))
    t.start()
    t.join()
    assert got == [False]
    access.sht_unlock(ctx, "a=>k")


def test_concurrent_increments_are_atomic(make_ctx, env):
    init(env, ["a=>"])
    ctx = make_ctx()

    def work():
        for _ in range(500):
            access.shtinc_get(ctx, N("a=>n"))
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert access.sht_get(ctx, N("a=>n")) == 4000


def test_dynamic_key_uses_pv_registry(make_ctx, env):
    init(env, ["a=>"])
    fmt_calls = []

    class Reg:
        def compile_format(self, text):
            fmt_calls.append(text)
            return lambda ctx: text.replace("$si", ctx.msg.rcv.src_ip)
    env.modset = SimpleNamespace(pv_registry=lambda: Reg())
    from siprouter.modules.htable import registry
    registry._registry.clear()
    registry._formats.clear()
    ctx = make_ctx()
    name = N("a=>ip::$si")
    assert name.dynamic
    access.sht_set(ctx, name, 1)
    assert access.sht_get(ctx, N("a=>ip::10.0.0.1")) == 1
    assert access.sht_get(ctx, name) == 1
    assert fmt_calls == ["ip::$si"]  # compiled once
    registry._registry.clear()
    registry._formats.clear()


def test_name_parsing_errors():
    for bad in ("nokey", "=>k", "$var(t)=>k"):
        with pytest.raises(ValueError):
            parse_ht_name(bad)


def test_fixups_check_tables(env):
    env.modset = SimpleNamespace(params={"htable": {"htable": ["a=>"]}})
    spec = {f.name: f for f in htable.module.functions}
    spec["sht_lock"].fixup([FixedArg(Arg.SPVE, "a=>k", "a=>k")], env)
    spec["sht_lock"].fixup([FixedArg(Arg.SPVE, "a=>$fU", None)], env)
    with pytest.raises(FixupError):
        spec["sht_lock"].fixup([FixedArg(Arg.STR, "b=>k", "b=>k")], env)
    with pytest.raises(FixupError):
        spec["sht_rm_name_re"].fixup([FixedArg(Arg.STR, "noarrow", "noarrow")], env)
    with pytest.raises(FixupError):
        spec["sht_rm"].fixup([FixedArg(Arg.SPVE, "b", "b"), FixedArg(Arg.SPVE, "k", "k")], env)
    spec["sht_rm"].fixup([FixedArg(Arg.SPVE, "$var(t)", None), FixedArg(Arg.SPVE, "k", "k")], env)
    spec["sht_lock"].fixup([FixedArg(Arg.STR, "b=>k", "b=>k")], None)  # params unknown: deferred


def test_param_type_and_rpc(env):
    from siprouter.core.modsys.params import check_param_value
    p = htable.module.params["htable"]
    assert check_param_value(p, "a=>")[1] is None
    assert check_param_value(p, ["a=>", "b=>"])[1] is None
    assert check_param_value(p, 5)[1] is not None
    init(env, ["a=>autoexpire=3;"])
    TABLES.get("a").set("k", "v")
    rpcs = {r.name: r.impl for r in htable.module.rpcs}
    assert rpcs["dump"]("a") == [{"name": "k", "value": "v"}]
    assert rpcs["listTables"]() == [{"name": "a", "items": 1, "autoexpire": 3, "size": 4}]
    with pytest.raises(ValueError):
        rpcs["dump"]("zz")


def test_pv_declarations():
    pvs = {p.name: p for p in htable.module.pvs}
    assert pvs["sht"].setter is not None and pvs["sht"].needs_name
    assert pvs["shtinc"].setter is None
    assert htable.siprouter_module() is htable.module

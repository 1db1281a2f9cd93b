"""stats.* RPC methods: Kamailio's filters (all, module:, module:name, name), reset, gauges."""
from __future__ import annotations

import asyncio

import pytest

from rpc_testkit import demo_module, make_env
from siprouter.core.modsys import Module
from siprouter.core.rpc import INVALID_PARAMS, RPCError, build_registry


@pytest.fixture
def env():
    other = Module("other")
    other.stat("hits", "same name as demo's")
    other.stat("active", "a gauge")
    e = make_env([demo_module(), other])
    e.stats.gauge("other", "active", lambda: 42)
    e.stats.inc("demo", "hits", 3)
    e.stats.inc("other", "hits", 5)
    return e


def call(env, method, *params):
    reg = build_registry(env)
    return asyncio.run(reg.lookup(method).call(list(params)))


def test_all(env):
    expected = ["demo:hits = 3", "demo:misses = 0", "other:hits = 5", "other:active = 42"]
    assert call(env, "stats.get_statistics") == expected
    assert call(env, "stats.get_statistics", "all") == expected


def test_module_filter(env):
    assert call(env, "stats.get_statistics", "demo:") == ["demo:hits = 3", "demo:misses = 0"]


def test_module_and_name(env):
    assert call(env, "stats.get_statistics", "other:hits") == ["other:hits = 5"]


def test_bare_name_matches_every_module(env):
    assert call(env, "stats.get_statistics", "hits") == ["demo:hits = 3", "other:hits = 5"]


def test_several_filters_union_without_duplicates(env):
    assert call(env, "stats.get_statistics", "demo:hits", "hits", "active") == \
        ["demo:hits = 3", "other:hits = 5", "other:active = 42"]


def test_fetch_is_a_dict(env):
    assert call(env, "stats.fetch", "demo:") == {"demo.hits": 3, "demo.misses": 0}


@pytest.mark.parametrize("flt,why", [
    ("nomod:", "no statistics for module 'nomod'"),
    ("demo:nothing", "unknown statistic 'demo:nothing'"),
    ("nothing", "unknown statistic 'nothing'"),
    (7, "bad statistics filter 7"),
])
def test_unknown_filters_are_errors(env, flt, why):
    with pytest.raises(RPCError) as info:
        call(env, "stats.get_statistics", flt)
    assert info.value.code == INVALID_PARAMS and why in info.value.message


def test_reset_one_module_keeps_the_others(env):
    assert call(env, "stats.reset_statistics", "demo:") == 2
    assert env.stats.get("demo", "hits") == 0 and env.stats.get("other", "hits") == 5


def test_reset_by_name_and_all(env):
    assert call(env, "stats.reset_statistics", "hits") == 2
    assert env.stats.get("demo", "hits") == 0 == env.stats.get("other", "hits")
    env.stats.inc("demo", "misses")
    call(env, "stats.reset_statistics", "all")
    assert env.stats.snapshot() == {"demo": {"hits": 0, "misses": 0},
                                    "other": {"hits": 0, "active": 42}}   # a gauge reads live


def test_clear_returns_then_zeroes(env):
    assert call(env, "stats.clear_statistics", "other:hits") == {"other.hits": 5}
    assert env.stats.get("other", "hits") == 0


def test_module_stat_counts_through_rpc(env):
    reg = build_registry(env)
    asyncio.run(reg.lookup("demo.hit").call([4]))
    assert call(env, "stats.fetch", "demo:hits") == {"demo.hits": 7}

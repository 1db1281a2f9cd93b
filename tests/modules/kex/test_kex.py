"""isdsturiset, setdsturi, resetdsturi, is_myself, is_myhost, pv_printf."""
from __future__ import annotations

import siprouter.modules.kex as kex
from siprouter.core.modsys import Arg, RouteType
from siprouter.modules.kex import functions as fx


def test_dst_uri_lifecycle(make_ctx):
    ctx = make_ctx()
    assert fx.isdsturiset(ctx) == -1
    assert fx.setdsturi(ctx, "sip:10.0.0.5:5070;transport=tcp") == 1
    assert ctx.msg.dst_uri == "sip:10.0.0.5:5070;transport=tcp"
    assert fx.isdsturiset(ctx) == 1
    assert fx.resetdsturi(ctx) == 1
    assert ctx.msg.dst_uri is None
    assert fx.isdsturiset(ctx) == -1
    assert fx.resetdsturi(ctx) == 1


def test_setdsturi_errors(make_ctx):
    ctx = make_ctx()
    assert fx.setdsturi(ctx, "") == -1
    assert fx.setdsturi(ctx, "sip:[broken") == -1
    assert ctx.msg.dst_uri is None


def test_is_myself_and_myhost(make_ctx):
    ctx = make_ctx()
    assert fx.is_myself(ctx, "sip:proxy.example.com") == 1
    assert fx.is_myself(ctx, "10.0.0.9") == 1
    assert fx.is_myself(ctx, "sip:bob@example.org") == -1
    assert fx.is_myself(ctx, "sip:[broken") == -1
    ctx.env.myself = {("10.0.0.9", 5060)}
    assert fx.is_myself(ctx, "sip:10.0.0.9:5060") == 1
    assert fx.is_myself(ctx, "sip:10.0.0.9:5070") == -1
    assert fx.is_myhost(ctx, "sip:10.0.0.9:5070") == -1  # fake env: host alone not listed
    ctx.env.myself = {("10.0.0.9", None)}
    assert fx.is_myhost(ctx, "sip:10.0.0.9:5070") == 1
    assert fx.is_myhost(ctx, "sips:[broken") == -1


class Ref:
    def __init__(self, fail=False):
        self.value, self.fail = None, fail

    def set(self, ctx, value):
        if self.fail:
            raise ValueError("read-only")
        self.value = value


def test_pv_printf(make_ctx):
    ref = Ref()
    assert fx.pv_printf(make_ctx(), ref, "a-b") == 1 and ref.value == "a-b"
    assert fx.pv_printf(make_ctx(), Ref(fail=True), "x") == -1


def test_declaration():
    specs = {f.name: f for f in kex.module.functions}
    assert set(specs) >= {"isdsturiset", "setdsturi", "resetdsturi", "is_myself", "pv_printf"}
    assert all(f.routes == RouteType.ANY for f in kex.module.functions)
    assert specs["pv_printf"].args == (Arg.PVREF, Arg.SPVE)
    assert "setbflag" not in specs  # the core function set provides the flag functions
    assert kex.siprouter_module() is kex.module

"""append_branch and the internal message flags."""
from __future__ import annotations

import siprouter.modules.corex as corex
from siprouter.core.modsys import RouteType
from siprouter.modules.corex import functions as fx


def test_append_branch_current_ruri(make_ctx):
    ctx = make_ctx(route_type=RouteType.FAILURE)
    ctx.msg.dst_uri = "sip:10.0.0.7"
    ctx.msg.bflags = 4
    assert fx.append_branch(ctx) == 1
    assert ctx.msg.attrs["branches"] == [
        {"uri": "sip:bob@example.com", "dst_uri": "sip:10.0.0.7", "bflags": 4}]


def test_append_branch_uri_and_q(make_ctx):
    ctx = make_ctx()
    assert fx.append_branch(ctx, "sip:alice@10.0.0.8", "0.5") == 1
    assert fx.append_branch(ctx, "sip:carol@10.0.0.9", "300") == 1
    b = ctx.msg.attrs["branches"]
    assert b[0] == {"uri": "sip:alice@10.0.0.8", "dst_uri": None, "bflags": 0, "q": 0.5}
    assert b[1]["q"] == 0.3


def test_append_branch_errors(make_ctx, reply_bytes):
    ctx = make_ctx()
    assert fx.append_branch(ctx, "") == -1
    assert fx.append_branch(ctx, "sip:a@b", "2.5") == -1
    assert fx.append_branch(ctx, "sip:a@b", "x") == -1
    assert fx.append_branch(make_ctx(reply_bytes), "sip:a@b") == -1
    for _ in range(fx.MAX_BRANCHES - 1):
        assert fx.append_branch(ctx, "sip:a@b") == 1
    assert fx.append_branch(ctx, "sip:a@b") == -1  # destination set full


def test_iflags(make_ctx):
    ctx = make_ctx()
    assert fx.msg_iflag_is_set(ctx, "USE_UAC_FROM") == -1
    assert fx.msg_iflag_set(ctx, "use_uac_from") == 1
    assert fx.msg_iflag_is_set(ctx, "USE_UAC_FROM") == 1
    assert fx.msg_iflag_reset(ctx, "USE_UAC_FROM") == 1
    assert fx.msg_iflag_is_set(ctx, "USE_UAC_FROM") == -1
    assert fx.msg_iflag_set(ctx, " ") == -1
    assert fx.msg_iflag_reset(ctx, "") == -1


def test_declaration():
    specs = [f for f in corex.module.functions if f.name == "append_branch"]
    assert sorted(len(f.args) for f in specs) == [0, 1, 2]
    assert all(f.routes == RouteType.REQUEST | RouteType.FAILURE for f in specs)
    assert corex.siprouter_module() is corex.module

"""Core module functions on a message: flags, branch flags, R-URI edits."""
from __future__ import annotations

from server_doubles import FakeCtx, make_server, parse, rcv, request
from siprouter.core import builtin
from siprouter.core.modsys import RouteType


def ctx_for(uri="sip:0049301234@127.0.0.1:5090"):
    srv, env, _ = make_server()
    msg = parse(request("INVITE", uri))
    msg.rcv = rcv()
    return FakeCtx(msg, RouteType.REQUEST, env)


def test_message_flags():
    ctx = ctx_for()
    assert builtin.isflagset(ctx, 3) == -1
    builtin.setflag(ctx, 3)
    assert builtin.isflagset(ctx, 3) == 1 and ctx.msg.flags == 8
    builtin.resetflag(ctx, 3)
    assert builtin.isflagset(ctx, 3) == -1


def test_branch_flags_default_and_other_branch():
    ctx = ctx_for()
    builtin.setbflag(ctx, 1)
    builtin.setbflag(ctx, 2, 1)
    assert builtin.isbflagset(ctx, 1) == 1 and ctx.msg.bflags == 2
    assert builtin.isbflagset(ctx, 2) == -1 and builtin.isbflagset(ctx, 2, 1) == 1
    builtin.resetbflag(ctx, 2, 1)
    assert builtin.isbflagset(ctx, 2, 1) == -1


def test_uri_edits():
    ctx = ctx_for()
    builtin.strip(ctx, 2)
    assert ctx.msg.uri.user == "49301234"
    builtin.prefix(ctx, "+")
    assert ctx.msg.uri.user == "+49301234"
    builtin.strip_tail(ctx, 4)
    assert ctx.msg.uri.user == "+4930"
    builtin.rewritehost(ctx, "192.0.2.1")
    builtin.rewriteport(ctx, 5070)
    assert str(ctx.msg.uri) == "sip:+4930@192.0.2.1:5070"
    builtin.rewritehostport(ctx, "[::1]:5080")
    assert ctx.msg.uri.port == 5080
    assert builtin.rewriteuri(ctx, "sip:bob@example.com") == 1
    assert str(ctx.msg.uri) == "sip:bob@example.com"
    assert builtin.rewriteuri(ctx, "not a uri") == -1
    assert b"INVITE sip:bob@example.com SIP/2.0" in ctx.msg.to_bytes()


def test_no_connect_marks():
    ctx = ctx_for()
    builtin.set_reply_no_connect(ctx)
    builtin.set_forward_no_connect(ctx)
    assert ctx.msg.attrs["reply_no_connect"] and ctx.msg.attrs["forward_no_connect"]


def test_declarations():
    names = {f.name for f in builtin.module.functions}
    assert {"forward", "force_rport", "setflag", "isbflagset", "strip", "prefix", "seturi"} <= names
    assert builtin.module.name == "core"

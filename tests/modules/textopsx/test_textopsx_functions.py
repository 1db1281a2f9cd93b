"""msg_apply_changes, remove_body, change_reply_status, fnmatch."""
from __future__ import annotations

import pytest

import siprouter.modules.textopsx as textopsx
from siprouter.core.modsys import Arg, FixedArg, FixupError, RouteType
from siprouter.modules.textopsx import functions as fx


def test_msg_apply_changes_request_route_and_replies(make_ctx, reply_bytes):
    assert fx.msg_apply_changes(make_ctx()) == 1
    assert fx.msg_apply_changes(make_ctx(route_type=RouteType.FAILURE)) == -1
    assert fx.msg_apply_changes(make_ctx(reply_bytes, route_type=RouteType.TM_ONREPLY)) == 1


def test_msg_apply_changes_declared_for_request_and_onreply():
    spec = next(f for f in textopsx.module.functions if f.name == "msg_apply_changes")
    assert spec.routes == RouteType.REQUEST | RouteType.ONREPLY


def test_remove_body(make_ctx, invite):
    ctx = make_ctx()
    assert fx.remove_body(ctx) == 1
    assert ctx.msg.body == b""
    assert b"Content-Length: 0\r\n" in ctx.msg.to_bytes()
    assert fx.remove_body(make_ctx(invite(body=""))) == 1


def test_change_reply_status(make_ctx, reply_bytes):
    neg = make_ctx(reply_bytes.replace(b"200 OK", b"486 Busy Here"))
    assert fx.change_reply_status(neg, 404, "Not Found") == 1
    assert neg.msg.status == 404 and neg.msg.reason == "Not Found"
    assert neg.msg.to_bytes().startswith(b"SIP/2.0 404 Not Found\r\n")
    ok = make_ctx(reply_bytes)
    assert fx.change_reply_status(ok, 202, "Accepted") == 1       # same class
    assert fx.change_reply_status(ok, 480, "Unavailable") == -1   # 2xx cannot turn negative
    assert fx.change_reply_status(neg, 200, "OK") == -1           # negative cannot turn 2xx
    assert fx.change_reply_status(neg, 700, "Bad") == -1
    assert fx.change_reply_status(neg, 500, "") == -1
    assert fx.change_reply_status(make_ctx(), 500, "x") == -1      # a request


def test_change_reply_status_fixup():
    spec = next(f for f in textopsx.module.functions if f.name == "change_reply_status")
    with pytest.raises(FixupError):
        spec.fixup([FixedArg(Arg.IGP, "99", 99), FixedArg(Arg.SPVE, "x", "x")])
    spec.fixup([FixedArg(Arg.IGP, "404", 404), FixedArg(Arg.SPVE, "x", "x")])
    assert spec.routes == RouteType.ONREPLY


def test_fnmatch(make_ctx):
    ctx = make_ctx()
    assert fx.fnmatch(ctx, "alice@example.com", "*@example.*") == 1
    assert fx.fnmatch(ctx, "Alice", "a*") == -1
    assert fx.fnmatch(ctx, "Alice", "a*", "i") == 1
    spec = next(f for f in textopsx.module.functions if f.name == "fnmatch" and len(f.args) == 3)
    with pytest.raises(FixupError):
        spec.fixup([FixedArg(Arg.SPVE, "a", "a"), FixedArg(Arg.SPVE, "b", "b"),
                    FixedArg(Arg.STR, "x", "x")])
